"""Watch rules: each condition alone, and the example configurations on items of our own."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from monitor.config import SiteConfig, WatchRule, load_settings
from monitor.detect import Detector
from monitor.detect.watch import matching_rules, normalise
from monitor.records import Attack, Entry
from tests.conftest import REPO

EMBASSY_ROCKETS = Attack(
    country="IQ",
    place="Baghdad, US Embassy",
    site="us embassy baghdad",
    target="US Embassy",
    target_type="diplomatic",
    target_nationality="US",
    weapon="rocket",
    killed=1,
    injured=4,
    perpetrator="Kataib Hezbollah",
)


def names(attack: Attack, *rules: WatchRule, text: str = "") -> tuple[str, ...]:
    return matching_rules(attack, text, list(rules))


def test_the_founding_rule_takes_us_diplomatic_and_military_targets_only() -> None:
    rule = WatchRule(
        name="us", target_types=["diplomatic", "military"], target_nationalities=["US"]
    )
    assert names(EMBASSY_ROCKETS, rule) == ("us",)
    russian = Attack(target_type="diplomatic", target_nationality="RU")
    oil = Attack(target_type="energy infrastructure", target_nationality="US")
    assert names(russian, rule) == names(oil, rule) == ()


def test_a_named_site_matches_whatever_spelling_the_report_uses() -> None:
    rule = WatchRule(
        name="asad", sites=[SiteConfig(name="Ayn al-Asad", aliases=["Al Asad airbase"])]
    )
    hit = Attack(site="ain al-asad air base", place="Ain al-Asad Air Base", target_type="military")
    elsewhere = Attack(site="camp taji", place="Camp Taji", target_type="military")
    assert names(hit, rule) == ("asad",)
    assert names(elsewhere, rule) == ()


def test_a_site_the_gazetteer_does_not_know_matches_by_name_in_the_place() -> None:
    rule = WatchRule(name="clinic", sites=[SiteConfig(name="Al-Amal clinic", country="SY")])
    assert names(Attack(place="Idlib, Al Amal Clinic", country="SY"), rule) == ("clinic",)
    assert names(Attack(place="Idlib, Al Amal Clinic", country="IQ"), rule) == ()


def test_places_countries_weapons_and_figures() -> None:
    at_sea = Attack(place="Red Sea", weapon="ballistic missile", target_type="commercial ship")
    assert names(at_sea, WatchRule(name="sea", places=["red sea"], weapons=["missile"])) == ("sea",)
    assert names(EMBASSY_ROCKETS, WatchRule(name="iq", countries=["iq"])) == ("iq",)
    assert names(EMBASSY_ROCKETS, WatchRule(name="k", min_killed=2)) == ()
    assert names(EMBASSY_ROCKETS, WatchRule(name="c", min_casualties=5)) == ("c",)
    assert names(EMBASSY_ROCKETS, WatchRule(name="p", perpetrators=["kataib"])) == ("p",)


def test_keywords_are_words_of_the_item_and_exclusions_veto() -> None:
    rule = WatchRule(name="k", keywords=["Green Zone"], exclude_keywords=["drill"])
    assert names(EMBASSY_ROCKETS, rule, text="Rockets hit the green-zone") == ("k",)
    assert names(EMBASSY_ROCKETS, rule, text="Rockets hit the Green Zone during a drill") == ()
    assert names(EMBASSY_ROCKETS, rule, text="Rockets hit the greenhouse zone") == ()


def test_normalise_folds_case_accents_and_punctuation() -> None:
    assert normalise("Ayn al-Asad, Anbar") == "ayn al asad anbar"
    assert normalise("États-Unis") == "etats unis"


def item(title: str, text: str, day: str) -> Entry:
    published = datetime.fromisoformat(day).replace(hour=12, tzinfo=UTC)
    return Entry(guid=title, link=None, title=title, content=text, published=published)


def example(name: str) -> Detector:
    path: Path = REPO / "config" / "examples" / name
    return Detector(load_settings(path, environ={}).watch, today=date(2025, 1, 1))


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        (
            "Airstrike hits hospital in northern town, killing 12",
            "An airstrike hit the main hospital in the town on Tuesday, killing 12 patients and "
            "wounding 20, medical staff said.",
            ("attacks-on-health-care", "mass-casualty-health"),
        ),
        (
            "Gunmen attack clinic, wound nurse",
            "Gunmen opened fire on a rural clinic on Monday, wounding a nurse, officials said.",
            ("attacks-on-health-care",),
        ),
        (
            "Rockets hit army barracks",
            "Rockets hit an army barracks on Monday, killing two soldiers, officials said.",
            (),
        ),
    ],
)
def test_the_health_care_example_watches_attacks_on_hospitals_and_clinics(
    title: str, text: str, expected: tuple[str, ...]
) -> None:
    verdict = example("health-care.toml").detect(item(title, text, "2024-06-05"))
    assert verdict.is_attack
    assert verdict.watch == expected


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        (
            "Missile strikes cargo ship in the Red Sea",
            "A ballistic missile struck a Liberian-flagged cargo ship in the southern Red Sea on "
            "Sunday, setting it on fire, a maritime agency said. The crew was unhurt.",
            ("red-sea-shipping",),
        ),
        (
            "Drones fired at US destroyer in Red Sea",
            "Two drones were fired at a US destroyer in the Red Sea on Sunday and shot down, "
            "the Navy said.",
            ("warships-red-sea",),
        ),
        (
            "Tanker attacked in the Black Sea",
            "A tanker was hit by a drone in the Black Sea on Sunday, its owner said.",
            (),
        ),
    ],
)
def test_the_red_sea_example_watches_shipping_and_warships_there(
    title: str, text: str, expected: tuple[str, ...]
) -> None:
    verdict = example("red-sea-shipping.toml").detect(item(title, text, "2024-06-10"))
    assert verdict.is_attack
    assert verdict.watch == expected
