"""Poll-cycle throughput against a local feed server: ``python -m bench.fetch_poll --feeds 5000``.

A separate process serves N RSS feeds (20 items each) spread over many loopback hosts
(127.0.x.y), so per-host limits behave as with real feeds. The daemon's own poll cycle
(claim due feeds, fetch, parse, ingest, write feed states) runs twice on a fresh SQLite
database:

* cold: every feed answers 200 and all its items are new;
* steady: half the feeds answer 304 to their conditional GET, the other half answer 200
  with a body that changed by one new item (the case a 5-minute cycle meets most).

Printed: wall time, CPU time of this process, and feeds/s for each cycle. Address
resolution is not measured (IP literals); a real deployment adds its DNS latency.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import multiprocessing
import resource
import socket
import tempfile
import time
from pathlib import Path

from sqlalchemy import update

from monitor.config import Settings
from monitor.daemon.scheduler import Daemon
from monitor.fetch.client import Fetcher
from monitor.store.database import Database
from monitor.store.models import Feed, utcnow

ITEMS = 20
FEEDS_PER_HOST = 25


def feed_body(n: int, version: int) -> bytes:
    """Feed ``n``: 20 items; version 2 has one newer item at the top."""
    first = 1 if version == 1 else 0
    items = "".join(
        f"<item><title>Feed {n} story {i}: council meets on budget</title>"
        f"<link>https://news{n}.example/story/{i}?utm_source=rss</link><guid>f{n}-{i}</guid>"
        f"<pubDate>Tue, 09 Jan 2024 {10 + i % 10}:00:00 GMT</pubDate>"
        f"<description>&lt;p&gt;The council of town {n} met on item {i} of the budget, "
        "officials said, and will meet again next week.&lt;/p&gt;</description></item>"
        for i in range(first, first + ITEMS)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>Feed {n}</title><link>https://news{n}.example/</link>{items}</channel></rss>"
    ).encode()


def host_of(n: int) -> str:
    """The loopback address serving feed ``n``."""
    h = n // FEEDS_PER_HOST
    return f"127.0.{1 + h // 250}.{1 + h % 250}"


def serve(port: int, feeds: int, ready: multiprocessing.synchronize.Event, phase: object) -> None:
    """The feed server process: even feeds support ETag, odd feeds change in phase 2."""
    bodies = {n: (feed_body(n, 1), feed_body(n, 2)) for n in range(feeds)}

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                path = head.split(b" ", 2)[1].decode()
                n = int(path.rsplit("/f", 1)[1])
                etag = b'"v1"' if n % 2 == 0 else None
                if etag and etag in head:
                    writer.write(b"HTTP/1.1 304 Not Modified\r\nContent-Length: 0\r\n\r\n")
                else:
                    body = bodies[n][1 if (n % 2 and phase.value == 2) else 0]  # type: ignore[attr-defined]
                    extra = b"ETag: " + etag + b"\r\n" if etag else b""
                    writer.write(
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\n"
                        + extra
                        + b"Content-Length: %d\r\n\r\n" % len(body)
                        + body
                    )
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            writer.close()

    async def main() -> None:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("0.0.0.0", port))
        server = await asyncio.start_server(handle, sock=sock, backlog=4096)
        ready.set()
        await server.serve_forever()

    asyncio.run(main())


async def cycle(daemon: Daemon, settings: Settings) -> tuple[float, float, int]:
    """One poll cycle over every due feed: (wall s, CPU s, feeds polled)."""
    cpu, wall = time.process_time(), time.perf_counter()
    async with Fetcher(settings.fetch) as fetcher:
        summary = await daemon.poll_cycle(fetcher)
    return time.perf_counter() - wall, time.process_time() - cpu, summary.feeds


def report(name: str, wall: float, cpu: float, feeds: int) -> None:
    """One line of figures."""
    print(
        f"{name:7} {feeds:6d} feeds  wall {wall:7.2f}s  cpu {cpu:7.2f}s  "
        f"{feeds / wall:8.1f} feeds/s  {cpu / feeds * 1000:6.2f} ms cpu/feed"
    )


def main() -> None:
    """Run the benchmark."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--port", type=int, default=18_765)
    parser.add_argument("--profile", type=Path, help="Write a cProfile of the steady cycle here.")
    args = parser.parse_args()
    phase = multiprocessing.Value("i", 1)
    ready = multiprocessing.Event()
    server = multiprocessing.Process(
        target=serve, args=(args.port, args.feeds, ready, phase), daemon=True
    )
    server.start()
    ready.wait(30)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            asyncio.run(run(args.feeds, args.port, Path(tmp), phase, args.profile))
    finally:
        server.terminate()


async def run(feeds: int, port: int, tmp: Path, phase: object, profile: Path | None) -> None:
    """Both cycles on a fresh database."""
    settings = Settings.model_validate(
        {
            "database": {"url": f"sqlite:///{tmp / 'bench.db'}"},
            "fetch": {"allow_private_networks": True},
        }
    )
    db = Database(settings.database.url)
    db.upgrade()
    with db.session() as session:
        for n in range(feeds):
            session.add(
                Feed(name=f"f{n}", url=f"http://{host_of(n)}:{port}/f{n}", created_at=utcnow())
            )
    daemon = Daemon(settings, db, owner="bench")
    report("cold", *await cycle(daemon, settings))
    phase.value = 2  # type: ignore[attr-defined]
    with db.session() as session:
        session.execute(update(Feed).values(next_poll_at=None))
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    report("steady", *await cycle(daemon, settings))
    if profiler and profile:
        profiler.disable()
        profiler.dump_stats(profile)
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS {rss:.0f} MiB")


if __name__ == "__main__":
    main()
