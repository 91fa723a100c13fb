"""Backfill: every kind of source, date filters, idempotency, digests, bad records."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlmodel import func, select

from monitor.backfill import run_backfill
from monitor.config import Settings
from monitor.errors import SourceError
from monitor.pipeline import Pipeline
from monitor.store.database import Database
from monitor.store.models import Delivery, Feed, Item
from tests.conftest import make_settings
from tests.feedgen import attack, filler, opml, rss, write_jsonl
from tests.servers import HTTPTestServer, Response

SETTINGS = make_settings(
    fetch={"allow_private_networks": True},
    watch=[
        {
            "name": "us-diplomatic-military",
            "target_types": ["diplomatic", "military"],
            "target_nationalities": ["US"],
        }
    ],
    channels=[{"name": "desk", "type": "file", "directory": "unused"}],
    subscriptions=[{"name": "desk", "channel": "desk", "mode": "both"}],
)


def count(db: Database, model: type) -> int:
    with db.session() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def backfill(db: Database, specs: list[str], settings: Settings = SETTINGS, **kw):  # type: ignore[no-untyped-def]
    return run_backfill(Pipeline(settings, db), specs, **kw)


def test_a_feed_file_is_read_once_and_a_second_run_adds_and_alerts_nothing(
    db: Database, tmp_path: Path
) -> None:
    feed = tmp_path / "wire.xml"
    feed.write_bytes(rss("Wire", [attack(0), attack(1), filler(2)]))
    first = backfill(db, [str(feed)])
    assert (first.stats.read, first.stats.new, first.stats.incidents_new) == (3, 3, 2)
    assert first.digests == 1, "one summary digest instead of an alert per incident"
    assert count(db, Delivery) == 1
    second = backfill(db, [str(feed)])
    assert (second.stats.read, second.stats.new, second.digests) == (3, 0, 0)
    assert count(db, Item) == 3 and count(db, Delivery) == 1


def test_no_alerts_queues_nothing_and_immediate_queues_one_per_incident(
    db: Database, tmp_path: Path
) -> None:
    feed = tmp_path / "wire.xml"
    feed.write_bytes(rss("Wire", [attack(0), attack(1)]))
    assert backfill(db, [str(feed)], alerts="none").digests == 0
    assert count(db, Delivery) == 0
    other = tmp_path / "other.xml"
    other.write_bytes(rss("Other", [attack(5), attack(6)]))
    backfill(db, [str(other)], alerts="immediate")
    assert count(db, Delivery) == 2


def test_since_and_until_keep_items_published_in_between(db: Database, tmp_path: Path) -> None:
    feed = tmp_path / "wire.xml"
    # weeks 0..3: 5, 12, 19, 26 January 2024
    feed.write_bytes(rss("Wire", [attack(n) for n in range(4)]))
    summary = backfill(
        db,
        [str(feed)],
        since=datetime(2024, 1, 12, tzinfo=UTC),
        until=datetime(2024, 1, 20, tzinfo=UTC),
    )
    assert (summary.stats.read, summary.stats.new, summary.outside_dates) == (4, 2, 2)
    with db.session() as session:
        assert sorted(session.exec(select(Item.guid)).all()) == ["attack-1", "attack-2"]
    # The rest comes in with a wider window; what is stored is not stored twice.
    assert backfill(db, [str(feed)]).stats.new == 2


def test_json_lines_archives_are_read_with_their_dates(db: Database, tmp_path: Path) -> None:
    archive = write_jsonl(tmp_path / "archive.jsonl", [attack(0), filler(1), attack(2)])
    summary = backfill(db, [str(archive)], since=datetime(2024, 1, 10, tzinfo=UTC))
    assert (summary.stats.new, summary.outside_dates, summary.stats.relevant) == (1, 2, 1)
    with db.session() as session:
        item = session.exec(select(Item)).one()
    assert item.link == "https://news.example.org/attacks/2"
    assert item.published == datetime(2024, 1, 19, 9, tzinfo=UTC)


def test_bad_json_lines_are_skipped_and_reported_with_their_line(
    db: Database, tmp_path: Path
) -> None:
    archive = write_jsonl(
        tmp_path / "archive.jsonl",
        [attack(0)],
        extra_lines=("{not json", "[1, 2]", '{"url": "https://x.example/empty"}'),
    )
    summary = backfill(db, [str(archive)])
    assert summary.stats.new == 1
    assert not summary.complete
    assert [p.split(": ", 1)[0] for p in summary.rejected] == [
        f"{archive}:2",
        f"{archive}:3",
        f"{archive}:4",
    ]
    assert "not JSON" in summary.rejected[0]


def test_opml_lists_feed_urls_and_relative_files(
    db: Database, tmp_path: Path, http_server: HTTPTestServer
) -> None:
    http_server.route("/wire.xml", Response(body=rss("Wire", [attack(0)])))
    (tmp_path / "feeds").mkdir()
    (tmp_path / "feeds" / "local.xml").write_bytes(rss("Local", [filler(1), filler(2)]))
    listing = tmp_path / "list.opml"
    listing.write_text(opml([("Wire", http_server.url("/wire.xml")), ("Local", "feeds/local.xml")]))
    summary = backfill(db, [str(listing)])
    assert (summary.sources, summary.stats.new, summary.stats.relevant) == (2, 3, 1)
    assert summary.complete


def test_a_url_backfill_lands_in_the_polled_feed_of_that_url(
    db: Database, http_server: HTTPTestServer
) -> None:
    http_server.route("/wire.xml", Response(body=rss("Wire", [attack(0)])))
    with db.session() as session:
        session.add(Feed(name="wire", url=http_server.url("/wire.xml")))
    backfill(db, [http_server.url("/wire.xml")])
    with db.session() as session:
        assert [f.name for f in session.exec(select(Feed)).all()] == ["wire"]


def test_a_directory_is_read_file_by_file_and_an_unreadable_one_is_reported(
    db: Database, tmp_path: Path
) -> None:
    (tmp_path / "a.xml").write_bytes(rss("A", [attack(0)]))
    (tmp_path / "b.rss").write_bytes(b"this is not a feed")
    write_jsonl(tmp_path / "c.jsonl", [filler(3)])
    (tmp_path / "notes.txt").write_text("ignored")
    summary = backfill(db, [str(tmp_path)])
    assert (summary.sources, summary.stats.new) == (3, 2)
    assert len(summary.failed_sources) == 1 and "b.rss" in summary.failed_sources[0]


def test_a_missing_source_stops_the_run_before_anything_is_read(
    db: Database, tmp_path: Path
) -> None:
    feed = tmp_path / "wire.xml"
    feed.write_bytes(rss("Wire", [attack(0)]))
    with pytest.raises(SourceError, match=r"nowhere\.jsonl: no such file"):
        backfill(db, [str(feed), str(tmp_path / "nowhere.jsonl")])
    assert count(db, Item) == 0


def test_a_large_archive_is_stored_in_bounded_batches(
    db: Database, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("monitor.backfill.BATCH_SIZE", 50)
    stories = [filler(n) for n in range(120)]
    archive = write_jsonl(tmp_path / "big.jsonl", stories)
    batches: list[int] = []

    class Spy:
        def started(self, sources: int) -> None:
            pass

        def batch(self, source: object, read: int, summary: object) -> None:
            batches.append(read)

        def source_done(self, source: object) -> None:
            pass

    summary = backfill(db, [str(archive)], alerts="none", progress=Spy())
    assert summary.stats.new == 120
    assert batches == [50, 50, 20], "read and stored a batch at a time, never all at once"


def test_a_feed_file_over_the_size_cap_is_skipped_with_what_to_do(
    sqlite_db: Database, tmp_path: Path
) -> None:
    big = tmp_path / "big.xml"
    big.write_bytes(rss("Big", [filler(n) for n in range(40)]))
    small = make_settings(fetch={"max_response_bytes": 2048})
    summary = backfill(sqlite_db, [str(big)], small)
    assert summary.stats.read == 0
    [failure] = summary.failed_sources
    assert "big.xml" in failure and "JSON Lines" in failure
