"""``monitor run``: APScheduler drives the jobs until SIGTERM/SIGINT.

Jobs: poll the due feeds (first at start, then every ``daemon.tick``), dispatch the outbox
(every ``daemon.dispatch_interval``, and right after a cycle that queued alerts), queue each
digest subscription's digest on its cron schedule in its time zone, and purge old items
(``daemon.housekeeping_interval``).

Stopping: the first signal stops the scheduler and lets the jobs in flight finish for up
to ``daemon.stop_timeout`` (a second signal cuts that short); whatever is still running
then is abandoned. Nothing is half-written either way: every store is one transaction,
a feed whose poll was cut short has its lease released (another process, or the next
start, polls it), and a delivery being sent keeps its lease until it expires and is sent
again with the same idempotency key.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TypeVar

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from sqlalchemy.exc import SQLAlchemyError

from monitor.alerts.dispatcher import Dispatcher, DispatchSummary
from monitor.config import Settings, SubscriptionConfig
from monitor.daemon import digests
from monitor.daemon.health import HealthReport, HealthServer, Heartbeat
from monitor.daemon.housekeeping import purge_old_items
from monitor.daemon.instance import process_name
from monitor.daemon.metrics import CONTENT_TYPE, Metrics
from monitor.daemon.polljob import CycleSummary, PollCycle, first_line
from monitor.errors import StorageError
from monitor.fetch.client import Fetcher
from monitor.pipeline import Pipeline
from monitor.polling import Poller
from monitor.store import repository as repo
from monitor.store.database import Database
from monitor.store.models import utcnow

log = logging.getLogger(__name__)

T = TypeVar("T")

#: Advisory lock key under which processes take turns syncing the configured feeds.
SYNC_FEEDS_LOCK = 0x6D6F6E01


@dataclass
class OnceSummary:
    """What ``monitor run --once`` did."""

    cycle: CycleSummary = field(default_factory=CycleSummary)
    dispatch: DispatchSummary = field(default_factory=DispatchSummary)
    digests: int = 0
    purged: int = 0


class Daemon:
    """Polls due feeds, dispatches the outbox, queues digests and keeps house."""

    def __init__(self, settings: Settings, db: Database, *, owner: str | None = None) -> None:
        self.settings = settings
        self.db = db
        self.owner = owner or process_name()
        self.pipeline = Pipeline(settings, db)
        self.poller = Poller(self.pipeline)
        self.cycle = PollCycle(settings, db, self.poller, self.owner)
        self.dispatcher = Dispatcher(settings, db, self.owner)
        self.metrics = Metrics(db, self.owner)
        self.heartbeat = Heartbeat()
        self.scheduler: AsyncIOScheduler | None = None
        self.health_server: HealthServer | None = None
        self._stop = asyncio.Event()
        self._force = asyncio.Event()
        self._stopping = False
        self._running: set[str] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._threads_busy = 0
        self._executor = ThreadPoolExecutor(max_workers=3, thread_name_prefix="monitor-job")

    # --- the jobs ----------------------------------------------------------------------

    def sync_feeds(self) -> None:
        """Bring the configured feeds into the database (processes take turns)."""
        with self.db.session() as session:
            repo.serialize(session, SYNC_FEEDS_LOCK)
            repo.sync_config_feeds(session, self.settings.feeds)

    async def poll_cycle(self, fetcher: Fetcher) -> CycleSummary:
        """Claim and poll every due feed, then log one line of counts."""
        summary = await self.cycle.run(
            fetcher, stopping=lambda: self._stopping, progress=self.heartbeat.beat
        )
        self.heartbeat.beat(cycle_done=True)
        self.metrics.record_cycle(summary)
        level = logging.INFO if summary.feeds else logging.DEBUG
        log.log(level, "poll cycle: %s", summary.describe(), extra=summary.log_fields())
        return summary

    async def dispatch(self) -> DispatchSummary:
        """Send due deliveries (in a worker thread: channels block)."""
        summary = await self._in_thread(self.dispatcher.dispatch)
        self.metrics.record_dispatch(summary)
        if summary.sent or summary.failed or summary.retried:
            log.info(
                "dispatch: %d sent, %d to retry, %d failed",
                summary.sent,
                summary.retried,
                summary.failed,
                extra={
                    "action": "dispatch",
                    "sent": summary.sent,
                    "retried": summary.retried,
                    "failed": summary.failed,
                },
            )
        return summary

    async def queue_digest(self, sub: SubscriptionConfig) -> int:
        """Queue ``sub``'s digest for its latest scheduled time (idempotent)."""
        due = digests.latest_due(sub)
        count = await self._in_thread(
            lambda: digests.queue_digest(self.db, self.settings, sub, due)
        )
        self.metrics.digests.inc(count)
        return count

    async def queue_due_digests(self) -> int:
        """Queue every digest subscription's latest digest (catches up a missed one)."""
        return sum(
            [await self.queue_digest(s) for s in digests.digest_subscriptions(self.settings)]
        )

    async def housekeeping(self) -> int:
        """Purge old items that report no incident."""
        deleted = await self._in_thread(lambda: purge_old_items(self.db, self.settings))
        self.metrics.items_purged.inc(deleted)
        return deleted

    async def _in_thread(self, work: Callable[[], T]) -> T:
        self._threads_busy += 1
        try:
            return await asyncio.get_running_loop().run_in_executor(self._executor, work)
        finally:
            self._threads_busy -= 1

    # --- one cycle ---------------------------------------------------------------------

    async def run_once(self) -> OnceSummary:
        """One full cycle: sync feeds, poll every due feed, queue due digests, send, purge."""
        self.sync_feeds()
        result = OnceSummary()
        fetcher = Fetcher(self.settings.fetch)
        try:
            result.cycle = await self.poll_cycle(fetcher)
        finally:
            await fetcher.aclose()
        result.digests = await self.queue_due_digests()
        result.dispatch = await self.dispatch()
        result.purged = await self.housekeeping()
        self._executor.shutdown(wait=True)
        return result

    # --- the daemon --------------------------------------------------------------------

    async def run_forever(self) -> bool:
        """Run the jobs until a stop signal; True when work in flight had to be abandoned."""
        self._warn_about_settings()
        self.sync_feeds()
        await self.queue_due_digests()
        fetcher = Fetcher(self.settings.fetch)
        server = self.health_server = self._health_server()
        self.scheduler = self._build_scheduler(fetcher)
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, self.stop)
        self.scheduler.start()
        if server is not None:
            server.start()
        log.info(
            "monitor running as %s on %s (%d feeds configured); SIGTERM or Ctrl-C stops",
            self.owner,
            self.db.safe_url,
            len(self.settings.feeds),
            extra={"action": "start", "owner": self.owner},
        )
        try:
            await self._stop.wait()
            return await self._shutdown(fetcher)
        finally:
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.remove_signal_handler(sig)
            if server is not None:
                server.stop()

    def stop(self) -> None:
        """Ask :meth:`run_forever` to stop; asked again, stop waiting for work in flight."""
        if self._stop.is_set():
            log.warning("second stop signal: abandoning work in flight")
            self._force.set()
        self._stop.set()

    def health(self) -> HealthReport:
        """Scheduler progress and database reachability, for ``/healthz``."""
        daemon = self.settings.daemon
        stale = max(daemon.stale_after, 3 * daemon.tick).total_seconds()
        scheduler = self.heartbeat.check(stale)
        running = self.scheduler is not None and self.scheduler.running and not self._stopping
        scheduler["running"] = running
        scheduler["ok"] = scheduler["ok"] and running
        try:
            self.db.ping()
            database: dict[str, object] = {"ok": True}
        except StorageError as exc:
            database = {"ok": False, "error": str(exc)}
        return HealthReport(
            ok=bool(scheduler["ok"] and database["ok"]),
            checks={"scheduler": scheduler, "database": database},
        )

    def _build_scheduler(self, fetcher: Fetcher) -> AsyncIOScheduler:
        daemon = self.settings.daemon
        now = utcnow()
        scheduler = AsyncIOScheduler(timezone="UTC")
        # A job whose previous run is still going returns at once (see _job), so APScheduler's
        # own limit is never what skips a run (it would log a warning every tick).
        common = {"coalesce": True, "max_instances": 3, "misfire_grace_time": None}
        scheduler.add_job(
            self._job,
            "interval",
            args=["poll", lambda: self._poll_job(fetcher)],
            id="poll",
            seconds=daemon.tick.total_seconds(),
            next_run_time=now,
            **common,
        )
        scheduler.add_job(
            self._job,
            "interval",
            args=["dispatch", self.dispatch],
            id="dispatch",
            seconds=daemon.dispatch_interval.total_seconds(),
            next_run_time=now,
            **common,
        )
        for sub in digests.digest_subscriptions(self.settings):
            scheduler.add_job(
                self._job,
                digests.trigger_for(sub),
                args=[f"digest {sub.name}", lambda sub=sub: self.queue_digest(sub)],
                id=f"digest:{sub.name}",
                **common,
            )
        scheduler.add_job(
            self._job,
            "interval",
            args=["housekeeping", self.housekeeping],
            id="housekeeping",
            seconds=daemon.housekeeping_interval.total_seconds(),
            next_run_time=now + min(daemon.housekeeping_interval, timedelta(minutes=1)),
            **common,
        )
        return scheduler

    async def _job(self, name: str, work: Callable[[], Awaitable[object]]) -> None:
        """Run one job; a database outage is logged as one line, not a traceback per tick."""
        task = asyncio.current_task()
        if self._stopping or task is None:
            return
        if name in self._running:
            log.debug("%s: previous run still going; skipping this one", name)
            return
        self._running.add(name)
        self._tasks.add(task)  # type: ignore[arg-type]
        try:
            await work()
        except asyncio.CancelledError:
            if not self._stopping:
                raise
            # Cancelled by _shutdown after the stop timeout: the end of this task, not an error.
            log.info("%s: abandoned at stop", name, extra={"action": "abandoned", "job": name})
        except (StorageError, SQLAlchemyError) as exc:
            log.error(
                "%s: database error: %s: %s",
                name,
                type(exc).__name__,
                first_line(exc),
                extra={"action": "job_failed", "job": name},
            )
        finally:
            self._running.discard(name)
            self._tasks.discard(task)  # type: ignore[arg-type]

    async def _poll_job(self, fetcher: Fetcher) -> None:
        summary = await self.poll_cycle(fetcher)
        if summary.stats.deliveries and self.scheduler is not None and not self._stopping:
            self.scheduler.modify_job("dispatch", next_run_time=utcnow())

    async def _shutdown(self, fetcher: Fetcher) -> bool:
        self._stopping = True
        if self.scheduler is not None:
            # Paused, not shut down: shutting down would cancel the jobs in flight at once.
            self.scheduler.pause()
        pending = {t for t in self._tasks if not t.done()}
        if pending:
            timeout = self.settings.daemon.stop_timeout.total_seconds()
            log.info(
                "stopping: letting %d job(s) in flight finish (up to %.1fs)", len(pending), timeout
            )
            pending = await self._wait(pending, timeout)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        if self.scheduler is not None:
            self.scheduler.shutdown(wait=False)
        await fetcher.aclose()
        self._release_leases()
        abandoned = self._threads_busy > 0
        if abandoned:
            log.warning(
                "stopping: %d send(s) still in flight are abandoned; their deliveries are "
                "retried when their lease expires",
                self._threads_busy,
            )
        self._executor.shutdown(wait=not abandoned, cancel_futures=True)
        log.info("stopped", extra={"action": "stop"})
        return abandoned

    async def _wait(
        self, tasks: set[asyncio.Task[None]], timeout: float
    ) -> set[asyncio.Task[None]]:
        """Wait for ``tasks`` until done, ``timeout`` or a second signal; return the unfinished."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        pending = set(tasks)
        while pending and not self._force.is_set() and (left := deadline - loop.time()) > 0:
            forced = asyncio.ensure_future(self._force.wait())
            done, _ = await asyncio.wait(
                {*pending, forced}, timeout=left, return_when=asyncio.FIRST_COMPLETED
            )
            forced.cancel()
            pending -= done
        return pending

    def _release_leases(self) -> None:
        try:
            with self.db.session() as session:
                released = repo.release_feed_leases(session, self.owner)
        except (StorageError, SQLAlchemyError) as exc:
            log.warning("stopping: could not release leases (they will expire): %s", exc)
            return
        if released:
            log.info("stopping: released %d feed lease(s) for other processes", released)

    def _health_server(self) -> HealthServer | None:
        daemon = self.settings.daemon
        if daemon.health_port is None:
            return None
        return HealthServer(
            daemon.health_host, daemon.health_port, self.health, self.metrics.render, CONTENT_TYPE
        )

    def _warn_about_settings(self) -> None:
        daemon, fetch = self.settings.daemon, self.settings.fetch
        if daemon.lease_ttl < 2 * fetch.total_timeout:
            log.warning(
                "daemon.lease_ttl (%s) is under twice fetch.total_timeout (%s): a slow poll "
                "may outlive its lease and be repeated by another process",
                daemon.lease_ttl,
                fetch.total_timeout,
            )
