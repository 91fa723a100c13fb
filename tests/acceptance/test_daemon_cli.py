"""``monitor run`` as operators run it: --once, SIGTERM, the SQLite single-instance guard."""

from __future__ import annotations

import json
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from monitor.store.database import Database
from monitor.store.models import Feed, Item
from tests.acceptance.procs import MonitorProcess, environment, run, write_config
from tests.feedgen import attack, filler, rss
from tests.servers import HTTPTestServer, Request, Response

WATCH = {
    "name": "us-diplomatic-military",
    "target_types": ["diplomatic", "military"],
    "target_nationalities": ["US"],
}


def config(tmp_path: Path, server: HTTPTestServer, feeds: list[str], **daemon: Any) -> Path:
    return write_config(
        tmp_path / "monitor.toml",
        {
            "database": {"url": f"sqlite:///{tmp_path / 'monitor.db'}"},
            "fetch": {"allow_private_networks": True},
            "polling": {"min_interval": "1s", "default_interval": "1h"},
            "feeds": [
                {"name": f.strip("/").removesuffix(".xml"), "url": server.url(f)} for f in feeds
            ],
            "watch": [WATCH],
            "channels": [{"name": "outbox", "type": "file", "directory": str(tmp_path / "outbox")}],
            "subscriptions": [{"name": "desk", "channel": "outbox"}],
            "daemon": {"tick": "1s", "dispatch_interval": "1s", **daemon},
        },
    )


def items_by_feed(tmp_path: Path) -> dict[str, int]:
    db = Database(f"sqlite:///{tmp_path / 'monitor.db'}")
    try:
        with db.session() as session:
            feeds = {f.id: f.name for f in session.exec(select(Feed)).all()}
            out = dict.fromkeys(feeds.values(), 0)
            for feed_id in session.exec(select(Item.feed_id)).all():
                out[feeds[feed_id]] += 1
            return out
    finally:
        db.dispose()


def leases(tmp_path: Path) -> list[str | None]:
    db = Database(f"sqlite:///{tmp_path / 'monitor.db'}")
    try:
        with db.session() as session:
            return [f.lease_owner for f in session.exec(select(Feed)).all()]
    finally:
        db.dispose()


@pytest.fixture
def procs() -> Iterator[list[MonitorProcess]]:
    """Processes started by the test, stopped at the end whatever happens."""
    started: list[MonitorProcess] = []
    yield started
    for proc in started:
        proc.stop()


def test_run_once_polls_the_feeds_stores_and_alerts_then_exits(
    tmp_path: Path, http_server: HTTPTestServer
) -> None:
    http_server.route("/wire.xml", Response(body=rss("Wire", [attack(0), filler(1)])))
    http_server.route("/markets.xml", Response(body=rss("Markets", [filler(2)])))
    cfg = config(tmp_path, http_server, ["/wire.xml", "/markets.xml"])
    result = run(["--config", str(cfg), "run", "--once"], tmp_path, environment())
    assert result.returncode == 0, result.stderr
    assert "polled 2 feed(s) (0 failed" in result.stdout
    assert "1 alert(s) sent" in result.stdout
    alerts = [json.loads(p.read_text()) for p in (tmp_path / "outbox").glob("*.json")]
    assert [a["kind"] for a in alerts] == ["new"]
    assert items_by_feed(tmp_path) == {"wire": 2, "markets": 1}
    again = run(["--config", str(cfg), "run", "--once"], tmp_path, environment())
    assert again.returncode == 0, again.stderr
    assert "polled 0 feed(s)" in again.stdout and "0 alert(s) sent" in again.stdout


def test_a_second_daemon_on_the_same_sqlite_database_refuses_to_start(
    tmp_path: Path, http_server: HTTPTestServer, procs: list[MonitorProcess]
) -> None:
    http_server.route("/wire.xml", Response(body=rss("Wire", [filler(1)])))
    cfg = config(tmp_path, http_server, ["/wire.xml"])
    first = MonitorProcess(["--config", str(cfg), "run"], tmp_path, environment())
    procs.append(first)
    first.wait_for_log("monitor running as")
    second = run(["--config", str(cfg), "run"], tmp_path, environment(), timeout=60)
    assert second.returncode == 2
    message = " ".join(second.stderr.split())
    assert "another `monitor run` already uses" in message
    assert str(tmp_path / "monitor.db") in message
    first.signal(signal.SIGTERM)
    assert first.wait() == 0
    assert "stopped" in first.log
    after = run(["--config", str(cfg), "run", "--once"], tmp_path, environment())
    assert after.returncode == 0, "the lock goes with the process"


class SlowFeed:
    """A feed that answers after ``delay`` seconds, and says when a request has arrived."""

    def __init__(self, delay: float, body: bytes) -> None:
        self.delay, self.body = delay, body
        self.arrived = threading.Event()

    def __call__(self, request: Request) -> Response:
        self.arrived.set()
        time.sleep(self.delay)
        return Response(body=self.body)


def test_sigterm_mid_cycle_lets_the_poll_in_flight_finish(
    tmp_path: Path, http_server: HTTPTestServer, procs: list[MonitorProcess]
) -> None:
    slow = SlowFeed(1.5, rss("Slow", [attack(0), filler(1)]))
    http_server.route("/slow.xml", slow)
    http_server.route("/fast.xml", Response(body=rss("Fast", [filler(2)])))
    cfg = config(tmp_path, http_server, ["/slow.xml", "/fast.xml"], stop_timeout="30s")
    daemon = MonitorProcess(["--config", str(cfg), "run"], tmp_path, environment())
    procs.append(daemon)
    assert slow.arrived.wait(60), daemon.log
    daemon.signal(signal.SIGTERM)
    assert daemon.wait() == 0, daemon.log
    assert "letting 1 job(s) in flight finish" in daemon.log
    assert items_by_feed(tmp_path) == {"slow": 2, "fast": 1}, "the poll in flight was stored"
    assert leases(tmp_path) == [None, None]


def test_sigterm_after_the_stop_timeout_abandons_the_poll_and_loses_nothing(
    tmp_path: Path, http_server: HTTPTestServer, procs: list[MonitorProcess]
) -> None:
    slow = SlowFeed(4, rss("Slow", [attack(0), filler(1)]))
    http_server.route("/slow.xml", slow)
    http_server.route("/fast.xml", Response(body=rss("Fast", [filler(2)])))
    cfg = config(tmp_path, http_server, ["/slow.xml", "/fast.xml"], stop_timeout="0.2s")
    daemon = MonitorProcess(["--config", str(cfg), "run"], tmp_path, environment())
    procs.append(daemon)
    assert slow.arrived.wait(60), daemon.log
    daemon.signal(signal.SIGTERM)
    assert daemon.wait() == 0, daemon.log
    assert "released 1 feed lease(s)" in daemon.log
    assert items_by_feed(tmp_path) == {"slow": 0, "fast": 1}, "nothing half-written"
    assert leases(tmp_path) == [None, None], "the abandoned feed is free for the next process"
    slow.delay = 0
    again = run(["--config", str(cfg), "run", "--once"], tmp_path, environment())
    assert again.returncode == 0, again.stderr
    assert items_by_feed(tmp_path) == {"slow": 2, "fast": 1}
    assert "1 alert(s) sent" in again.stdout


def test_json_logs_carry_the_cycle_counts(
    tmp_path: Path, http_server: HTTPTestServer, procs: list[MonitorProcess]
) -> None:
    http_server.route("/wire.xml", Response(body=rss("Wire", [attack(0), filler(1)])))
    cfg = config(tmp_path, http_server, ["/wire.xml"], log_format="json")
    daemon = MonitorProcess(["--config", str(cfg), "run"], tmp_path, environment())
    procs.append(daemon)
    daemon.wait_for_log('"action": "dispatch"')
    daemon.signal(signal.SIGINT)
    assert daemon.wait() == 0
    events = [json.loads(line) for line in daemon.log.splitlines() if line.startswith("{")]
    cycle = next(e for e in events if e.get("action") == "poll_cycle")
    assert (cycle["feeds"], cycle["items_new"], cycle["incidents_new"]) == (1, 2, 1)
    assert cycle["level"] == "info" and cycle["message"].startswith("poll cycle: 1 feed(s)")
    assert any(e.get("action") == "stop" for e in events)
