"""The dispatcher: claims, leases and outcomes on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta
from typing import Any

from monitor.alerts.channels import SendResult
from monitor.alerts.dispatcher import Dispatcher, DispatchSummary
from monitor.alerts.render import Rendered
from monitor.store.database import Database
from monitor.store.models import Delivery, utcnow
from tests.alerting import add_incident, alert_settings, delivery, queue_alert

SETTINGS = alert_settings(
    [{"name": "ops", "channel": "files"}], alerts={"batch_size": 5, "max_attempts": 3}
)


class Recorder:
    """A channel that records what it was given (the dispatcher's view of a channel)."""

    def __init__(self, name: str = "files", result: SendResult | None = None) -> None:
        self.name = name
        self.result = result or SendResult(True, "recorded")
        self.keys: list[str] = []
        self._lock = threading.Lock()

    def send(self, payload: dict[str, Any], rendered: Rendered) -> SendResult:
        with self._lock:
            self.keys.append(payload["idempotency_key"])
        assert rendered.subject.startswith("[monitor] New:")
        return self.result


def queue(db: Database, n: int) -> list[int]:
    return [queue_alert(db, SETTINGS, add_incident(db, title=f"Attack {i}"))[0] for i in range(n)]


def test_several_processes_dispatching_at_once_send_each_alert_once(db: Database) -> None:
    ids = queue(db, 23)
    recorder = Recorder()
    barrier = threading.Barrier(3)

    def work(owner: str) -> None:
        barrier.wait()
        Dispatcher(SETTINGS, db, owner, {"files": recorder}).dispatch()

    threads = [threading.Thread(target=work, args=(f"p{n}",)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    counts = Counter(recorder.keys)
    assert len(counts) == 23 and set(counts.values()) == {1}
    assert all(delivery(db, i).status == "sent" for i in ids)


def test_a_lease_held_by_another_live_process_is_respected(db: Database) -> None:
    [delivery_id] = queue(db, 1)
    first = Dispatcher(SETTINGS, db, "p1", {"files": Recorder()})
    assert [d.id for d in first.claim(utcnow())] == [delivery_id]
    other = Recorder()
    assert Dispatcher(SETTINGS, db, "p2", {"files": other}).dispatch().sent == 0
    assert other.keys == []
    later = utcnow() + SETTINGS.daemon.lease_ttl + timedelta(seconds=1)
    assert Dispatcher(SETTINGS, db, "p2", {"files": other}).dispatch(now=later).sent == 1


def test_a_channel_that_crashes_is_retried_not_lost(db: Database) -> None:
    [delivery_id] = queue(db, 1)

    class Broken(Recorder):
        def send(self, payload: dict[str, Any], rendered: Rendered) -> SendResult:
            raise RuntimeError("bug in a channel")

    summary = Dispatcher(SETTINGS, db, "p1", {"files": Broken()}).dispatch()
    assert summary.retried == 1
    row = delivery(db, delivery_id)
    assert row.status == "pending" and "RuntimeError: bug in a channel" in row.last_error


def test_a_removed_channel_fails_visibly(db: Database) -> None:
    [delivery_id] = queue(db, 1)
    summary = Dispatcher(SETTINGS, db, "p1", {}).dispatch()
    assert summary.failed == 1
    row = delivery(db, delivery_id)
    assert row.status == "failed" and "channel 'files' is not configured" in row.last_error


def test_a_permanent_refusal_fails_at_once_and_a_temporary_one_up_to_the_limit(
    db: Database,
) -> None:
    permanent, temporary = queue(db, 2)
    refusals = {
        "permanent": SendResult(False, "HTTP 404", retryable=False),
        "temporary": SendResult(False, "HTTP 503"),
    }

    class Picky(Recorder):
        def send(self, payload: dict[str, Any], rendered: Rendered) -> SendResult:
            title = payload["incident"]["title"]
            return refusals["permanent" if title == "Attack 0" else "temporary"]

    dispatcher = Dispatcher(SETTINGS, db, "p1", {"files": Picky()})
    for hour in range(5):
        dispatcher.dispatch(now=utcnow() + timedelta(hours=hour))
    assert (delivery(db, permanent).status, delivery(db, permanent).attempts) == ("failed", 1)
    assert (delivery(db, temporary).status, delivery(db, temporary).attempts) == ("failed", 3)


def test_each_send_starts_with_a_full_lease_so_a_slow_batch_keeps_its_deliveries(
    db: Database,
) -> None:
    first_id, second_id = queue(db, 2)
    slow = Dispatcher(SETTINGS, db, "p1", {"files": Recorder()})
    claimed = slow.claim(utcnow())
    assert [d.id for d in claimed] == [first_id, second_id]
    with db.session() as session:  # the first send took so long the batch lease nearly lapsed
        row = session.get(Delivery, second_id)
        assert row is not None
        row.lease_expires_at = utcnow() + timedelta(seconds=2)
        session.add(row)
    assert slow._renew(claimed[1])
    lease = delivery(db, second_id).lease_expires_at
    assert lease is not None and lease > utcnow() + SETTINGS.daemon.lease_ttl / 2


def test_a_delivery_whose_lease_was_taken_over_is_not_sent_twice(db: Database) -> None:
    [delivery_id] = queue(db, 1)
    mine, theirs = Recorder(), Recorder()
    stalled = Dispatcher(SETTINGS, db, "p1", {"files": mine})
    [row] = stalled.claim(utcnow())
    later = utcnow() + SETTINGS.daemon.lease_ttl + timedelta(seconds=1)
    assert Dispatcher(SETTINGS, db, "p2", {"files": theirs}).dispatch(now=later).sent == 1
    summary = DispatchSummary()
    stalled._deliver(row, summary)
    assert (mine.keys, len(theirs.keys), summary.sent) == ([], 1, 0)
    assert delivery(db, delivery_id).status == "sent"
