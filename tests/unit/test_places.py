"""Place names reduce to the words that tell one place from another."""

from __future__ import annotations

import pytest

from monitor.incidents.places import fold, overlap, place_keys, same_word


def test_accents_apostrophes_and_case_are_folded() -> None:
    assert fold("Sana'a") == "sanaa"
    assert fold("ambassade des États-Unis") == "ambassade des etats-unis"


@pytest.mark.parametrize(
    ("place", "keys"),
    [
        ("Ain al-Asad air base, Anbar province", {"asad", "anbar"}),
        ("Ayn al Asad airbase, western Iraq", {"asad"}),
        ("outside the US Embassy, Yemen", set()),
        ("Camp Taji, about 15 miles northwest of Baghdad", {"taji", "baghdad"}),
        ("Mission Support Site Conoco, Deir ez-Zor", {"conoco", "deir", "zor"}),
        ("three militia sites on the Iraq-Syria border", set()),
        ("Erbil, US-led base next to Erbil International Airport", {"erbil"}),
        # Country names and kinds of place in the other languages detection reads.
        ("الأردن, قاعدة", set()),
        ("Jordania, base", set()),
        ("ambassade des États-Unis, Bamako", {"bamako"}),
        ("السفارة الأمريكية في بغداد", {"بغداد"}),
    ],
)
def test_generic_words_and_country_names_are_dropped(place: str, keys: set[str]) -> None:
    assert place_keys(place) == keys


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("asad", "assad"),  # doubled letter
        ("duhok", "dohuk"),  # vowels of a transliteration
        ("hudaydah", "hodeidah"),
        ("erbil", "irbil"),
        ("aden", "adenie"),  # an inflected form (Polish locative)
        ("zor", "ezzor"),  # an assimilated article
    ],
)
def test_spellings_of_one_name_are_the_same_word(a: str, b: str) -> None:
    assert same_word(a, b)


@pytest.mark.parametrize(("a", "b"), [("taji", "balad"), ("erbil", "basra"), ("omar", "amir")])
def test_different_names_are_different_words(a: str, b: str) -> None:
    assert not same_word(a, b)


def test_overlap_is_the_share_of_the_smaller_set_found_in_the_other() -> None:
    asad = place_keys("Ain al-Asad air base, Anbar province")
    assert overlap(place_keys("al-Asad airbase"), asad) == 1.0
    assert (
        overlap(place_keys("Sarsang oil field, Duhok"), place_keys("Tawke oil field, Dohuk")) == 0.5
    )
    assert overlap(place_keys("Camp Taji"), asad) == 0.0
    assert overlap(set(), asad) == 0.0
