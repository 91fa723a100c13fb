"""What matching reads in a report's words: its proper names and the weekdays it gives."""

from __future__ import annotations

from monitor.incidents.text import attack_text, month_days, names, weekdays
from monitor.records import Attack, Evidence


def test_names_are_the_distinctive_capitalised_words() -> None:
    text = (
        "The U.S. military said two rockets were fired at Mission Support Site Conoco in "
        "Deir ez-Zor province on Wednesday, according to Central Command spokesman Col. "
        "Joe Buccino. Iraqi officials said the launch site was near Mayadin."
    )
    assert names(text) == {"conoco", "deir", "zor", "buccino", "mayadin"}


def test_sentence_openers_headlines_and_common_words_are_not_names() -> None:
    assert names("Rockets Hit US Base in Eastern Syria, No Casualties Reported") == frozenset()
    assert names("Nobody was hurt. Follow the story as it develops.") == frozenset()
    # Written in lower case elsewhere, so not a proper name here.
    assert names("Officials said Strike teams responded. The strike hit a depot.") == frozenset()


def test_possessives_and_group_words_are_dropped() -> None:
    found = names("a statement from the Islamic Resistance in Iraq about Erbil's airport")
    assert found == {"erbil"}


def test_weekdays_in_the_supported_languages() -> None:
    assert weekdays("Rockets hit the base on Tuesday; the Pentagon spoke on Wednesday.") == {1, 2}
    assert weekdays("L'attaque a eu lieu mardi soir.") == {1}
    assert weekdays("El ataque del miércoles") == {2}
    assert weekdays("No day given.") == frozenset()


def test_the_sentences_detection_cites_are_read_first() -> None:
    attack = Attack(evidence=(Evidence("sentence", "Drones hit Tower 22 on Sunday."),))
    text = attack_text(attack, "Headline", "A lede about another attack.", only=False)
    assert "Tower 22" in text and "another attack" not in text
    assert "another attack" in attack_text(attack, "Headline", "A lede about another attack.")


def test_days_of_the_month_without_a_year() -> None:
    text = "The group said it carried out the attack on February 4. Le 12 mars, puis 3 de mayo."
    assert month_days(text) == {(2, 4), (3, 12), (5, 3)}
    assert month_days("Published in May 2024, three killed in March.") == frozenset()
