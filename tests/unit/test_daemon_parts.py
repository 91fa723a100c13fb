"""Daemon parts on their own: digest schedules, the SQLite instance lock, the health server."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from monitor.config import SubscriptionConfig
from monitor.daemon.digests import digest_subscriptions, latest_due, trigger_for
from monitor.daemon.health import HealthReport, HealthServer, Heartbeat
from monitor.daemon.instance import InstanceLock, lock_path
from monitor.errors import InstanceLockedError
from tests.conftest import make_settings

MORNING_PARIS = SubscriptionConfig(
    name="paris", channel="c", mode="digest", digest_cron="0 7 * * *", timezone="Europe/Paris"
)


# --- digest schedules ------------------------------------------------------------------


def test_the_latest_due_digest_is_the_last_cron_time_in_the_subscribers_zone() -> None:
    # 06:30 UTC on a winter day is 07:30 in Paris: this morning's digest is due.
    now = datetime(2024, 1, 10, 6, 30, tzinfo=UTC)
    assert latest_due(MORNING_PARIS, now) == datetime(2024, 1, 10, 6, 0, tzinfo=UTC)
    # 05:30 UTC is 06:30 in Paris: yesterday's is the latest.
    earlier = datetime(2024, 1, 10, 5, 30, tzinfo=UTC)
    assert latest_due(MORNING_PARIS, earlier) == datetime(2024, 1, 9, 6, 0, tzinfo=UTC)


def test_a_digest_run_at_its_exact_time_stands_for_that_time() -> None:
    fire = datetime(2024, 7, 10, 5, 0, tzinfo=UTC)  # 07:00 in Paris in summer
    assert latest_due(MORNING_PARIS, fire) == fire
    assert latest_due(MORNING_PARIS, fire + timedelta(milliseconds=300)) == fire


def test_the_scheduler_fires_at_the_times_latest_due_names() -> None:
    trigger = trigger_for(MORNING_PARIS)
    start = datetime(2024, 3, 28, tzinfo=UTC)
    fire = trigger.get_next_fire_time(None, start)
    for _ in range(5):  # across the change to summer time
        assert fire is not None
        assert latest_due(MORNING_PARIS, fire + timedelta(seconds=2)) == fire.astimezone(UTC)
        fire = trigger.get_next_fire_time(fire, fire + timedelta(seconds=1))


def test_only_digest_and_both_subscriptions_get_scheduled_digests() -> None:
    settings = make_settings(
        channels=[{"name": "c", "type": "console"}],
        subscriptions=[
            {"name": "now", "channel": "c", "mode": "immediate"},
            {"name": "daily", "channel": "c", "mode": "digest"},
            {"name": "both", "channel": "c", "mode": "both"},
        ],
    )
    assert [s.name for s in digest_subscriptions(settings)] == ["daily", "both"]


# --- the SQLite instance lock ------------------------------------------------------------


def test_a_second_lock_on_the_same_database_is_refused_naming_the_holder(tmp_path: Path) -> None:
    database = tmp_path / "monitor.db"
    with InstanceLock(database):
        with pytest.raises(InstanceLockedError) as refused:
            InstanceLock(database).acquire()
        message = str(refused.value)
        assert str(database) in message
        assert "since" in message, "names the process holding the lock"
        assert "PostgreSQL" in message, "says how to run several processes"
    assert lock_path(database).exists()


def test_the_lock_is_free_again_once_released(tmp_path: Path) -> None:
    database = tmp_path / "monitor.db"
    first = InstanceLock(database)
    first.acquire()
    first.release()
    with InstanceLock(database):
        pass


def test_another_database_is_not_locked(tmp_path: Path) -> None:
    with InstanceLock(tmp_path / "a.db"), InstanceLock(tmp_path / "b.db"):
        pass


# --- the health server -------------------------------------------------------------------


class Probe:
    """A health check whose answer the test sets."""

    def __init__(self) -> None:
        self.report = HealthReport(ok=True, checks={"scheduler": {"ok": True}})

    def __call__(self) -> HealthReport:
        return self.report


@pytest.fixture
def health() -> tuple[HealthServer, Probe]:
    probe = Probe()
    server = HealthServer("127.0.0.1", 0, probe, lambda: b"monitor_up 1\n", "text/plain")
    server.start()
    yield server, probe
    server.stop()


def test_healthz_answers_200_when_healthy_and_503_when_not(health) -> None:  # type: ignore[no-untyped-def]
    server, probe = health
    ok = httpx.get(server.url + "/healthz")
    assert ok.status_code == 200
    assert ok.json()["status"] == "ok"
    probe.report = HealthReport(ok=False, checks={"database": {"ok": False, "error": "down"}})
    failing = httpx.get(server.url + "/healthz")
    assert failing.status_code == 503
    assert failing.json() == {
        "status": "failing",
        "checks": {"database": {"ok": False, "error": "down"}},
    }


def test_metrics_are_served_as_prometheus_text(health) -> None:  # type: ignore[no-untyped-def]
    server, _ = health
    response = httpx.get(server.url + "/metrics")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain"
    assert response.text == "monitor_up 1\n"


def test_other_paths_and_methods_are_refused(health) -> None:  # type: ignore[no-untyped-def]
    server, _ = health
    assert httpx.get(server.url + "/").status_code == 404
    assert httpx.post(server.url + "/healthz").status_code == 405
    head = httpx.head(server.url + "/healthz")
    assert head.status_code == 200 and head.content == b""


def test_a_busy_port_is_a_clear_error(health) -> None:  # type: ignore[no-untyped-def]
    server, _ = health
    port = int(server.url.rsplit(":", 1)[1])
    with pytest.raises(Exception, match=f"cannot listen on 127.0.0.1:{port}"):
        HealthServer("127.0.0.1", port, Probe(), lambda: b"", "text/plain")


def test_the_heartbeat_goes_stale_without_progress() -> None:
    beat = Heartbeat()
    assert beat.check(60)["ok"]
    beat.last -= 120
    stale = beat.check(60)
    assert not stale["ok"] and stale["seconds_since_progress"] >= 120
    beat.beat(cycle_done=True)
    assert beat.check(60) | {"seconds_since_progress": 0} == {
        "ok": True,
        "seconds_since_progress": 0,
        "stale_after_seconds": 60,
        "cycles": 1,
    }
