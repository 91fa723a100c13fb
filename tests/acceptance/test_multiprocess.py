"""Three ``monitor run`` processes on one PostgreSQL database share the work.

A local server publishes 300 feeds and receives the alerts (a webhook). Each feed must be
polled once per interval, never by two processes at once; each alert must arrive once;
and when one process is killed (SIGKILL: no clean-up at all) the others take its work over.
"""

from __future__ import annotations

import json
import re
import signal
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

from tests.acceptance.procs import MonitorProcess, environment, wait_until, write_config
from tests.feedgen import attack, filler, rss
from tests.servers import HTTPTestServer, Request, Response

pytestmark = [pytest.mark.slow, pytest.mark.postgres]

FEEDS = 300
INTERVAL = 6.0  # seconds between two polls of a feed
LEASE = 5.0  # seconds before a dead process's claims can be taken over
ATTACK_FEEDS = range(0, FEEDS, 30)  # ten feeds carry an attack report each


class Newsroom:
    """The feeds (with the times each was requested) and the alert receiver."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        #: feed number -> (time, process) of each request; processes tell themselves apart
        #: by their User-Agent.
        self.polls: dict[int, list[tuple[float, str]]] = defaultdict(list)
        self.alerts: list[str] = []
        self.stories = {i: [filler(i)] for i in range(FEEDS)}
        for week, i in enumerate(ATTACK_FEEDS):
            self.stories[i].append(attack(week))

    def feed(self, request: Request) -> Response:
        number = int(re.findall(r"\d+", request.path)[0])
        with self.lock:
            self.polls[number].append((time.monotonic(), request.headers.get("user-agent", "")))
            stories = list(self.stories[number])
        return Response(body=rss(f"Feed {number}", stories))

    def receive(self, request: Request) -> Response:
        body = json.loads(request.body)
        key = request.headers.get("idempotency-key") or body.get("idempotency_key")
        with self.lock:
            self.alerts.append(str(key))
        return Response(status=200, body=b"ok")

    def publish(self, number: int, week: int) -> None:
        """A new attack report appears in feed ``number``."""
        with self.lock:
            self.stories[number].append(attack(week, site=f"feed{number}.example.org"))

    def polled_since(self, moment: float) -> set[int]:
        with self.lock:
            return {n for n, polls in self.polls.items() if any(t > moment for t, _ in polls)}

    def pollers(self) -> Counter[str]:
        """Feed requests per process."""
        with self.lock:
            return Counter(agent for polls in self.polls.values() for _, agent in polls)

    def short_gaps(
        self, shortest: float, unfinished: Callable[[float, str], bool]
    ) -> list[tuple[int, str, str, float, float]]:
        """Successive polls of a feed closer than ``shortest`` seconds, after polls that
        completed: (feed, first poller, second poller, first poll's time, gap)."""
        with self.lock:
            return [
                (n, first, second, round(a, 2), round(b - a, 2))
                for n, polls in self.polls.items()
                for (a, first), (b, second) in pairwise(polls)
                if b - a < shortest and not unfinished(a, first)
            ]

    def min_polls(self) -> int:
        with self.lock:
            return min((len(self.polls[n]) for n in range(FEEDS)), default=0)


@pytest.fixture
def newsroom(http_server: HTTPTestServer) -> Newsroom:
    room = Newsroom()
    for i in range(FEEDS):
        http_server.route(f"/feeds/{i}.xml", room.feed)
    http_server.route("/hook", room.receive)
    return room


def settings(http_server: HTTPTestServer, agent: str, channel: dict[str, Any]) -> dict[str, Any]:
    """The configuration of one process (they differ only in their User-Agent)."""
    return {
        "fetch": {
            "allow_private_networks": True,
            "total_timeout": "2.5s",
            "max_per_host": 64,
            "user_agent": agent,
        },
        "polling": {"min_interval": "1s"},
        "feeds": [
            {
                "name": f"feed-{i:03}",
                "url": http_server.url(f"/feeds/{i}.xml"),
                "interval": f"{INTERVAL}s",
            }
            for i in range(FEEDS)
        ],
        "watch": [
            {
                "name": "us-diplomatic-military",
                "target_types": ["diplomatic", "military"],
                "target_nationalities": ["US"],
            }
        ],
        "channels": [{"name": "hook", **channel}],
        "subscriptions": [{"name": "desk", "channel": "hook"}],
        "daemon": {
            "tick": "0.5s",
            "dispatch_interval": "0.5s",
            "claim_batch": 25,
            "lease_ttl": f"{LEASE}s",
            "stop_timeout": "10s",
        },
    }


@pytest.fixture
def cluster(
    tmp_path: Path, postgres_url: str, http_server: HTTPTestServer
) -> Iterator[list[MonitorProcess]]:
    """Three `monitor run` processes, started together on a fresh database."""
    env = environment(MONITOR_DATABASE_URL=postgres_url)
    channel = {"type": "webhook", "url": http_server.url("/hook")}
    procs = []
    for i in range(3):
        config = write_config(
            tmp_path / f"monitor-{i}.toml", settings(http_server, f"process-{i}", channel)
        )
        procs.append(
            MonitorProcess(["--config", str(config), "run"], tmp_path, env, name=f"monitor-{i}")
        )
    yield procs
    for proc in procs:
        proc.stop()


def test_three_processes_poll_each_feed_once_per_interval_send_each_alert_once_and_take_over(
    newsroom: Newsroom, cluster: list[MonitorProcess]
) -> None:
    # --- all three running: every feed polled twice, the first alerts sent ----------------
    wait_until(lambda: newsroom.min_polls() >= 2, 120, "every feed polled twice")
    wait_until(lambda: len(newsroom.alerts) >= len(ATTACK_FEEDS), 60, "the first alerts")
    assert len(newsroom.pollers()) == 3, f"the work was shared: {newsroom.pollers()}"

    # --- one process dies (no clean-up at all); new attacks are published -------------------
    victim, survivors = cluster[0], cluster[1:]
    time.sleep(0.5)  # no alert is pending now, so none can be in flight when it dies
    victim.kill()
    killed_at = time.monotonic()
    for n, week in zip(range(5, FEEDS, 60), range(50, 55), strict=True):
        newsroom.publish(n, week)
    wait_until(
        lambda: len(newsroom.polled_since(killed_at + LEASE)) == FEEDS,
        120,
        "every feed polled by the survivors once the dead process's leases expired",
    )
    wait_until(lambda: len(newsroom.alerts) >= len(ATTACK_FEEDS) + 5, 60, "the new alerts")
    time.sleep(INTERVAL)  # time for a repeat to show up, if there were one
    for proc in survivors:
        proc.signal(signal.SIGTERM)
        assert proc.wait() == 0, proc.log

    # --- each alert received once; no feed polled twice in an interval ------------------------
    received = Counter(newsroom.alerts)
    assert len(received) == len(ATTACK_FEEDS) + 5
    assert set(received.values()) == {1}, f"alerts received more than once: {received}"

    def cut_short(at: float, agent: str) -> bool:
        # The polls the dead process had in flight never completed: the survivors redo them
        # when the lease expires, which may be sooner than an interval after that request.
        return agent == "process-0" and killed_at - 2 <= at <= killed_at

    # A poll's interval runs from its start; its request reaches the server a moment later
    # that varies with the load (event loop, connections, other feeds being stored), so
    # successive arrivals can be somewhat closer than the interval. Two processes claiming
    # one feed together, or a poll whose state was lost, would arrive about a tick apart.
    assert newsroom.short_gaps(INTERVAL / 2, cut_short) == [], (
        f"feeds polled twice within an interval (killed at {killed_at:.2f})"
    )
