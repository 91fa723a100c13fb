"""Item-level duplicates: the same article under another guid, link or feed.

Three kinds, all found through an index:

- the same guid in the same feed, or the same canonical link in any feed: never stored
  again (the pipeline skips them before detection);
- a verbatim copy (equal hash of the normalised words): stored, marked ``duplicate_of``
  the first, and linked to the first one's incidents;
- a near-duplicate (SimHash within :data:`~monitor.incidents.fingerprints.MAX_DISTANCE`
  bits, found through the band index): the same, unless its extracted attack contradicts
  the original's incident (another date, place or country), because a templated bulletin
  with a new date or place is news, not a copy.

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


def exact_copy_of(session: Session, digest: str) -> Item | None:
    """The first stored item with the same normalised text, if any."""
    return repo.item_by_hash(session, digest)


def fingerprint_item(session: Session, item: Item, text: str) -> int | None:
    """Compute and index the item's SimHash; its id among earlier near-duplicates' first.

    Returns the id of the oldest stored item whose SimHash is within reach, or ``None``.
    """
    assert item.id is not None
    value = fingerprints.simhash(text)
    if value is None:
        return None
    bands = fingerprints.bands(value)
    original = next(
        (
            item_id
            for item_id, other in repo.items_sharing_a_band(session, bands)
            if item_id != item.id and fingerprints.is_near_duplicate(value, other)
        ),
        None,
    )
    repo.add_fingerprint(session, item.id, value, bands)
    item.simhash = value
    return original
