"""One poll cycle: claim due feeds in batches, poll them, count what happened.

Claims are leases (owner + expiry) taken with ``FOR UPDATE SKIP LOCKED`` on PostgreSQL:
processes claiming at the same moment get disjoint batches, and the feeds of a process
that died become claimable again when their lease expires. A process claims a batch, polls
it, then claims again, so several processes share a large cycle instead of one taking all.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from sqlalchemy.exc import SQLAlchemyError

from monitor.config import Settings
from monitor.fetch.client import Fetcher
from monitor.pipeline import IngestStats
from monitor.polling import FeedOutcome, Poller
from monitor.store import repository as repo
from monitor.store.database import Database
from monitor.store.models import Feed, utcnow

log = logging.getLogger(__name__)


@dataclass
class CycleSummary:
    """What one poll cycle did."""

    feeds: int = 0
    failed: int = 0
    not_modified: int = 0
    stats: IngestStats = field(default_factory=IngestStats)
    seconds: float = 0.0

    def absorb(self, outcomes: Sequence[FeedOutcome]) -> None:
        """Add the outcomes of polled feeds."""
        for outcome in outcomes:
            self.feeds += 1
            self.failed += not outcome.ok
            self.not_modified += outcome.not_modified
            self.stats.add(outcome.stats)

    def log_fields(self) -> dict[str, str | int | float]:
        """The counts as structured log fields."""
        s = self.stats
        return {
            "action": "poll_cycle",
            "feeds": self.feeds,
            "failed": self.failed,
            "unchanged": self.not_modified,
            "items_new": s.new,
            "attacks": s.attacks,
            "relevant": s.relevant,
            "incidents_new": s.incidents_new,
            "incidents_updated": s.incidents_updated,
            "alerts_queued": s.deliveries,
            "seconds": round(self.seconds, 3),
        }

    def describe(self) -> str:
        """One human line of counts."""
        s = self.stats
        return (
            f"{self.feeds} feed(s) ({self.failed} failed, {self.not_modified} unchanged), "
            f"{s.new} new item(s), {s.attacks} attack(s), {s.relevant} relevant, "
            f"{s.incidents_new} new incident(s), {s.incidents_updated} updated, "
            f"{s.deliveries} alert(s) queued, {self.seconds:.2f}s"
        )


class PollCycle:
    """Claims and polls due feeds until none is left (or the daemon is stopping).

    A feed whose poll meets a bug is logged and backs off as a failure (the poller sees to
    that); a database error ends the cycle, and the feeds claimed but not written lapse
    with their lease and are polled again then.
    """

    def __init__(self, settings: Settings, db: Database, poller: Poller, owner: str) -> None:
        self.settings = settings
        self.db = db
        self.poller = poller
        self.owner = owner

    async def run(
        self,
        fetcher: Fetcher,
        *,
        stopping: Callable[[], bool] = lambda: False,
        progress: Callable[[], None] = lambda: None,
    ) -> CycleSummary:
        """Poll every due feed, one claimed batch at a time; ``progress`` after each batch."""
        started = time.perf_counter()
        summary = CycleSummary()
        batch = self.settings.daemon.claim_batch
        while not stopping():
            feeds = self.claim(batch)
            if feeds:
                summary.absorb(await self.poll(fetcher, feeds))
            progress()
            if len(feeds) < batch:
                break
        summary.seconds = time.perf_counter() - started
        return summary

    def claim(self, limit: int) -> list[Feed]:
        """Lease up to ``limit`` due feeds to this process."""
        now = utcnow()
        with self.db.session() as session:
            return repo.claim_due_feeds(
                session, now, self.owner, now + self.settings.daemon.lease_ttl, limit=limit
            )

    async def poll(self, fetcher: Fetcher, feeds: Sequence[Feed]) -> list[FeedOutcome]:
        """Poll claimed feeds (:meth:`Poller.poll`), keeping their leases while it runs.

        The leases are renewed every third of ``daemon.lease_ttl`` until the poller has
        written every feed's new state (it batches those writes), so a batch slower than
        the lease stays with this process; only a dead process's leases lapse.
        """
        ids = [f.id for f in feeds if f.id is not None]
        keeper = asyncio.create_task(self._keep_leases(ids))
        try:
            return await self.poller.poll(fetcher, feeds)
        finally:
            keeper.cancel()

    async def _keep_leases(self, feed_ids: list[int]) -> None:
        ttl = self.settings.daemon.lease_ttl
        while True:
            await asyncio.sleep(ttl.total_seconds() / 3)
            try:
                with self.db.session() as session:
                    repo.renew_feed_leases(session, self.owner, feed_ids, utcnow() + ttl)
            except SQLAlchemyError as exc:
                log.warning("could not renew feed leases: %s", first_line(exc))


def first_line(exc: BaseException) -> str:
    """The first line of an error's message (SQLAlchemy's run on with SQL and links)."""
    text = str(exc).strip()
    return text.splitlines()[0] if text else ""
