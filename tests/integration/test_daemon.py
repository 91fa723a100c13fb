"""The daemon in-process: one cycle against a local feed server, health and metrics."""

from __future__ import annotations

import asyncio
import json
import re
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlmodel import func, select

from monitor.config import Settings
from monitor.daemon.metrics import Metrics
from monitor.daemon.polljob import PollCycle
from monitor.daemon.scheduler import Daemon
from monitor.fetch.client import Fetcher
from monitor.store.database import Database
from monitor.store.models import Delivery, Feed, Item, utcnow
from tests.alerting import add_incident, alert_settings
from tests.conftest import REPO, make_settings
from tests.feedgen import attack, filler, rss
from tests.servers import HTTPTestServer, Request, Response

WATCH = [
    {
        "name": "us-diplomatic-military",
        "target_types": ["diplomatic", "military"],
        "target_nationalities": ["US"],
    }
]


def daemon_settings(server: HTTPTestServer, outbox: Path, **daemon: Any) -> Settings:
    return make_settings(
        fetch={"allow_private_networks": True},
        polling={"min_interval": "1s", "default_interval": "1h"},
        feeds=[
            {"name": "wire", "url": server.url("/wire.xml")},
            {"name": "markets", "url": server.url("/markets.xml")},
        ],
        watch=WATCH,
        channels=[{"name": "outbox", "type": "file", "directory": str(outbox)}],
        subscriptions=[{"name": "desk", "channel": "outbox"}],
        daemon={"tick": "1s", "dispatch_interval": "1s", **daemon},
    )


def serve_feeds(server: HTTPTestServer) -> None:
    server.route("/wire.xml", Response(body=rss("Wire", [attack(0), filler(1)])))
    server.route("/markets.xml", Response(body=rss("Markets", [filler(2), filler(3)])))


def count(db: Database, model: type) -> int:
    with db.session() as session:
        return session.exec(select(func.count()).select_from(model)).one()


async def test_one_cycle_polls_every_due_feed_stores_and_sends_the_alert(
    db: Database, http_server: HTTPTestServer, tmp_path: Path
) -> None:
    serve_feeds(http_server)
    daemon = Daemon(daemon_settings(http_server, tmp_path / "outbox"), db, owner="t")
    result = await daemon.run_once()
    assert (result.cycle.feeds, result.cycle.failed) == (2, 0)
    assert (result.cycle.stats.new, result.cycle.stats.relevant) == (4, 1)
    assert result.dispatch.sent == 1
    sent = [json.loads(p.read_text()) for p in (tmp_path / "outbox").glob("*.json")]
    assert [a["subscription"] for a in sent] == ["desk"]
    with db.session() as session:
        assert all(f.lease_owner is None for f in session.exec(select(Feed)).all())
    again = await Daemon(daemon_settings(http_server, tmp_path / "outbox"), db).run_once()
    assert again.cycle.feeds == 0, "feeds polled a moment ago are not due"
    assert count(db, Delivery) == 1


async def test_a_feed_that_fails_is_recorded_and_the_others_are_polled(
    db: Database, http_server: HTTPTestServer, tmp_path: Path
) -> None:
    serve_feeds(http_server)
    http_server.route("/markets.xml", Response(status=500, body=b"oops"))
    result = await Daemon(daemon_settings(http_server, tmp_path), db).run_once()
    assert (result.cycle.feeds, result.cycle.failed) == (2, 1)
    with db.session() as session:
        markets = session.exec(select(Feed).where(Feed.name == "markets")).one()
    assert markets.consecutive_failures == 1 and markets.last_status == 500
    assert markets.lease_owner is None
    assert count(db, Item) == 2


async def test_the_running_daemon_serves_health_and_metrics_and_stops_on_request(
    sqlite_db: Database, http_server: HTTPTestServer, tmp_path: Path
) -> None:
    serve_feeds(http_server)
    settings = daemon_settings(http_server, tmp_path / "outbox", health_port=0)
    daemon = Daemon(settings, sqlite_db, owner="t")
    running = asyncio.create_task(daemon.run_forever())
    while daemon.heartbeat.cycles < 1 or daemon.health_server is None:
        await asyncio.sleep(0.05)
    url = daemon.health_server.url
    async with httpx.AsyncClient() as client:
        health = await client.get(url + "/healthz")
        assert health.status_code == 200, health.text
        assert health.json()["checks"]["database"] == {"ok": True}
        metrics = (await client.get(url + "/metrics")).text
        assert "monitor_feeds_polled_total 2.0" in metrics
        assert "monitor_items_new_total 4.0" in metrics
        assert "monitor_incidents_new_total 1.0" in metrics
        assert "monitor_poll_lag_seconds" in metrics
        assert 'monitor_deliveries{status="pending"}' in metrics
        daemon.heartbeat.last -= 3600  # as if the scheduler had made no progress for an hour
        stuck = await client.get(url + "/healthz")
        assert stuck.status_code == 503
        assert stuck.json()["checks"]["scheduler"]["ok"] is False
    daemon.stop()
    assert await asyncio.wait_for(running, 30) is False, "nothing had to be abandoned"


def test_health_fails_when_the_database_is_unreachable(tmp_path: Path) -> None:
    unreachable = Database("postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=2")
    report = Daemon(make_settings(), unreachable, owner="t").health()
    assert not report.ok
    assert report.checks["database"]["ok"] is False
    assert "unreachable" in report.checks["database"]["error"]


async def test_a_database_outage_is_one_log_line_per_job_and_the_daemon_goes_on(
    caplog: pytest.LogCaptureFixture,
) -> None:
    unreachable = Database("postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=2")
    daemon = Daemon(make_settings(), unreachable, owner="t")
    fetcher = Fetcher(daemon.settings.fetch)
    try:
        await daemon._job("poll", lambda: daemon.poll_cycle(fetcher))
        await daemon._job("dispatch", daemon.dispatch)
    finally:
        await fetcher.aclose()
    errors = [r for r in caplog.records if r.levelname == "ERROR"]
    assert [r.getMessage().split(":")[0] for r in errors] == ["poll", "dispatch"]
    assert all("database error: OperationalError" in r.getMessage() for r in errors)
    assert all(r.exc_info is None for r in errors), "no traceback"


async def test_a_poll_slower_than_its_lease_keeps_the_lease_while_it_runs(
    db: Database, http_server: HTTPTestServer, tmp_path: Path
) -> None:
    release = threading.Event()

    def slow(request: Request) -> Response:
        release.wait(30)
        return Response(body=rss("Slow", [filler(1)]))

    http_server.route("/slow.xml", slow)
    settings = make_settings(
        fetch={"allow_private_networks": True},
        feeds=[{"name": "slow", "url": http_server.url("/slow.xml")}],
        daemon={"lease_ttl": "1.5s"},
    )
    daemon = Daemon(settings, db, owner="busy")
    daemon.sync_feeds()
    fetcher = Fetcher(settings.fetch)
    try:
        cycle = asyncio.create_task(daemon.cycle.run(fetcher))
        await asyncio.sleep(3)  # twice the lease
        other = PollCycle(settings, db, daemon.poller, "other")
        assert await asyncio.to_thread(other.claim, 10) == [], "the lease was renewed"
        release.set()
        summary = await cycle
    finally:
        release.set()
        await fetcher.aclose()
    assert (summary.feeds, summary.failed, summary.stats.new) == (1, 0, 1)


# --- scheduled digests -----------------------------------------------------------------


async def test_the_due_digest_is_queued_once_however_many_processes_queue_it(
    db: Database,
) -> None:
    settings = alert_settings(
        subscriptions=[
            {"name": "morning", "channel": "files", "mode": "digest", "digest_cron": "* * * * *"}
        ]
    )
    add_incident(db, first_seen=utcnow() - timedelta(minutes=2))
    first, second = Daemon(settings, db, owner="a"), Daemon(settings, db, owner="b")
    assert await first.queue_due_digests() == 1
    assert await second.queue_due_digests() == 0
    with db.session() as session:
        kinds = session.exec(select(Delivery.kind)).all()
    assert kinds == ["digest"]
    assert "monitor_digests_enqueued_total 1.0" in first.metrics.render().decode()


async def test_each_digest_subscription_gets_a_job_on_its_cron_in_its_time_zone(
    sqlite_db: Database,
) -> None:
    settings = alert_settings(
        subscriptions=[
            {
                "name": "paris",
                "channel": "files",
                "mode": "both",
                "digest_cron": "30 6 * * 1-5",
                "timezone": "Europe/Paris",
            },
            {"name": "alerts-only", "channel": "files", "mode": "immediate"},
        ]
    )
    daemon = Daemon(settings, sqlite_db, owner="t")
    fetcher = Fetcher(settings.fetch)
    scheduler = daemon._build_scheduler(fetcher)
    scheduler.start(paused=True)
    try:
        jobs = {job.id: job for job in scheduler.get_jobs()}
        assert set(jobs) == {"poll", "dispatch", "housekeeping", "digest:paris"}
        trigger = jobs["digest:paris"].trigger
        monday_noon = datetime(2024, 7, 1, 12, tzinfo=UTC)
        fire = trigger.get_next_fire_time(None, monday_noon)
        assert fire == datetime(2024, 7, 2, 4, 30, tzinfo=UTC)  # 06:30 in Paris, summer
    finally:
        scheduler.shutdown(wait=False)
        await fetcher.aclose()


def test_every_metric_is_documented_in_the_readme(sqlite_db: Database) -> None:
    exposed = re.findall(r"^# TYPE (\S+) (\S+)", Metrics(sqlite_db).render().decode(), re.M)
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("### Health and metrics") : readme.index("### Scaling out")]
    for name, kind in exposed:
        counter = kind == "counter" and not name.endswith("_total")
        documented = f"{name}_total" if counter else name
        assert f"`{documented}" in section, f"{documented} is not in the README's metrics table"
