"""The pipeline stores items, incidents and deliveries in one go, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import func, select

from monitor.config import load_settings
from monitor.pipeline import Pipeline
from monitor.records import Entry
from monitor.store import repository as repo
from monitor.store.database import Database
from monitor.store.models import Delivery, Incident, Item, ItemIncident
from tests.conftest import REPO

SETTINGS = load_settings(REPO / "config" / "monitor.toml", environ={})
EMBASSY = Entry(
    guid="g-1",
    link="https://news.example.org/embassy?utm_source=feed",
    title="Rockets fired at US Embassy in Baghdad",
    content="Several rockets were fired at the US Embassy in Baghdad early on Friday, officials said.",
    published=datetime(2023, 12, 9, 9, tzinfo=UTC),
)
MARKET = Entry(
    guid="g-2",
    link="https://news.example.org/market",
    title="Markets rally",
    content="Stocks rose on Friday.",
    published=datetime(2023, 12, 9, 9, tzinfo=UTC),
)


def count(db: Database, model: type) -> int:
    with db.session() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def feed_id(db: Database, name: str = "test") -> int:
    with db.session() as session:
        feed = repo.source_feed(session, name, path=f"/tmp/{name}.xml")
        assert feed.id is not None
        return feed.id


def test_migrations_bring_an_empty_database_to_the_latest_revision(db: Database) -> None:
    assert db.current_revision() is not None
    db.upgrade()  # a second upgrade is a no-op


def test_an_attack_report_becomes_an_item_an_incident_and_alerts(db: Database) -> None:
    stats = Pipeline(SETTINGS, db).ingest(feed_id(db), [EMBASSY, MARKET])
    assert (stats.new, stats.attacks, stats.relevant, stats.incidents_new) == (2, 1, 1, 1)
    assert count(db, Item) == 2
    assert count(db, Incident) == 1
    assert count(db, ItemIncident) == 1
    # the default config: one delivery to the console and one to var/outbox
    assert count(db, Delivery) == 2


def test_ingesting_the_same_entries_again_adds_and_alerts_nothing(db: Database) -> None:
    pipeline = Pipeline(SETTINGS, db)
    fid = feed_id(db)
    pipeline.ingest(fid, [EMBASSY, MARKET])
    again = pipeline.ingest(fid, [EMBASSY, MARKET])
    assert (again.new, again.deliveries) == (0, 0)
    assert count(db, Item) == 2
    assert count(db, Delivery) == 2


def test_the_same_link_in_another_feed_is_stored_once(db: Database) -> None:
    pipeline = Pipeline(SETTINGS, db)
    pipeline.ingest(feed_id(db, "a"), [EMBASSY])
    copy = Entry(
        guid="other-guid",
        link="https://news.example.org/embassy",
        title=EMBASSY.title,
        content=EMBASSY.content,
        published=EMBASSY.published,
    )
    stats = pipeline.ingest(feed_id(db, "b"), [copy])
    assert (stats.new, stats.duplicates) == (0, 1)
    assert count(db, Item) == 1


def test_a_failed_batch_leaves_nothing_half_written(db: Database) -> None:
    pipeline = Pipeline(SETTINGS, db)

    class BoomError(Exception):
        pass

    def exploding_detect(entry: Entry):  # type: ignore[no-untyped-def]
        if entry.guid == "g-2":
            raise BoomError
        return original(entry)

    original = pipeline.detector.detect
    pipeline.detector.detect = exploding_detect  # type: ignore[method-assign]
    with pytest.raises(BoomError):
        pipeline.ingest(feed_id(db), [EMBASSY, MARKET])
    assert count(db, Item) == 0
    assert count(db, Incident) == 0
    assert count(db, Delivery) == 0
