"""``monitor reprocess`` rebuilds verdicts and incidents deterministically, alerting nobody twice."""

from __future__ import annotations

from dataclasses import replace

from sqlmodel import col, select

from monitor.config import WatchRule
from monitor.records import Attack
from monitor.reprocess import reprocess
from monitor.store import repository as repo
from monitor.store.database import Database
from monitor.store.models import Delivery, Incident
from tests.integration.test_incidents import (
    ASAD,
    DAY,
    ERBIL,
    WIRE,
    ingest_two_fragments_and_the_report_that_ties_them,
)
from tests.integration.test_pipeline_store import SETTINGS
from tests.scripted import entry, feed, ingest_all, scripted_pipeline

TURKISH_BASE = Attack(
    event_date=DAY,
    country="IQ",
    place="Zilkan base, Bashiqa",
    target_type="military",
    target_nationality="TR",
    weapon="rocket",
)


def state(db: Database) -> list[tuple[int | None, int, str | None, int, bool]]:
    """Each incident's id, revision, site, sources and relevance; every item's incident."""
    with db.session() as session:
        rows = session.exec(select(Incident).order_by(col(Incident.id))).all()
        incidents = [(i.id, i.revision, i.site, i.sources_count, i.relevant) for i in rows]
        items = [(i.guid, inc) for i, _, inc, _ in repo.iter_items_with_primary_incident(session)]
    return [*incidents, *items]  # type: ignore[list-item]


def deliveries(db: Database) -> list[tuple[int | None, int | None, str]]:
    with db.session() as session:
        rows = session.exec(select(Delivery.incident_id, Delivery.revision, Delivery.kind)).all()
    return sorted(set(rows), key=str)


def stored(db: Database):  # type: ignore[no-untyped-def]
    pipeline, detector = scripted_pipeline(SETTINGS, db)
    detector.say("asad", ASAD)
    detector.say("asad-later", replace(ASAD, killed=2, site=None, place="al-Asad airbase"))
    detector.say("erbil", ERBIL)
    detector.say("copy", replace(ERBIL, site=None))
    detector.say("turkish", TURKISH_BASE)
    ingest_all(
        pipeline,
        [
            (feed(db, "a"), entry("asad", "Rockets hit Ain al-Asad.", DAY)),
            (feed(db, "b"), entry("erbil", WIRE.replace("Ain al-Asad", "Erbil"), DAY)),
            (feed(db, "c"), entry("asad-later", "Two killed at al-Asad.", DAY, hour=20)),
            (feed(db, "d"), entry("copy", "Shared: " + WIRE.replace("Ain al-Asad", "Erbil"), DAY)),
            (feed(db, "e"), entry("turkish", "Rockets hit a Turkish base.", DAY)),
        ],
    )
    return pipeline, detector


def test_reprocessing_unchanged_data_rebuilds_the_same_incidents_and_alerts_nobody(
    db: Database,
) -> None:
    pipeline, _ = stored(db)
    before, sent = state(db), deliveries(db)
    summary = reprocess(pipeline, alerts=True)
    assert state(db) == before
    assert deliveries(db) == sent
    assert (summary.items, summary.incidents_before, summary.incidents_after) == (5, 3, 3)
    assert (summary.kept, summary.new, summary.deleted, summary.duplicates) == (3, 0, 0, 1)


def test_reprocessing_twice_gives_the_same_result(db: Database) -> None:
    pipeline, _ = stored(db)
    reprocess(pipeline)
    once = state(db)
    reprocess(pipeline)
    assert state(db) == once


def test_a_new_rule_makes_an_incident_relevant_and_only_it_is_alerted(db: Database) -> None:
    pipeline, detector = stored(db)
    sent = deliveries(db)
    assert {inc for inc, _, _ in sent} == {1, 2}  # the Turkish base (3) hit no rule
    # The analyst adds a rule for Turkish bases; the (scripted) detector now says so.
    rule = WatchRule(name="turkish-bases", target_nationalities=["TR"], target_types=["military"])
    pipeline.settings = SETTINGS.model_copy(update={"watch": [*SETTINGS.watch, rule]})
    detector.say("turkish", replace(TURKISH_BASE, watch=("turkish-bases",)))
    summary = reprocess(pipeline, alerts=True)
    new = [d for d in deliveries(db) if d not in sent]
    turkish = next(i for i in state(db)[:3] if not i[2])  # type: ignore[index]
    assert {(inc, kind) for inc, _, kind in new} == {(turkish[0], "new")}
    assert summary.relevant_after == summary.relevant_before + 1
    assert summary.alerts == len([d for d in _all_deliveries(db) if d.incident_id == turkish[0]])


def test_without_alerts_reprocessing_sends_nothing(db: Database) -> None:
    pipeline, detector = stored(db)
    sent = deliveries(db)
    detector.say("turkish", replace(TURKISH_BASE, watch=("us-diplomatic-military",)))
    summary = reprocess(pipeline)
    assert summary.alerts == 0 and deliveries(db) == sent


def test_incidents_that_merge_keep_the_older_id_and_the_alerted_one_is_retired(
    db: Database,
) -> None:
    pipeline, detector = stored(db)
    # A better detector recognises the Erbil reports as Ain al-Asad ones (same base).
    detector.say("erbil", ASAD)
    detector.say("copy", ASAD)
    summary = reprocess(pipeline)
    assert (summary.incidents_after, summary.retired, summary.deleted) == (2, 1, 0)
    with db.session() as session:
        shown = {i.id for i in repo.list_incidents(session, include_retired=False)}
        retired = session.get(Incident, 2)
    assert shown == {1, 3}
    assert retired is not None and retired.sources_count == 0
    again = scripted_pipeline(SETTINGS, db)[0]
    # A retired incident is never a candidate: a new Erbil report starts a new incident.
    again.detector.say("erbil-3", ERBIL)  # type: ignore[attr-defined]
    again.ingest(feed(db, "f"), [entry("erbil-3", "Erbil again.", DAY)])
    with db.session() as session:
        assert session.get(Incident, 2).sources_count == 0  # type: ignore[union-attr]


def test_a_dry_run_changes_nothing(db: Database) -> None:
    pipeline, detector = stored(db)
    before = state(db)
    detector.say("erbil", ASAD)
    summary = reprocess(pipeline, dry_run=True)
    assert summary.dry_run and summary.incidents_after == 2
    assert state(db) == before


def _all_deliveries(db: Database) -> list[Delivery]:
    with db.session() as session:
        return list(session.exec(select(Delivery)).all())


def test_incidents_merged_at_ingest_are_rebuilt_under_the_same_id(db: Database) -> None:
    pipeline = ingest_two_fragments_and_the_report_that_ties_them(db)
    before = state(db)
    reprocess(pipeline)
    after = state(db)
    assert after[0] == before[0] and after[2:] == before[2:]  # the incident, the items
    with db.session() as session:
        merged = session.get(Incident, 2)
    assert merged is not None and (merged.sources_count, merged.merged_into_id) == (0, 1)
