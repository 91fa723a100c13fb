"""An incident's fields come from all its reports; material changes are named."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from monitor.incidents.matcher import Report
from monitor.incidents.reconcile import reconcile, sentences, summary_of, title_for
from monitor.records import Attack
from monitor.store.models import Incident

FIRST = Attack(
    event_date=date(2024, 5, 6),
    country="IQ",
    place="Camp Taji",
    target_type="military",
    target_nationality="US",
    weapon="unknown",
)


def built(*reports: Attack | Report) -> tuple[Incident, list[list[str]]]:
    incident = Incident(id=1, revision=1)
    changes = [reconcile(incident, r) for r in reports]
    return incident, changes


def test_the_most_reported_date_wins_ties_go_to_the_earliest() -> None:
    next_day = replace(FIRST, event_date=date(2024, 5, 7))
    incident, _ = built(next_day, FIRST)
    assert incident.event_date == date(2024, 5, 6)
    incident, _ = built(next_day, next_day, FIRST)
    assert incident.event_date == date(2024, 5, 7)
    assert incident.tally["dates"] == {"2024-05-07": 2, "2024-05-06": 1}


def test_the_highest_toll_is_kept_with_the_range_reported() -> None:
    incident, _ = built(
        replace(FIRST, killed=3), replace(FIRST, killed=5), replace(FIRST, killed=4)
    )
    assert incident.killed == 5
    assert incident.figures["killed"] == [3, 5]


def test_first_deaths_a_higher_toll_a_claim_and_the_weapon_are_material() -> None:
    _, changes = built(
        FIRST,
        replace(FIRST, killed=2),
        replace(FIRST, killed=5, injured=0),
        replace(FIRST, perpetrator="Kataib Hezbollah", perpetrator_status="claimed"),
        replace(FIRST, weapon="rocket"),
    )
    assert changes == [
        [],
        ["first deaths: 2 killed"],
        ["killed: 2 -> 5"],
        ["claimed by Kataib Hezbollah"],
        ["weapon: rocket"],
    ]


def test_a_lower_toll_or_a_repeat_changes_nothing_material() -> None:
    _, changes = built(replace(FIRST, killed=5), replace(FIRST, killed=3), replace(FIRST, killed=5))
    assert changes[1:] == [[], []]


def test_a_claim_outranks_a_suspicion() -> None:
    suspected = replace(FIRST, perpetrator="ISIS", perpetrator_status="suspected")
    claimed = replace(FIRST, perpetrator="Islamic State", perpetrator_status="claimed")
    incident, _ = built(suspected, suspected, claimed)
    assert (incident.perpetrator, incident.perpetrator_status) == ("Islamic State", "claimed")


def test_the_order_of_reports_does_not_change_the_result() -> None:
    reports = [
        replace(FIRST, killed=1, weapon="rocket"),
        replace(FIRST, killed=3, event_date=date(2024, 5, 7), place="Taji base"),
        replace(FIRST, injured=12, weapon="rocket"),
    ]
    forward, _ = built(*reports)
    backward, _ = built(*reversed(reports))
    fields = ("event_date", "weapon", "killed", "injured", "figures")
    assert [getattr(forward, f) for f in fields] == [getattr(backward, f) for f in fields]


def test_title_and_summary_come_from_the_reports() -> None:
    report = Report(
        replace(FIRST, weapon="rocket"),
        title="Rockets hit Camp Taji",
        lede="Rockets hit Camp Taji on Monday, said Col. Ann Smith. Nobody was hurt.",
    )
    incident, _ = built(report)
    assert incident.title == "Rocket attack on US military target, Camp Taji (IQ)"
    assert incident.summary.startswith("Rockets hit Camp Taji on Monday, said Col. Ann Smith.")


def test_a_title_names_the_target_once_when_the_place_repeats_it() -> None:
    base = Attack(country="SY", place="eastern Syria, Mission Support Site Conoco", weapon="rocket")
    attack = replace(base, target="Mission Support Site Conoco")
    assert title_for(attack) == "Rocket attack on Mission Support Site Conoco, eastern Syria (SY)"
    alone = Attack(country="IQ", place="Ain al-Asad Air Base", target="Ain al-Asad Air Base")
    assert title_for(alone) == "Attack on Ain al-Asad Air Base (IQ)"


def test_sentences_are_not_cut_after_abbreviations() -> None:
    text = "The U.S. Embassy was hit. Col. Ann Smith said so. Nobody was hurt."
    assert sentences(text) == [
        "The U.S. Embassy was hit.",
        "Col. Ann Smith said so.",
        "Nobody was hurt.",
    ]
    assert len(summary_of("A long sentence. " * 100)) <= 320
