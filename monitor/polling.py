"""Polling: fetch a feed (URL or file), hand its entries to the pipeline, record its health.

Used by the daemon for every due feed; the entries go through :meth:`Pipeline.ingest`, the
same path backfill uses.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from monitor.errors import FetchError, HTTPStatusError, ParseError
from monitor.fetch import schedule
from monitor.fetch.client import Fetcher
from monitor.fetch.files import read_feed_file
from monitor.parse import parse_feed
from monitor.pipeline import AlertMode, IngestStats, Pipeline
from monitor.records import FetchResult
from monitor.store.models import Feed, utcnow

log = logging.getLogger(__name__)


@dataclass
class FeedOutcome:
    """What polling one feed did."""

    feed: str
    ok: bool
    not_modified: bool = False
    stats: IngestStats = field(default_factory=IngestStats)
    error: str | None = None
    problems: tuple[str, ...] = ()


class Poller:
    """Polls feeds and feeds what they return into a :class:`Pipeline`."""

    def __init__(self, pipeline: Pipeline) -> None:
        self.pipeline = pipeline
        self.settings = pipeline.settings
        self.db = pipeline.db

    def process_fetch(
        self,
        feed: Feed,
        result: FetchResult,
        *,
        alerts: AlertMode = "immediate",
        now: datetime | None = None,
    ) -> FeedOutcome:
        """Parse a fetched body, ingest its entries and record the feed's fetch state."""
        now = now or utcnow()
        outcome = FeedOutcome(
            feed.name, ok=True, not_modified=result.not_modified or result.unchanged
        )
        parsed = None
        if result.body is not None and not result.unchanged:
            try:
                parsed = parse_feed(
                    result.body,
                    url=result.final_url or result.url,
                    now=now,
                    content_type=result.content_type,
                )
            except ParseError as exc:
                return self.record_failure(feed, str(exc), now=now)
            outcome.problems = parsed.problems
            for problem in parsed.problems[:5]:
                log.warning("feed %s: %s", feed.name, problem)
            assert feed.id is not None
            outcome.stats = self.pipeline.ingest(feed.id, parsed.entries, alerts=alerts, now=now)
        self._record_success(
            feed,
            result,
            parsed.ttl_s if parsed else None,
            parsed.title if parsed else None,
            outcome.stats.new,
            now,
        )
        return outcome

    def _record_success(
        self,
        feed: Feed,
        result: FetchResult,
        ttl_s: int | None,
        title: str | None,
        new_items: int,
        now: datetime,
    ) -> None:
        with self.db.session() as session:
            row = session.get(Feed, feed.id)
            if row is None:
                return
            row.last_polled_at = row.last_success_at = now
            row.last_status, row.last_error = result.status, None
            row.consecutive_failures, row.healthy = 0, True
            row.etag = result.etag or row.etag
            row.last_modified = result.last_modified or row.last_modified
            row.body_hash = result.body_hash or row.body_hash
            row.ttl_s = ttl_s if ttl_s is not None else row.ttl_s
            row.title = title or row.title
            row.items_seen += new_items
            if result.permanent_redirect and result.final_url and row.url:
                log.info("feed %s moved permanently to %s", row.name, result.final_url)
                row.url = result.final_url
            row.next_poll_at = schedule.after_success(
                self.settings.polling, now, row.interval_s, row.ttl_s
            )
            row.lease_owner = row.lease_expires_at = None
            session.add(row)

    def record_failure(
        self,
        feed: Feed,
        error: str,
        *,
        now: datetime | None = None,
        status: int | None = None,
        retry_after_s: float | None = None,
    ) -> FeedOutcome:
        """Record a failed poll: error text, back-off, unhealthy after repeated failures."""
        now = now or utcnow()
        with self.db.session() as session:
            row = session.get(Feed, feed.id)
            if row is not None:
                row.last_polled_at = row.last_error_at = now
                row.last_status, row.last_error = status, error[:2000]
                row.consecutive_failures += 1
                row.healthy = row.consecutive_failures < self.settings.polling.unhealthy_after
                row.next_poll_at = schedule.after_failure(
                    self.settings.polling, now, row.consecutive_failures, retry_after_s
                )
                row.lease_owner = row.lease_expires_at = None
                session.add(row)
        log.warning("feed %s failed: %s", feed.name, error)
        return FeedOutcome(feed.name, ok=False, error=error)

    async def poll_feed(
        self, fetcher: Fetcher, feed: Feed, *, alerts: AlertMode = "immediate"
    ) -> FeedOutcome:
        """Fetch one feed (URL or file) and process what it returned."""
        try:
            if feed.path:
                result = read_feed_file(
                    feed.path,
                    max_bytes=self.settings.fetch.max_response_bytes,
                    previous_hash=feed.body_hash,
                )
            elif feed.url:
                result = await fetcher.fetch(
                    feed.url,
                    etag=feed.etag,
                    last_modified=feed.last_modified,
                    previous_hash=feed.body_hash,
                )
            else:
                return self.record_failure(feed, "feed has neither url nor path")
        except HTTPStatusError as exc:
            return self.record_failure(
                feed, str(exc), status=exc.status, retry_after_s=exc.retry_after
            )
        except FetchError as exc:
            return self.record_failure(feed, str(exc))
        return self.process_fetch(feed, result, alerts=alerts)

    async def poll(
        self, fetcher: Fetcher, feeds: Sequence[Feed], *, alerts: AlertMode = "immediate"
    ) -> list[FeedOutcome]:
        """Poll feeds concurrently (bounded by ``fetch.max_concurrency``)."""
        limit = asyncio.Semaphore(self.settings.fetch.max_concurrency)

        async def one(feed: Feed) -> FeedOutcome:
            async with limit:
                return await self.poll_feed(fetcher, feed, alerts=alerts)

        return list(await asyncio.gather(*(one(f) for f in feeds)))
