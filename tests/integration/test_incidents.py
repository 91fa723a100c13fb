"""One attack is one incident however many outlets report it (SQLite and PostgreSQL).

Verdicts are scripted (tests/scripted.py): these tests are about what happens after
detection, on attacks stated the way outlets disagree about them.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import date

from sqlmodel import col, select
from typer.testing import CliRunner

from monitor.cli import app
from monitor.pipeline import Pipeline
from monitor.records import Attack
from monitor.store import repository as repo
from monitor.store.database import Database
from monitor.store.models import Delivery, Incident, IncidentKey, Item, ItemIncident
from tests.integration.test_pipeline_store import SETTINGS
from tests.scripted import US_RULE, entry, feed, ingest_all, scripted_pipeline

DAY = date(2024, 5, 6)
ASAD = Attack(
    event_date=DAY,
    country="IQ",
    place="Ain al-Asad air base, Anbar province",
    site="ain al-asad air base",
    target_type="military",
    target_nationality="US",
    weapon="rocket",
    killed=0,
    watch=(US_RULE,),
)
ERBIL = replace(ASAD, place="Erbil air base", site="erbil air base")
WIRE = (
    "Rockets struck the Ain al-Asad air base in western Iraq late on Monday, a coalition "
    "spokesman said, adding that there were no casualties among American troops or Iraqi "
    "personnel. Three rockets landed inside the perimeter and one fell outside, the statement "
    "said. No group immediately claimed responsibility for the attack, the latest in a series "
    "on bases hosting US forces this year."
)
PLACES = ("Ain al-Asad air base", "al-Asad airbase", "Ayn al Asad", "Al Asad Air Base, Anbar")


def incidents(db: Database) -> list[Incident]:
    with db.session() as session:
        return list(session.exec(select(Incident).order_by(col(Incident.id))).all())


def alerts(db: Database) -> list[tuple[int | None, int | None, str]]:
    """Distinct (incident, revision, kind) of the deliveries queued."""
    with db.session() as session:
        rows = session.exec(select(Delivery.incident_id, Delivery.revision, Delivery.kind)).all()
    return sorted(set(rows), key=str)


def test_forty_reports_of_one_attack_make_one_incident_with_forty_sources_and_one_alert(
    db: Database,
) -> None:
    pipeline, detector = scripted_pipeline(SETTINGS, db)
    reports = []
    for n in range(40):
        # Outlets disagree on the count of rockets, the spelling, and (some) on the day.
        attack = replace(
            ASAD,
            place=PLACES[n % 4],
            site=None if n % 3 else ASAD.site,
            munitions=(3, 14, None)[n % 3],
            event_date=DAY if n % 5 else date(2024, 5, 7),
        )
        detector.say(f"r{n}", attack)
        text = f"Report {n}: rockets hit {PLACES[n % 4]}."
        reports.append((feed(db, f"outlet-{n}"), entry(f"r{n}", text, DAY)))
    ingest_all(pipeline, reports)
    [incident] = incidents(db)
    assert (incident.sources_count, incident.outlets_count) == (40, 40)
    assert incident.event_date == DAY
    assert incident.munitions == 14
    assert alerts(db) == [(incident.id, 1, "new")]


def test_a_later_report_with_a_higher_toll_updates_the_incident(db: Database) -> None:
    pipeline, detector = scripted_pipeline(SETTINGS, db)
    detector.say("early", replace(ASAD, killed=1))
    detector.say("later", replace(ASAD, killed=3, place="al-Asad airbase", site=None))
    ingest_all(
        pipeline,
        [
            (feed(db, "a"), entry("early", "One killed at Ain al-Asad.", DAY)),
            (feed(db, "b"), entry("later", "Toll rises to three at al-Asad.", DAY, hour=18)),
        ],
    )
    [incident] = incidents(db)
    assert (incident.killed, incident.revision, incident.figures["killed"]) == (3, 2, [1, 3])
    assert alerts(db) == [(incident.id, 1, "new"), (incident.id, 2, "update")]
    with db.session() as session:
        delivery = session.exec(select(Delivery).where(Delivery.kind == "update")).first()
    assert delivery is not None and delivery.payload["changes"] == ["killed: 1 -> 3"]


def test_the_same_base_on_two_days_a_week_apart_makes_two_incidents(db: Database) -> None:
    pipeline, detector = scripted_pipeline(SETTINGS, db)
    week_later = date(2024, 5, 13)
    detector.say("first", ASAD)
    detector.say("second", replace(ASAD, event_date=week_later))
    ingest_all(
        pipeline,
        [
            (feed(db, "a"), entry("first", "Rockets hit Ain al-Asad.", DAY)),
            (feed(db, "a"), entry("second", "Rockets hit Ain al-Asad again.", week_later)),
        ],
    )
    assert [i.event_date for i in incidents(db)] == [DAY, week_later]
    assert [kind for _, _, kind in alerts(db)] == ["new", "new"]


def test_two_bases_hit_the_same_day_make_two_incidents(db: Database) -> None:
    pipeline, detector = scripted_pipeline(SETTINGS, db)
    detector.say("asad", ASAD)
    detector.say("erbil", ERBIL)
    detector.say("erbil-2", replace(ERBIL, site=None, place="Erbil airport"))
    ingest_all(
        pipeline,
        [
            (feed(db, "a"), entry("asad", "Rockets hit Ain al-Asad.", DAY)),
            (feed(db, "b"), entry("erbil", "Rockets hit Erbil.", DAY)),
            (feed(db, "c"), entry("erbil-2", "Rockets also targeted Erbil airport.", DAY)),
        ],
    )
    assert [(i.site, i.sources_count) for i in incidents(db)] == [
        ("ain al-asad air base", 1),
        ("erbil air base", 2),
    ]


def test_a_syndicated_copy_is_stored_linked_and_never_alerted(db: Database) -> None:
    pipeline, detector = scripted_pipeline(SETTINGS, db)
    detector.say("wire", ASAD)
    # The copy's own extraction differs a little (no site): it still reports the original's.
    detector.say("copy", replace(ASAD, site=None, munitions=3))
    copy_text = "Share this article. BAGHDAD (Wire) - " + WIRE + " Read more."
    pipeline.ingest(feed(db, "wire"), [entry("wire", WIRE, DAY)])
    stats = pipeline.ingest(feed(db, "paper"), [entry("copy", copy_text, DAY)])
    assert (stats.new, stats.duplicates, stats.incidents_new, stats.deliveries) == (1, 1, 0, 0)
    [incident] = incidents(db)
    assert (incident.sources_count, incident.outlets_count) == (2, 2)
    with db.session() as session:
        exported = {
            i.guid: (i.duplicate_of_id, inc)
            for i, _, inc, _ in repo.iter_items_with_primary_incident(session)
        }
    wire_id = next(i.id for i in _items(db) if i.guid == "wire")
    assert exported == {"wire": (None, incident.id), "copy": (wire_id, incident.id)}
    assert len(alerts(db)) == 1


def test_a_verbatim_copy_under_another_link_is_linked_to_the_original(db: Database) -> None:
    pipeline, detector = scripted_pipeline(SETTINGS, db)
    detector.say("one", ASAD)
    detector.say("two", ASAD)
    pipeline.ingest(feed(db, "a"), [entry("one", "Rockets hit Ain al-Asad.", DAY)])
    stats = pipeline.ingest(feed(db, "b"), [entry("two", "Rockets hit Ain al-Asad.", DAY)])
    assert (stats.duplicates, stats.deliveries) == (1, 0)
    assert [i.sources_count for i in incidents(db)] == [2]


def test_copies_inside_one_batch_are_linked_like_copies_across_batches(db: Database) -> None:
    pipeline, detector = scripted_pipeline(SETTINGS, db)
    detector.say("one", ASAD)
    detector.say("two", ASAD)
    news = "Markets rallied on Monday as oil prices fell for a third day."
    batch = [
        entry("one", "Rockets hit Ain al-Asad.", DAY),
        entry("markets", news, DAY),
        entry("two", "Rockets hit Ain al-Asad.", DAY),
        entry("markets-copy", news, DAY),
    ]
    stats = pipeline.ingest(feed(db, "a"), batch)
    assert (stats.new, stats.duplicates, stats.incidents_new) == (4, 2, 1)
    [incident] = incidents(db)
    assert (incident.sources_count, incident.outlets_count) == (2, 1)
    assert len(alerts(db)) == 1
    ids = {i.guid: i.id for i in _items(db)}
    copies = {i.guid: i.duplicate_of_id for i in _items(db) if i.duplicate_of_id}
    assert copies == {"two": ids["one"], "markets-copy": ids["markets"]}
    with db.session() as session:
        linked = set(session.exec(select(ItemIncident.item_id)).all())
    assert linked == {ids["one"], ids["two"]}


def test_a_templated_bulletin_about_another_day_and_base_is_not_a_copy(db: Database) -> None:
    pipeline, detector = scripted_pipeline(SETTINGS, db)
    detector.say("monday", ASAD)
    detector.say("tuesday", replace(ERBIL, event_date=date(2024, 5, 7)))
    tuesday = WIRE.replace("Ain al-Asad", "Erbil").replace("Monday", "Tuesday")
    pipeline.ingest(feed(db, "bulletin"), [entry("monday", WIRE, DAY)])
    stats = pipeline.ingest(feed(db, "bulletin"), [entry("tuesday", tuesday, date(2024, 5, 7))])
    assert (stats.duplicates, stats.incidents_new) == (0, 1)
    assert len(incidents(db)) == 2


def test_a_round_up_links_to_each_attack_it_reports(db: Database) -> None:
    pipeline, detector = scripted_pipeline(SETTINGS, db)
    conoco = replace(
        ASAD, country="SY", place="Conoco gas field, Deir ez-Zor", site="conoco", weapon="drone"
    )
    detector.say("erbil", ERBIL)
    detector.say("roundup", ASAD, ERBIL, conoco)
    ingest_all(
        pipeline,
        [
            (feed(db, "a"), entry("erbil", "Rockets hit Erbil.", DAY)),
            (feed(db, "b"), entry("roundup", "Three attacks on US bases on Monday.", DAY)),
        ],
    )
    found = {i.site: i for i in incidents(db)}
    assert set(found) == {"erbil air base", "ain al-asad air base", "conoco"}
    assert found["erbil air base"].sources_count == 2
    with db.session() as session:
        links = session.exec(
            select(ItemIncident.incident_id, ItemIncident.attack_index, ItemIncident.is_primary)
            .join(Item, col(Item.id) == col(ItemIncident.item_id))
            .where(Item.guid == "roundup")
            .order_by(col(ItemIncident.attack_index))
        ).all()
        exported = {i.guid: inc for i, _, inc, _ in repo.iter_items_with_primary_incident(session)}
    assert [(i, p) for _, i, p in links] == [(0, True), (1, False), (2, False)]
    assert exported["roundup"] == found["ain al-asad air base"].id


def test_two_attacks_of_one_round_up_never_share_an_incident(db: Database) -> None:
    pipeline, detector = scripted_pipeline(SETTINGS, db)
    vague = replace(ASAD, place=None, site=None)
    detector.say("roundup", vague, vague)
    pipeline.ingest(feed(db, "a"), [entry("roundup", "Two rocket attacks on Monday.", DAY)])
    assert len(incidents(db)) == 2


def test_incident_keys_follow_the_reconciled_date(db: Database) -> None:
    pipeline, detector = scripted_pipeline(SETTINGS, db)
    detector.say("a", replace(ASAD, event_date=date(2024, 5, 7)))
    detector.say("b", ASAD)
    detector.say("c", replace(ASAD, site=None))
    ingest_all(
        pipeline,
        [(feed(db, n), entry(n, f"Rockets hit Ain al-Asad ({n}).", DAY)) for n in "abc"],
    )
    [incident] = incidents(db)
    with db.session() as session:
        dates = set(session.exec(select(IncidentKey.event_date).distinct()).all())
    assert incident.event_date == DAY and dates == {DAY}


def _items(db: Database) -> list[Item]:
    with db.session() as session:
        return list(session.exec(select(Item).order_by(col(Item.id))).all())


def ingest_two_fragments_and_the_report_that_ties_them(db: Database) -> Pipeline:
    """An archive item with no date and a dated one with no place make two incidents,
    until a report gives both the place and the date (a Monday, as the first says)."""
    pipeline, detector = scripted_pipeline(SETTINGS, db)
    detector.say("undated", replace(ASAD, event_date=None))
    detector.say("vague", replace(ASAD, place=None, site=None))
    detector.say("full", ASAD)
    undated = replace(entry("undated", "Rockets hit Ain al-Asad on Monday.", DAY), published=None)
    ingest_all(
        pipeline,
        [
            (feed(db, "archive"), undated),
            (feed(db, "wire"), entry("vague", "Rockets hit a base in Iraq.", DAY)),
            (
                feed(db, "paper"),
                entry("full", "On Monday rockets struck the Ain al-Asad base.", DAY),
            ),
        ],
    )
    return pipeline


def test_a_report_that_ties_two_incidents_together_merges_them(db: Database) -> None:
    ingest_two_fragments_and_the_report_that_ties_them(db)
    kept, gone = incidents(db)
    assert (kept.sources_count, kept.outlets_count, kept.event_date) == (3, 3, DAY)
    assert (gone.sources_count, gone.merged_into_id) == (0, kept.id)
    with db.session() as session:
        exported = {i.guid: inc for i, _, inc, _ in repo.iter_items_with_primary_incident(session)}
        keys = session.exec(select(IncidentKey).where(IncidentKey.incident_id == gone.id)).all()
    assert set(exported.values()) == {kept.id}
    assert keys == []
    # The export lists the incident that stands; the emptied one only when asked.
    env = {"MONITOR_DATABASE_URL": db.url}
    for flags, ids in (([], [kept.id]), (["--include-retired"], [kept.id, gone.id])):
        result = CliRunner().invoke(app, ["export", "incidents", *flags], env=env)
        assert result.exit_code == 0, result.output
        assert [int(json.loads(line)["id"]) for line in result.stdout.splitlines()] == ids
    # Each fragment was alerted once; the merge itself is not news.
    assert [(inc, kind) for inc, _, kind in alerts(db)] == [(kept.id, "new"), (gone.id, "new")]
