"""``monitor run``: APScheduler drives polling and dispatch until SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import time
from dataclasses import dataclass, field

from apscheduler.schedulers.asyncio import AsyncIOScheduler

from monitor.alerts.dispatcher import Dispatcher, DispatchSummary
from monitor.config import Settings
from monitor.fetch.client import Fetcher
from monitor.pipeline import IngestStats, Pipeline
from monitor.polling import FeedOutcome, Poller
from monitor.store import repository as repo
from monitor.store.database import Database
from monitor.store.models import utcnow

log = logging.getLogger(__name__)


def process_name() -> str:
    """A name for this process in leases: host:pid."""
    return f"{socket.gethostname()}:{os.getpid()}"


@dataclass
class CycleSummary:
    """What one poll cycle did."""

    feeds: int = 0
    failed: int = 0
    not_modified: int = 0
    stats: IngestStats = field(default_factory=IngestStats)
    seconds: float = 0.0

    def absorb(self, outcomes: list[FeedOutcome]) -> None:
        """Add the outcomes of polled feeds."""
        for outcome in outcomes:
            self.feeds += 1
            self.failed += not outcome.ok
            self.not_modified += outcome.not_modified
            self.stats.add(outcome.stats)


class Daemon:
    """Polls due feeds and dispatches the outbox, once or on a schedule."""

    def __init__(self, settings: Settings, db: Database, *, owner: str | None = None) -> None:
        self.settings = settings
        self.db = db
        self.owner = owner or process_name()
        self.pipeline = Pipeline(settings, db)
        self.poller = Poller(self.pipeline)
        self.dispatcher = Dispatcher(settings, db, self.owner)
        self._stop = asyncio.Event()

    def sync_feeds(self) -> None:
        """Bring the configured feeds into the database."""
        with self.db.session() as session:
            repo.sync_config_feeds(session, self.settings.feeds)

    async def poll_cycle(self, fetcher: Fetcher) -> CycleSummary:
        """Claim the due feeds, poll them, and log one line of counts."""
        started = time.perf_counter()
        now = utcnow()
        with self.db.session() as session:
            feeds = repo.claim_due_feeds(
                session, now, self.owner, now + self.settings.daemon.lease_ttl
            )
        summary = CycleSummary()
        summary.absorb(await self.poller.poll(fetcher, feeds))
        summary.seconds = time.perf_counter() - started
        if feeds:
            s = summary.stats
            log.info(
                "poll cycle: %d feeds (%d failed, %d unchanged), %d new items, %d attacks, "
                "%d relevant, %d new incidents, %d updated, %d alerts queued, %.2fs",
                summary.feeds,
                summary.failed,
                summary.not_modified,
                s.new,
                s.attacks,
                s.relevant,
                s.incidents_new,
                s.incidents_updated,
                s.deliveries,
                summary.seconds,
            )
        return summary

    async def dispatch(self) -> DispatchSummary:
        """Send due deliveries (in a thread: channels block)."""
        summary = await asyncio.to_thread(self.dispatcher.dispatch)
        if summary.sent or summary.failed or summary.retried:
            log.info(
                "dispatch: %d sent, %d to retry, %d failed",
                summary.sent,
                summary.retried,
                summary.failed,
            )
        return summary

    async def run_once(self) -> CycleSummary:
        """One full cycle: sync feeds, poll every due feed, dispatch the outbox."""
        self.sync_feeds()
        fetcher = Fetcher(self.settings.fetch)
        try:
            summary = await self.poll_cycle(fetcher)
        finally:
            await fetcher.aclose()
        await self.dispatch()
        return summary

    async def run_forever(self) -> None:
        """Poll and dispatch on schedule until a stop signal."""
        self.sync_feeds()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.stop)
        fetcher = Fetcher(self.settings.fetch)
        scheduler = AsyncIOScheduler(timezone="UTC")
        daemon = self.settings.daemon
        scheduler.add_job(
            self.poll_cycle,
            "interval",
            args=[fetcher],
            id="poll",
            seconds=daemon.tick.total_seconds(),
            next_run_time=utcnow(),
            max_instances=1,
            coalesce=True,
        )
        scheduler.add_job(
            self.dispatch,
            "interval",
            id="dispatch",
            seconds=daemon.dispatch_interval.total_seconds(),
            max_instances=1,
            coalesce=True,
        )
        scheduler.start()
        log.info(
            "monitor running as %s on %s (%d feeds configured); Ctrl-C stops",
            self.owner,
            self.db.safe_url,
            len(self.settings.feeds),
        )
        try:
            await self._stop.wait()
        finally:
            log.info("stopping: letting in-flight work finish")
            scheduler.shutdown(wait=False)
            await fetcher.aclose()
            await self.dispatch()
            log.info("stopped")

    def stop(self) -> None:
        """Ask :meth:`run_forever` to return."""
        self._stop.set()
