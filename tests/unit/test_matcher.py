"""Which incident a report belongs to: the hard cases of issue 5, as attack records.

Each test states what two outlets reported and whether that is one attack or two.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

import pytest

from monitor.incidents.matcher import Report, decide, decide_all, score
from monitor.incidents.reconcile import reconcile
from monitor.records import Attack
from monitor.store.models import Incident

ASAD = Attack(
    event_date=date(2024, 5, 6),
    country="IQ",
    place="Ain al-Asad air base, Anbar province",
    site="ain al-asad air base",
    target_type="military",
    target_nationality="US",
    weapon="rocket",
    munitions=3,
    killed=0,
)


def incident(*reports: Attack | Report, id_: int = 1, **fields: Any) -> Incident:
    """An incident built from reports, the way the assigner builds it."""
    row = Incident(id=id_, revision=1, **fields)
    for report in reports:
        reconcile(row, report)
    return row


def test_a_report_of_the_same_attack_with_other_figures_joins() -> None:
    # "at least three rockets" vs "14 Katyusha rockets", one injured in the later report
    later = replace(ASAD, munitions=14, injured=1, place="al-Asad airbase", site=None)
    found = decide(later, [incident(ASAD)])
    assert found is not None
    assert found[1].where and found[1].same_day


def test_spellings_of_one_base_are_the_same_place() -> None:
    for place in ("Ayn al Asad airbase", "Al Asad Air Base, western Iraq", "Ain Al-Assad"):
        report = replace(ASAD, place=place, site=None)
        assert score(report, incident(ASAD)).where, place


def test_the_same_base_a_week_later_is_another_attack() -> None:
    week_later = replace(ASAD, event_date=date(2024, 5, 13))
    assert score(week_later, incident(ASAD)).vetoed
    assert decide(week_later, [incident(ASAD)]) is None


def test_the_same_base_two_days_later_with_another_weapon_is_another_attack() -> None:
    # "Rockets hit the base on Thursday, two days after drones targeted it"
    drones = replace(ASAD, weapon="drone", munitions=2)
    rockets = replace(ASAD, event_date=date(2024, 5, 8))
    assert score(rockets, incident(drones)).days_apart_and_different
    assert decide(rockets, [incident(drones)]) is None
    # the same weapon two days apart may still be one attack dated differently
    assert decide(replace(drones, event_date=date(2024, 5, 8)), [incident(drones)]) is not None


def test_another_base_the_same_day_is_another_attack() -> None:
    erbil = replace(ASAD, place="Erbil air base", site="erbil air base")
    assert score(erbil, incident(ASAD)).vetoed  # two named sites
    unnamed = replace(erbil, site=None)
    assert decide(unnamed, [incident(ASAD)]) is None  # place words disagree


def test_another_country_or_attacked_nationality_rules_a_candidate_out() -> None:
    assert score(replace(ASAD, country="SY"), incident(ASAD)).vetoed
    assert score(replace(ASAD, target_nationality="TR"), incident(ASAD)).vetoed


def test_a_vague_report_on_a_busy_day_starts_its_own_incident() -> None:
    vague = replace(ASAD, place=None, site=None)
    erbil = replace(ASAD, place="Erbil air base", site="erbil air base")
    assert decide(vague, [incident(ASAD)]) is not None  # the only attack that day
    assert decide(vague, [incident(ASAD, id_=1), incident(erbil, id_=2)]) is None


def test_half_shared_place_words_need_the_same_day() -> None:
    sarsang = Attack(
        event_date=date(2025, 7, 15),
        country="IQ",
        place="Sarsang oil field, Duhok province",
        target_type="energy infrastructure",
        weapon="drone",
    )
    tawke = replace(sarsang, place="Tawke oil field, Duhok province")
    assert score(tawke, incident(sarsang)).place == "nearby"
    assert decide(tawke, [incident(sarsang)]) is not None
    next_day = replace(tawke, event_date=date(2025, 7, 16))
    assert decide(next_day, [incident(sarsang)]) is None


def test_an_undated_report_matches_through_its_publication_day() -> None:
    undated = Report(replace(ASAD, event_date=None), published=date(2024, 5, 7))
    assert decide(undated, [incident(ASAD)]) is not None
    months_later = Report(replace(ASAD, event_date=None), published=date(2024, 9, 1))
    assert decide(months_later, [incident(ASAD)]) is None


def test_with_no_date_anywhere_only_a_strong_place_match_joins() -> None:
    undated = replace(ASAD, event_date=None)
    assert decide(replace(undated, site=None, place=None), [incident(undated)]) is None
    assert decide(undated, [incident(undated)]) is not None


def test_very_different_death_tolls_count_against_a_match() -> None:
    few = replace(ASAD, killed=2, place="Idlib", site=None, weapon="airstrike")
    many = replace(few, killed=33, event_date=date(2024, 5, 7))
    assert decide(many, [incident(few)]) is None


def test_ties_go_to_the_oldest_incident() -> None:
    found = decide(ASAD, [incident(ASAD, id_=7), incident(ASAD, id_=3)])
    assert found is not None and found[0].id == 3


def test_the_incidents_of_the_same_item_are_excluded() -> None:
    assert decide(ASAD, [incident(ASAD, id_=1)], exclude=[1]) is None


@pytest.mark.parametrize(
    ("weapon", "other", "points"),
    [("rocket", "rocket", 1.0), ("missile", "cruise missile", 0.5), ("drone", "gunfire", -1.0)],
)
def test_weapons_agree_or_disagree(weapon: str, other: str, points: float) -> None:
    evidence = dict(
        score(replace(ASAD, weapon=weapon), incident(replace(ASAD, weapon=other))).evidence
    )
    assert points == next(v for k, v in evidence.items() if "weapon" in k)


def test_the_explanation_lists_the_evidence() -> None:
    text = score(ASAD, incident(ASAD)).explain()
    assert "same site +3.0" in text and "date: same day +2.0" in text


def named(attack: Attack, *names_: str, weekdays: frozenset[int] = frozenset()) -> Report:
    return Report(attack, names=frozenset(names_), weekdays=weekdays)


def test_an_undated_report_joins_a_dated_incident_only_if_its_weekday_fits() -> None:
    undated = replace(ASAD, event_date=None)  # 2024-05-06 was a Monday
    on_monday = named(undated, "asad", weekdays=frozenset({0}))
    on_friday = named(undated, "asad", weekdays=frozenset({4}))
    no_day = named(undated, "asad")
    assert decide(on_monday, [incident(ASAD)]) is not None
    assert decide(on_friday, [incident(ASAD)]) is None
    assert decide(no_day, [incident(ASAD)]) is None


def test_an_undated_reports_weekday_may_be_the_statements_next_day_but_not_the_day_before() -> None:
    # Attack on Monday: "the military said on Tuesday" fits; "on Sunday" is another attack.
    undated = replace(ASAD, event_date=None)
    said_next_day = named(undated, "asad", weekdays=frozenset({1}))
    day_before = named(undated, "asad", weekdays=frozenset({6}))
    assert decide(said_next_day, [incident(ASAD)]) is not None
    assert decide(day_before, [incident(ASAD)]) is None


def test_an_undated_report_cannot_choose_between_two_attacks_on_one_base() -> None:
    later = replace(ASAD, event_date=date(2024, 5, 13))  # also a Monday
    report = named(replace(ASAD, event_date=None), weekdays=frozenset({0}))
    assert decide(report, [incident(ASAD, id_=1), incident(later, id_=2)]) is None


def test_shared_proper_names_place_reports_that_give_no_place() -> None:
    vague = replace(ASAD, event_date=None, place=None, site=None)
    first = Report(vague, names=frozenset({"conoco", "sdf"}), weekdays=frozenset({2}))
    second = Report(vague, names=frozenset({"conoco"}), weekdays=frozenset({2}))
    found = score(second, incident(first))
    assert found.where and not found.dated


def test_names_many_candidates_of_different_days_share_do_not_place_a_report() -> None:
    report = named(replace(ASAD, place=None, site=None), "baghdad")
    others = [
        incident(named(replace(ASAD, event_date=date(2024, 5, d)), "baghdad"), id_=d)
        for d in (1, 6, 20)
    ]
    from monitor.incidents.evidence import crowded_names

    assert crowded_names(report.names, others) == {"baghdad"}


def test_a_report_that_matches_two_fragments_of_one_attack_merges_them() -> None:
    dated_vague = replace(ASAD, place=None, site=None, killed=None)
    undated_named = named(replace(ASAD, event_date=None), "asad", weekdays=frozenset({0}))
    fragments = [incident(dated_vague, id_=1), incident(undated_named, id_=2)]
    found = decide_all(named(ASAD, "asad", weekdays=frozenset({0})), fragments)
    assert found is not None
    assert {found.incident.id, *(m.id for m in found.merge)} == {1, 2}


def test_fragments_of_different_attacks_are_not_merged() -> None:
    erbil = replace(ASAD, place="Erbil air base", site="erbil air base")
    both = [incident(ASAD, id_=1), incident(erbil, id_=2)]
    found = decide_all(replace(ASAD, place=None, site=None), both)
    assert found is None  # a vague report on a day with two attacks: its own incident


def test_a_day_of_the_month_tells_two_attacks_on_one_base_apart() -> None:
    later = replace(ASAD, event_date=date(2024, 6, 3))  # also a Monday
    report = Report(
        replace(ASAD, event_date=None),
        weekdays=frozenset({0}),
        month_days=frozenset({(6, 3)}),
    )
    found = decide(report, [incident(ASAD, id_=1), incident(later, id_=2)])
    assert found is not None and found[0].id == 2
