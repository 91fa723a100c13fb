"""Near-duplicate fingerprints: copies of one text share a band, other texts do not."""

from __future__ import annotations

from monitor.incidents import fingerprints as fp

WIRE = (
    "Rockets struck a logistics base used by American troops near the northern city of "
    "Kirkuk late on Tuesday, a military spokesman said, adding that nobody was hurt. Three "
    "rockets landed inside the perimeter and a fourth fell in a field nearby, according to a "
    "statement from the coalition. No group immediately claimed responsibility for the attack, "
    "the latest in a series of strikes on bases hosting foreign forces in the region this month. "
    "Iraqi security forces said they found the launch site in an orchard south of the base."
)
COPY = "Share on Facebook Share on X | KIRKUK (Wire) — " + WIRE + " Read more: related coverage."
REWRITE = (
    "A base hosting US forces near Kirkuk came under rocket fire on Tuesday night. Officials "
    "said three projectiles hit inside the compound and another landed in farmland, causing no "
    "casualties. There was no immediate claim. Iraqi forces later located the launch point in "
    "orchards to the south, the latest such incident in a month of attacks on foreign troops."
)
OTHER = (
    "The city council approved a new budget for road repairs on Tuesday after a long debate "
    "about the cost of resurfacing the ring road, council members said. The plan adds two new "
    "cycle lanes and a bus corridor, and work is due to begin in the spring if the regional "
    "government releases its share of the money on time, the mayor told reporters afterwards."
)


def shared_bands(a: str, b: str) -> int:
    sig_a, sig_b = fp.signature(a), fp.signature(b)
    assert sig_a is not None and sig_b is not None
    return len(set(enumerate(fp.bands(sig_a))) & set(enumerate(fp.bands(sig_b))))


def test_a_syndicated_copy_shares_bands_and_is_confirmed() -> None:
    assert shared_bands(WIRE, COPY) >= 1
    assert fp.are_copies(WIRE, COPY)


def test_another_outlets_rewrite_of_the_same_story_is_not_a_copy() -> None:
    assert shared_bands(WIRE, REWRITE) == 0
    assert not fp.are_copies(WIRE, REWRITE)


def test_an_unrelated_text_shares_nothing() -> None:
    assert shared_bands(WIRE, OTHER) == 0
    assert not fp.are_copies(WIRE, OTHER)


def test_a_copy_cut_short_is_still_a_copy() -> None:
    assert fp.are_copies(WIRE, WIRE[: len(WIRE) // 2])


def test_signatures_are_stable_and_bands_fit_a_bigint() -> None:
    sig = fp.signature(WIRE)
    assert sig == fp.signature(WIRE)
    assert sig is not None and len(sig) == fp.PERMUTATIONS
    assert all(-(2**63) <= band < 2**63 for band in fp.bands(sig))


def test_short_texts_get_no_signature() -> None:
    assert fp.signature("Rockets hit a base.") is None
