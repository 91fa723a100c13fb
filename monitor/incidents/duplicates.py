"""Item-level duplicates: the same article under another guid, link or feed.

Three kinds, all found through an index:

- the same guid in the same feed, or the same canonical link in any feed: never stored
  again (the pipeline skips them before detection);
- a verbatim copy (equal hash of the normalised words): stored, marked ``duplicate_of``
  the first, and linked to the first one's incidents;
- a near-duplicate (found through the MinHash band index, confirmed on the shared word
  3-grams, see :mod:`~monitor.incidents.fingerprints`): the same, unless its extracted
  attack contradicts the original's incident (another date, place or country), because a
  templated bulletin with a new date or place is news, not a copy.

A copy is one more source of its original's incidents; it never changes their fields and
never alerts.
"""

from __future__ import annotations

import hashlib
import re

from sqlmodel import Session

from monitor.incidents import fingerprints
from monitor.store import repository as repo
from monitor.store.models import Item

_WORDS = re.compile(r"\w+")


def text_hash(text: str) -> str:
    """Hash of the lower-cased words of a text: equal for verbatim copies."""
    words = _WORDS.findall(text.lower())
    return hashlib.blake2b(" ".join(words).encode(), digest_size=16).hexdigest()


def fingerprint_item(session: Session, item: Item, text: str) -> int | None:
    """Index the item's fingerprint; the id of the oldest stored item it is a copy of.

    Candidates come from the band index; each is confirmed on its words
    (:func:`~monitor.incidents.fingerprints.are_copies`).
    """
    assert item.id is not None
    sig = fingerprints.signature(text)
    if sig is None:
        return None
    bands = fingerprints.bands(sig)
    candidates = [i for i in repo.items_sharing_a_band(session, bands) if i != item.id]
    original = next(
        (
            other.id
            for other in repo.items_by_id(session, candidates)
            if fingerprints.are_copies(text, item_text(other))
        ),
        None,
    )
    repo.add_fingerprint(session, item.id, bands)
    return original


def item_text(item: Item) -> str:
    """The text a stored item was classified on: title and the longer of content and summary."""
    body = item.content if len(item.content) >= len(item.summary) else item.summary
    return f"{item.title}\n\n{body}" if item.title else body
