"""The dispatcher: claims, leases and outcomes on SQLite and PostgreSQL."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta
from typing import Any

from monitor.alerts.channels import SendResult
from monitor.alerts.dispatcher import Dispatcher
from monitor.alerts.render import Rendered
from monitor.store.database import Database
from monitor.store.models import utcnow
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
