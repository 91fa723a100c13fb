"""The parts of detection, each alone: lexicon matching, dates, casualty figures."""

from __future__ import annotations

from datetime import date

import pytest

from monitor.detect import casualties, lexicon
from monitor.detect.dates import DateReader
from monitor.detect.lexicon import expand
from monitor.detect.text import Document
from monitor.errors import LexiconError

LEX = lexicon.load()


def sentence(text: str):  # type: ignore[no-untyped-def]
    """The first body sentence of a document made of ``text``."""
    return Document("headline", text, LEX).sentences[1]


def kinds(text: str) -> list[tuple[str, list[str]]]:
    found = LEX.find(text.lower(), text)
    return [(m.text, sorted({t.kind for t in m.tags})) for m in found]


# --- lexicon -------------------------------------------------------------------------------


def test_phrase_groups_expand_to_every_spelling() -> None:
    assert expand("rocket(|s)") == ["rocket", "rockets"]
    assert expand("(air strike|airstrike)(|s)") == [
        "air strike",
        "air strikes",
        "airstrike",
        "airstrikes",
    ]
    with pytest.raises(LexiconError):
        expand("rocket(s")


def test_the_longest_phrase_wins_so_a_heart_attack_is_no_attack() -> None:
    assert kinds("He had a heart attack") == [("heart attack", ["genre"])]
    assert ("attack", ["attack"]) in kinds("an attack on the base")


def test_a_suicide_drone_is_a_drone_and_a_drone_strike_is_also_a_strike() -> None:
    drone = LEX.find("a suicide drone hit", "a suicide drone hit")[0]
    assert [t.value for t in drone.all("weapon")] == ["drone"]
    strike = LEX.find("a drone strike", "a drone strike")[0]
    assert strike.has("weapon") and strike.has("strike")


def test_capitals_make_a_phrase_case_sensitive() -> None:
    assert [m.text for m in LEX.find("us troops", "US troops") if m.has("nation")] == ["US"]
    assert not [m for m in LEX.find("join us now", "join us now") if m.has("nation")]


def test_words_match_whole_and_arabic_words_with_their_prefixes() -> None:
    assert not [m for m in LEX.find("carried out", "carried out") if m.has("weapon")]
    arabic = "استهدفت طائرات مسيرة القاعدة الأمريكية"
    assert {m.text for m in LEX.find(arabic, arabic)} >= {"طائرات مسيرة", "الأمريكية"}


def test_known_sites_and_their_hosts() -> None:
    site = LEX.sites["ain al-asad air base"]
    assert (site.country, site.type, site.hosts) == ("IQ", "military", "US")
    assert LEX.sites["red sea"].sea


# --- dates ---------------------------------------------------------------------------------

READER = DateReader(LEX)
SATURDAY = date(2024, 3, 9)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Rockets hit the base early Friday, officials said.", date(2024, 3, 8)),
        ("The attack came on Saturday morning.", date(2024, 3, 9)),
        ("Rockets were fired yesterday.", date(2024, 3, 8)),
        ("Rockets were fired last night.", date(2024, 3, 8)),
        ("Rockets were fired on Feb. 15, officials said.", date(2024, 2, 15)),
        ("Rockets were fired on 15 February 2021.", date(2021, 2, 15)),
        ("On October 12, 2000, bombers struck.", date(2000, 10, 12)),
        ("Rockets fell on Monday 4, the army said.", date(2024, 3, 4)),
        ("El 14 de septiembre de 2019, drones atacaron.", date(2019, 9, 14)),
    ],
)
def test_time_expressions_resolve_against_the_publication_date(text: str, expected: date) -> None:
    exprs = READER.find(sentence(text))
    assert exprs, text
    assert READER.resolve(exprs[0], SATURDAY, [], SATURDAY) == expected


def test_a_month_and_day_with_no_reference_takes_the_year_its_weekday_agrees_with() -> None:
    exprs = READER.find(sentence("Three rockets fell on Thursday (August 13), officials said."))
    assert READER.resolve(exprs[0], None, [], date(2025, 1, 1)) == date(2020, 8, 13)


def test_a_weekday_without_a_reference_date_is_unknown() -> None:
    exprs = READER.find(sentence("Rockets hit the base on Tuesday."))
    assert READER.resolve(exprs[0], None, [], date(2025, 1, 1)) is None


def test_the_day_of_a_statement_is_told_apart() -> None:
    said = sentence("The Pentagon said on Wednesday that rockets hit the base.")
    assert READER.is_reporting_date(said, READER.find(said)[0])
    fired = sentence("Rockets hit the base on Wednesday, the Pentagon said.")
    assert not READER.is_reporting_date(fired, READER.find(fired)[0])


# --- casualties ----------------------------------------------------------------------------


def figures(text: str) -> tuple[int | None, int | None]:
    found = casualties.read(sentence(text))
    return found.figure("killed"), found.figure("injured")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("The blast killed three people and wounded 34.", (3, 34)),
        ("Three were killed and 34 wounded.", (3, 34)),
        ("Killing one British and two American soldiers.", (3, None)),
        ("Four police officers and two civilians were killed.", (6, None)),
        ("Nine were killed: four guards, two passers-by and three attackers.", (6, None)),
        ("Killing six people, two of them embassy guards.", (6, None)),
        ("Five militants were killed.", (0, None)),
        ("There were no injuries.", (None, 0)),
        ("The attack caused no casualties.", (0, 0)),
        ("Nobody was hurt.", (None, 0)),
        ("Dozens were wounded.", (None, None)),
        ("At least 80 people were wounded.", (None, 80)),
        ("More than 70 people were reported hurt.", (None, 70)),
        ("A contractor was killed.", (1, None)),
        ("The war, which has killed 30,000 people since October, goes on.", (None, None)),
        ("The bomb, which exploded on Dec. 31, wounded two guards.", (None, 2)),
        # a stated toll is the total, not one more death
        ("A third soldier died on Thursday, raising the death toll to three.", (3, None)),
        # nobody hurt, in other languages
        ("Não houve feridos.", (None, 0)),
        ("Il n'y a pas eu de blessés.", (None, 0)),
        ("Es gab keine Verletzten.", (None, 0)),
        ("وأضاف البيان أن الهجوم لم يسفر عن إصابات.", (None, 0)),
        ("لم يعرف عدد الإصابات.", (None, None)),  # "the number hurt is not known"
    ],
)
def test_casualty_phrases(text: str, expected: tuple[int | None, int | None]) -> None:
    assert figures(text) == expected


# --- datelines -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "dateline"),
    [
        ("NIAMEY, Niger — Officials said", "NIAMEY, Niger — "),
        ("BAGHDAD: Iraqis backing", "BAGHDAD: "),
        ("BEIRUT, LEBANON (6:20 P.M.) – In a statement", "BEIRUT, LEBANON (6:20 P.M.) – "),
        ("Kabul (Reuters) - A blast", "Kabul (Reuters) - "),
        ("HILTON HEAD ISLAND, S.C. (AP) — A lifeguard", "HILTON HEAD ISLAND, S.C. (AP) — "),
        ("ERBIL (Dépêche) - Un drone", "ERBIL (Dépêche) - "),
        ("The U.S. military said - nothing", ""),
        ("Jemen, port w Adenie – 12 października", ""),
    ],
)
def test_a_dateline_is_a_city_in_capitals_or_before_an_agency_then_a_dash(
    text: str, dateline: str
) -> None:
    from monitor.detect.text import dateline_length

    assert text[: dateline_length(text)] == dateline


def test_a_datelines_words_leave_the_sentence_and_its_place_is_kept_apart() -> None:
    doc = Document("Blast at embassy", "ISTANBUL — A bomb hit the embassy in Ankara.", LEX)
    body = doc.sentences[1]
    assert [m.text for m in body.mentions if m.has("place")] == ["Ankara"]
    assert doc.dateline is not None and doc.dateline.text == "ISTANBUL"


def test_a_caption_run_into_the_text_is_still_a_caption_and_not_the_lede() -> None:
    body = (
        "[Photo: Troops at the base, Jan. 29, 2022. AP/File] BAGHDAD — Two rockets hit "
        "the base on Wednesday. [Reuters] Nobody was hurt."
    )
    doc = Document("Rockets hit base", body, LEX)
    captions = [s.text for s in doc.sentences if s.caption]
    assert captions == ["[Photo: Troops at the base, Jan. 29, 2022. AP/File]"]
    assert doc.lede(1)[0].text == "BAGHDAD — Two rockets hit the base on Wednesday."
    assert doc.dateline is not None and doc.dateline.text == "BAGHDAD"


def test_every_spelling_of_a_place_has_the_one_keys_use() -> None:
    assert LEX.canonical_place("بغداد") == "baghdad"
    assert LEX.canonical_place("Bagdad") == "baghdad"
    assert LEX.canonical_place("Deir el-Zour") == "deir ez-zor"
    assert LEX.canonical_place("Podgorica") == "podgorica"  # one spelling: itself
