"""Near-duplicate text: MinHash signatures of word 3-shingles, cut into LSH bands.

A syndicated wire copy carries the same sentences as its original, give or take a byline,
share buttons and a caption: most of their word 3-shingles are shared (Jaccard similarity
near 1), while two outlets' own write-ups of one event share few (on the dev corpus, under
0.3). Each text gets :data:`PERMUTATIONS` minimum hashes; the probability that two texts
agree on one of them is their Jaccard similarity. The signature is cut into :data:`BANDS`
bands of :data:`ROWS` hashes and each band is hashed to one 64-bit value; two texts are
candidates when any band value is equal, which an index finds without a scan. For
similarity s the chance of becoming a candidate is ``1 - (1 - s**ROWS) ** BANDS``: 0.999
at 0.8, 0.98 at 0.7, 0.66 at 0.5, 0.24 at 0.3. Candidates are then confirmed on the words
themselves (:func:`similarity`).
"""

from __future__ import annotations

import hashlib
import re
import struct
from collections.abc import Sequence

#: Minimum hashes per signature, cut into BANDS bands of ROWS hashes.
BANDS = 10
ROWS = 3
PERMUTATIONS = BANDS * ROWS
#: Texts with fewer words are too short to call copies of one another.
MIN_WORDS = 25
#: Confirmed copies share at least this share of shingles (Jaccard), or the shorter text's
#: shingles are almost all in the longer one (a copy cut short).
MIN_JACCARD = 0.7
MIN_CONTAINMENT = 0.9

_WORD = re.compile(r"\w+")
_EMPTY = 1 << 32
# Added per bin of distance to a borrowed value, so that borrowed values differ by slot.
_BORROW_OFFSET = 0x9E3779B9


def shingles(text: str) -> frozenset[str]:
    """The distinct word 3-grams of the lower-cased text."""
    words = _WORD.findall(text.lower())
    if len(words) < 3:
        return frozenset({" ".join(words)} if words else ())
    return frozenset(" ".join(words[i : i + 3]) for i in range(len(words) - 2))


def signature(text: str) -> tuple[int, ...] | None:
    """The MinHash signature of ``text``, ``None`` when it is too short to compare.

    One-permutation hashing: each shingle is hashed once and lands in one of
    :data:`PERMUTATIONS` bins by its hash; a bin keeps its smallest value. Two texts agree on
    a bin with a probability close to their Jaccard similarity, as with one hash function per
    value, at the cost of a single pass. Empty bins borrow from the next filled bin
    ("densification", Shrivastava and Li 2014), so that short texts stay comparable.
    """
    if len(_WORD.findall(text)) < MIN_WORDS:
        return None
    mins = [_EMPTY] * PERMUTATIONS
    for shingle in shingles(text):
        h = int.from_bytes(hashlib.blake2b(shingle.encode(), digest_size=8).digest(), "little")
        slot, value = h % PERMUTATIONS, h >> 32
        if value < mins[slot]:
            mins[slot] = value
    return _densified(mins)


def _densified(mins: list[int]) -> tuple[int, ...]:
    out = list(mins)
    for slot, value in enumerate(mins):
        if value != _EMPTY:
            continue
        for step in range(1, PERMUTATIONS):
            borrowed = mins[(slot + step) % PERMUTATIONS]
            if borrowed != _EMPTY:
                out[slot] = (borrowed + step * _BORROW_OFFSET) & 0xFFFFFFFF
                break
    return tuple(out)


def bands(sig: Sequence[int]) -> list[int]:
    """One signed 64-bit value per band (fits a BIGINT column)."""
    out = []
    for band in range(BANDS):
        packed = struct.pack(f"<{ROWS}I", *sig[band * ROWS : (band + 1) * ROWS])
        digest = hashlib.blake2b(packed, digest_size=8, person=b"monitor-lsh").digest()
        out.append(int.from_bytes(digest, "little", signed=True))
    return out


def similarity(a: frozenset[str], b: frozenset[str]) -> tuple[float, float]:
    """(Jaccard similarity, containment of the smaller set in the larger) of shingle sets."""
    if not a or not b:
        return 0.0, 0.0
    shared = len(a & b)
    return shared / len(a | b), shared / min(len(a), len(b))


def are_copies(a: str, b: str) -> bool:
    """Whether two texts are copies of one another (see the module docstring)."""
    jaccard, containment = similarity(shingles(a), shingles(b))
    return jaccard >= MIN_JACCARD or containment >= MIN_CONTAINMENT
