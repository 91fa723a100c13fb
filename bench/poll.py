"""Polling: the daemon (``monitor run``) over N local feeds, one full cycle in steady state.

The feed server of :mod:`bench.fetch_poll` runs in its own process: N RSS feeds of 20
items, 25 feeds per loopback host (127.0.x.y), so the per-host limit acts as with real
feeds. The database is seeded as a previous cycle would have left it: even feeds hold
the ETag their server answers 304 to; odd feeds hold their 20 items, and their server now
has one more on top. So one cycle is half 304s and half changed feeds with one new item
each to parse, classify and store: the state a 5-minute cycle meets most.

The daemon is the real command in a subprocess, with the shipped configuration plus the
N ``[[feeds]]`` and JSON logs, under its default concurrency. When it logs its first
``poll_cycle`` it is sent SIGTERM; the cycle's seconds come from that log line, its peak
resident memory from ``wait4`` on the process.
"""

from __future__ import annotations

import json
import multiprocessing
import signal
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from bench.common import Measured, bulk_insert, config_data, rate, run_measured
from bench.fetch_poll import ITEMS, host_of, serve
from monitor.parse.urls import canonical_link
from monitor.store.database import Database
from monitor.store.models import Feed, Item, utcnow

ETAG = '"v1"'


def free_port() -> int:
    """A TCP port nothing listens on now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def feed_server(feeds: int) -> Iterator[int]:
    """Serve ``feeds`` feeds (already at their second version) in a child process; the port."""
    port = free_port()
    phase = multiprocessing.Value("i", 2)
    ready = multiprocessing.Event()
    server = multiprocessing.Process(target=serve, args=(port, feeds, ready, phase), daemon=True)
    server.start()
    try:
        if not ready.wait(60):
            raise RuntimeError("the feed server did not start")
        yield port
    finally:
        server.terminate()
        server.join(10)


def feed_url(n: int, port: int) -> str:
    """Where feed ``n`` is served."""
    return f"http://{host_of(n)}:{port}/f{n}"


def seed(db: Database, feeds: int, port: int) -> None:
    """The state a previous cycle left: ETags on even feeds, the 20 items of odd feeds."""
    now = utcnow()
    rows = []
    for n in range(feeds):
        url = feed_url(n, port)
        feed = Feed(name=f"f{n}", url=url, config_url=url, etag=ETAG if n % 2 == 0 else None)
        feed.created_at = feed.last_polled_at = feed.last_success_at = now
        rows.append(feed.model_dump(exclude={"id"}))
    bulk_insert(db, Feed.__table__, rows)  # type: ignore[attr-defined]
    with db.engine.connect() as conn:
        ids: dict[str, int] = dict(conn.exec_driver_sql("SELECT name, id FROM feed").all())  # type: ignore[arg-type]
    base = Item(feed_id=0, guid="", fetched_at=now, classified_at=now).model_dump(exclude={"id"})
    items = []
    for n in range(1, feeds, 2):
        for i in range(1, ITEMS + 1):  # version 1 of the feed: items 1..20
            link = f"https://news{n}.example/story/{i}?utm_source=rss"
            items.append(
                {
                    **base,
                    "feed_id": ids[f"f{n}"],
                    "guid": f"f{n}-{i}",
                    "link": link,
                    "canonical_link": canonical_link(link),
                    "title": f"Feed {n} story {i}: council meets on budget",
                    "content": f"The council of town {n} met on item {i} of the budget.",
                    "content_hash": f"{n}-{i}",
                }
            )
    bulk_insert(db, Item.__table__, items)  # type: ignore[attr-defined]


def write_config(path: Path, db_url: str, feeds: int, port: int) -> Path:
    """The shipped configuration with ``feeds`` local feeds, JSON logs, private networks."""
    data = config_data()
    data["database"] = {"url": db_url}
    data["fetch"]["allow_private_networks"] = True
    data["daemon"].update(log_format="json", log_level="INFO")
    lines = [_toml_table(name, values) for name, values in data.items() if isinstance(values, dict)]
    for rule in data.get("watch", []):
        lines.append(_toml_table("[watch]", rule))
    for n in range(feeds):
        lines.append(_toml_table("[feeds]", {"name": f"f{n}", "url": feed_url(n, port)}))
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


def _toml_table(name: str, values: dict[str, Any]) -> str:
    # JSON strings, numbers, booleans and lists of them are valid TOML values.
    body = "".join(f"{key} = {json.dumps(value)}\n" for key, value in values.items())
    return f"[{name}]\n{body}"


def run_daemon(tmp: Path, feeds: int, port: int, timeout: float = 400) -> dict[str, Any]:
    """One steady-state cycle of ``monitor run`` over ``feeds`` feeds: its figures."""
    db_url = f"sqlite:///{tmp / f'poll{feeds}.db'}"
    db = Database(db_url)
    db.upgrade()
    seed(db, feeds, port)
    db.dispose()
    config = write_config(tmp / f"poll{feeds}.toml", db_url, feeds, port)
    cycle: dict[str, Any] = {}

    def on_line(line: str, proc: subprocess.Popen[str]) -> None:
        if cycle or '"poll_cycle"' not in line:
            return
        cycle.update(json.loads(line))
        proc.send_signal(signal.SIGTERM)

    measured: Measured = run_measured(
        [sys.executable, "-m", "monitor", "--config", str(config), "run"],
        env={"MONITOR_DATABASE_URL": db_url},
        timeout=timeout,
        on_line=on_line,
    )
    if not cycle:
        raise RuntimeError(
            f"monitor run logged no poll cycle (exit {measured.returncode}): "
            + measured.stderr[-2000:]
        )
    seconds = float(cycle["seconds"])
    return {
        "feeds": cycle["feeds"],
        "failed": cycle["failed"],
        "not_modified": cycle["unchanged"],
        "items_new": cycle["items_new"],
        "cycle_s": round(seconds, 2),
        "feeds_per_s": rate(cycle["feeds"], seconds),
        "peak_rss_mb": measured.peak_rss_mb,
        "exit": measured.returncode,
    }


def run(tmp: Path, sizes: tuple[int, ...] = (1000, 5000)) -> dict[str, Any]:
    """Poll figures for each size; the largest gives the headline keys and the daemon's RSS."""
    out: dict[str, Any] = {}
    with feed_server(max(sizes)) as port:
        for size in sizes:
            out[f"poll_{size}"] = run_daemon(tmp, size, port)
    big = out[f"poll_{max(sizes)}"]
    out["poll_feeds_per_s"] = big["feeds_per_s"]
    out[f"poll_cycle_{max(sizes)}_s"] = big["cycle_s"]
    out["daemon_peak_rss_mb"] = big["peak_rss_mb"]
    return out
