"""Leases that split work between processes, and retention, on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from monitor.alerts.channels import SendResult
from monitor.alerts.digest import digest_payload
from monitor.alerts.dispatcher import Dispatcher
from monitor.alerts.render import Rendered
from monitor.daemon.housekeeping import purge_old_items
from monitor.store import repository as repo
from monitor.store.database import Database
from monitor.store.models import Delivery, Feed, Incident, Item, ItemIncident
from tests.conftest import make_settings

NOW = datetime(2024, 6, 1, 12, tzinfo=UTC)
LEASE = timedelta(minutes=5)


def add_feeds(db: Database, n: int, *, next_poll_at: datetime | None = None) -> None:
    with db.session() as session:
        for i in range(n):
            session.add(
                Feed(
                    name=f"feed-{i:03}",
                    url=f"https://example.org/{i}.xml",
                    next_poll_at=next_poll_at,
                    created_at=NOW - timedelta(hours=1),
                )
            )


def claim(db: Database, owner: str, *, now: datetime = NOW, limit: int = 10_000) -> set[str]:
    with db.session() as session:
        feeds = repo.claim_due_feeds(session, now, owner, now + LEASE, limit=limit)
        return {f.name for f in feeds}


# --- feed leases -----------------------------------------------------------------------


def test_a_claimed_feed_is_not_claimed_again_while_its_lease_runs(db: Database) -> None:
    add_feeds(db, 10)
    first = claim(db, "a", limit=6)
    second = claim(db, "b")
    assert len(first) == 6 and len(second) == 4
    assert not first & second
    assert claim(db, "c", now=NOW + LEASE - timedelta(seconds=1)) == set()


def test_the_feeds_of_a_process_that_died_are_taken_over_when_its_lease_expires(
    db: Database,
) -> None:
    add_feeds(db, 3)
    assert len(claim(db, "dead")) == 3
    assert claim(db, "alive", now=NOW + LEASE + timedelta(seconds=1)) == {
        "feed-000",
        "feed-001",
        "feed-002",
    }


def test_a_clean_stop_releases_its_leases_at_once(db: Database) -> None:
    add_feeds(db, 4)
    claim(db, "stopping", limit=3)
    with db.session() as session:
        assert repo.release_feed_leases(session, "stopping") == 3
    assert len(claim(db, "other")) == 4


def test_feeds_not_yet_due_and_disabled_feeds_are_not_claimed(db: Database) -> None:
    add_feeds(db, 2, next_poll_at=NOW + timedelta(minutes=1))
    with db.session() as session:
        session.add(Feed(name="off", url="https://example.org/off.xml", enabled=False))
    assert claim(db, "a") == set()


@pytest.mark.postgres
def test_processes_claiming_at_the_same_moment_get_disjoint_feeds(postgres_db: Database) -> None:
    add_feeds(postgres_db, 300)
    owners = [f"p{i}" for i in range(6)]
    start = threading.Barrier(len(owners))
    claimed: dict[str, set[str]] = {}

    def worker(owner: str) -> None:
        start.wait()
        got: set[str] = set()
        while batch := claim(postgres_db, owner, limit=20):
            got |= batch
        claimed[owner] = got

    threads = [threading.Thread(target=worker, args=(o,)) for o in owners]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    everything = [name for names in claimed.values() for name in names]
    assert len(everything) == 300 == len(set(everything)), "each feed claimed exactly once"
    assert sum(1 for names in claimed.values() if names) > 1, "the work was shared"


# --- delivery leases -------------------------------------------------------------------


class Recorder:
    """A channel that records what it is asked to send."""

    name = "rec"

    def __init__(self) -> None:
        self.sent: list[str] = []

    def send(self, payload: dict[str, object], rendered: Rendered) -> SendResult:
        self.sent.append(str(payload["idempotency_key"]))
        return SendResult(ok=True, detail="recorded")


def test_a_delivery_claimed_by_a_dead_process_is_sent_by_another_after_its_lease(
    db: Database,
) -> None:
    settings = make_settings(daemon={"lease_ttl": "5m"})
    with db.session() as session:
        sub = settings.effective_subscriptions()[0]
        payload = digest_payload(session, settings, sub, [], start=None, end=NOW, key="k-1")
        session.add(
            Delivery(
                subscription=sub.name,
                channel="rec",
                kind="digest",
                idempotency_key="k-1",
                payload=payload,
                next_attempt_at=NOW - timedelta(minutes=1),
                created_at=NOW,
            )
        )
    dead = Dispatcher(settings, db, "dead", channels={"rec": Recorder()})
    assert len(dead.claim(NOW)) == 1  # ...and the process dies before sending
    alive_channel = Recorder()
    alive = Dispatcher(settings, db, "alive", channels={"rec": alive_channel})
    assert alive.dispatch(NOW + timedelta(minutes=1)).sent == 0, "the lease still runs"
    assert alive.dispatch(NOW + timedelta(minutes=6)).sent == 1
    assert alive_channel.sent == ["k-1"]
    with db.session() as session:
        row = session.exec(select(Delivery)).one()
        assert (row.status, row.attempts, row.lease_owner) == ("sent", 1, None)


# --- figures ---------------------------------------------------------------------------


def test_poll_lag_is_how_late_the_most_overdue_feed_is(db: Database) -> None:
    with db.session() as session:
        assert repo.poll_lag_seconds(session, NOW) == 0.0
    add_feeds(db, 1, next_poll_at=NOW - timedelta(seconds=90))
    with db.session() as session:
        later = NOW + timedelta(minutes=3)
        session.add(Feed(name="later", url="https://example.org/l.xml", next_poll_at=later))
    with db.session() as session:
        assert repo.poll_lag_seconds(session, NOW) == pytest.approx(90)


def test_feed_health_counts_enabled_feeds(db: Database) -> None:
    add_feeds(db, 3)
    with db.session() as session:
        feed = session.exec(select(Feed).where(Feed.name == "feed-000")).one()
        feed.healthy = False
        session.add(Feed(name="off", url="https://example.org/off.xml", enabled=False))
    with db.session() as session:
        assert repo.feed_health_counts(session) == {"healthy": 2, "unhealthy": 1}


# --- retention -------------------------------------------------------------------------


def test_retention_deletes_old_items_that_report_no_incident_and_keeps_the_rest(
    db: Database,
) -> None:
    old, recent = NOW - timedelta(days=200), NOW - timedelta(days=3)
    with db.session() as session:
        feed = Feed(name="f", url="https://example.org/f.xml")
        session.add(feed)
        session.flush()
        assert feed.id is not None

        def item(guid: str, fetched: datetime, duplicate_of: int | None = None) -> Item:
            row = Item(feed_id=feed.id, guid=guid, fetched_at=fetched, duplicate_of_id=duplicate_of)
            session.add(row)
            session.flush()
            return row

        item("old-orphan", old)
        item("recent-orphan", recent)
        reported = item("old-reporting", old)
        original = item("old-original", old)
        item("recent-copy", recent, duplicate_of=original.id)
        incident = Incident(title="t")
        session.add(incident)
        session.flush()
        assert reported.id is not None and incident.id is not None
        session.add(ItemIncident(item_id=reported.id, incident_id=incident.id))
    settings = make_settings(daemon={"retention": "180d"})
    assert purge_old_items(db, settings, now=NOW) == 1
    with db.session() as session:
        left = set(session.exec(select(Item.guid)).all())
    assert left == {"recent-orphan", "old-reporting", "old-original", "recent-copy"}
    assert purge_old_items(db, make_settings(daemon={"retention": 0}), now=NOW) == 0
