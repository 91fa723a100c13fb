"""Near-duplicate text: a 64-bit SimHash of word 3-shingles, and the bands that index it.

A syndicated wire copy carries the same words as its original, give or take a byline,
share buttons and a caption, so their SimHashes differ in a few bits while unrelated
articles differ in about 32 (on the dev corpus, rewrites of one story by different outlets
differ in 20 or more). The 64 bits are cut into :data:`BANDS` bands of 16 bits; two
fingerprints within :data:`MAX_DISTANCE` bits share at least one band whole (pigeonhole),
so an indexed lookup of the four band values finds every near-duplicate without a scan.
"""

from __future__ import annotations

import hashlib
import re
from functools import cache

#: Bits of the fingerprint, bands it is cut into, and bits per band.
BITS = 64
BANDS = 4
BAND_BITS = BITS // BANDS
#: Fingerprints at most this many bits apart are near-duplicates (at least one band is equal).
MAX_DISTANCE = BANDS - 1
#: Texts shorter than this many words are too short to call copies of one another.
MIN_WORDS = 25

_WORD = re.compile(r"\w+")
_LANE = 20  # bits per counter in the packed accumulator (up to a million shingles)
_MASK = (1 << _LANE) - 1


@cache
def _spread() -> tuple[tuple[int, ...], ...]:
    """For byte position j and value v: v's bits spread into lanes 8j..8j+7 of a packed sum."""
    return tuple(
        tuple(sum(((v >> b) & 1) << ((8 * j + b) * _LANE) for b in range(8)) for v in range(256))
        for j in range(8)
    )


def shingles(text: str) -> set[str]:
    """The distinct word 3-grams of the lower-cased text."""
    words = _WORD.findall(text.lower())
    if len(words) < 3:
        return {" ".join(words)} if words else set()
    return {" ".join(words[i : i + 3]) for i in range(len(words) - 2)}


def simhash(text: str) -> int | None:
    """The 64-bit SimHash of ``text`` as a signed integer (fits BIGINT), ``None`` if too short.

    Each bit is the majority vote of that bit over the hashes of the text's shingles. The
    votes of all 64 bits are added at once in one packed integer (20-bit lanes), which is
    several times faster in Python than a loop over bits.
    """
    if len(_WORD.findall(text)) < MIN_WORDS:
        return None
    features = shingles(text)
    t0, t1, t2, t3, t4, t5, t6, t7 = _spread()
    total = 0
    for feature in features:
        d = hashlib.blake2b(feature.encode(), digest_size=8).digest()
        total += t0[d[0]] + t1[d[1]] + t2[d[2]] + t3[d[3]] + t4[d[4]] + t5[d[5]] + t6[d[6]]
        total += t7[d[7]]
    half, value = len(features), 0
    for bit in range(BITS):
        if ((total >> (bit * _LANE)) & _MASK) * 2 > half:
            value |= 1 << bit
    return to_signed(value)


def to_signed(value: int) -> int:
    """An unsigned 64-bit value as the signed integer a BIGINT column holds."""
    return value - (1 << BITS) if value >= 1 << (BITS - 1) else value


def bands(fingerprint: int) -> list[int]:
    """The :data:`BANDS` band values (0..65535) of a fingerprint, band 0 first."""
    unsigned = fingerprint & ((1 << BITS) - 1)
    mask = (1 << BAND_BITS) - 1
    return [(unsigned >> (band * BAND_BITS)) & mask for band in range(BANDS)]


def distance(a: int, b: int) -> int:
    """Number of differing bits between two fingerprints."""
    return ((a ^ b) & ((1 << BITS) - 1)).bit_count()


def is_near_duplicate(a: int, b: int) -> bool:
    """Whether two fingerprints are close enough for their texts to be copies."""
    return distance(a, b) <= MAX_DISTANCE
