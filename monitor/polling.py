"""Polling: fetch a feed (URL or file), hand its entries to the pipeline, record its health.

Used by the daemon for every due feed; the entries go through :meth:`Pipeline.ingest`, the
same path backfill uses. One poll:

1. fetch (conditional GET; a local ``path`` feed is read from disk);
2. a 304, or a body whose hash did not change, ends there: nothing is parsed;
3. parse; live polls date undated items with the fetch time; for ``fetch_full_text``
   feeds, new short items get their article's text (:mod:`monitor.fetch.fulltext`);
4. :meth:`Pipeline.ingest` stores the new items (one transaction per feed);
5. the feed's fetch state (ETag, failures, next poll, health) is written. :meth:`Poller.poll`
   batches these writes for many feeds into a few statements.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from monitor.errors import FetchError, HTTPStatusError, ParseError
from monitor.fetch import schedule
from monitor.fetch.client import Fetcher
from monitor.fetch.files import read_feed_file
from monitor.fetch.fulltext import with_full_text
from monitor.parse import parse_feed
from monitor.pipeline import AlertMode, IngestStats, Pipeline
from monitor.records import Entry, FetchResult, ParsedFeed
from monitor.store import repository as repo
from monitor.store.models import Feed, utcnow

log = logging.getLogger(__name__)

#: Feed states written together by :meth:`Poller.poll` (or sooner, see FLUSH_SECONDS).
FLUSH_SIZE = 200
FLUSH_SECONDS = 5.0
#: Problems logged per parse (the rest are counted in the outcome).
LOGGED_PROBLEMS = 5


@dataclass
class FeedOutcome:
    """What polling one feed did."""

    feed: str
    ok: bool
    not_modified: bool = False
    stats: IngestStats = field(default_factory=IngestStats)
    error: str | None = None
    problems: tuple[str, ...] = ()
    status: int | None = None


#: A feed row's new fetch state: column -> value, with the row's ``id``.
FeedState = dict[str, Any]


class StateBatch:
    """Collects feed states and writes them in one transaction per batch."""

    def __init__(
        self,
        write: Callable[[list[FeedState]], None],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._write = write
        self._clock = clock
        self._pending: list[FeedState] = []
        self._since = clock()

    def add(self, state: FeedState) -> None:
        """Queue a state; write the batch when it is full or old."""
        if not self._pending:
            self._since = self._clock()
        self._pending.append(state)
        if len(self._pending) >= FLUSH_SIZE or self._clock() - self._since > FLUSH_SECONDS:
            self.flush()

    def flush(self) -> None:
        """Write what is queued."""
        pending, self._pending = self._pending, []
        if pending:
            self._write(pending)


class Poller:
    """Polls feeds and feeds what they return into a :class:`Pipeline`."""

    def __init__(self, pipeline: Pipeline, *, rng: random.Random | None = None) -> None:
        self.pipeline = pipeline
        self.settings = pipeline.settings
        self.db = pipeline.db
        self.rng = rng or random.Random()

    async def poll(
        self, fetcher: Fetcher, feeds: Sequence[Feed], *, alerts: AlertMode = "immediate"
    ) -> list[FeedOutcome]:
        """Poll feeds concurrently (the fetcher bounds requests overall and per host)."""
        batch = StateBatch(self.write_states)

        async def one(feed: Feed) -> FeedOutcome:
            outcome, state = await self._guarded_poll(fetcher, feed, alerts)
            batch.add(state)
            return outcome

        try:
            return list(await asyncio.gather(*(one(f) for f in feeds)))
        finally:
            batch.flush()

    async def poll_feed(
        self, fetcher: Fetcher, feed: Feed, *, alerts: AlertMode = "immediate"
    ) -> FeedOutcome:
        """Poll one feed and write its state at once."""
        outcome, state = await self._guarded_poll(fetcher, feed, alerts)
        self.write_states([state])
        return outcome

    def write_states(self, states: list[FeedState]) -> None:
        """Write feed states in one transaction."""
        with self.db.session() as session:
            repo.update_feed_states(session, states)

    async def _guarded_poll(
        self, fetcher: Fetcher, feed: Feed, alerts: AlertMode
    ) -> tuple[FeedOutcome, FeedState]:
        try:
            return await self._poll(fetcher, feed, alerts)
        except Exception as exc:
            # A bug met on one feed must not stop the other feeds of the cycle nor make this
            # one retried every tick: it is logged with its traceback and backs off as a failure.
            log.exception("feed %s: unexpected error while polling", feed.name)
            return self.failure(feed, f"internal error: {type(exc).__name__}: {exc}", utcnow())

    async def _poll(
        self, fetcher: Fetcher, feed: Feed, alerts: AlertMode
    ) -> tuple[FeedOutcome, FeedState]:
        now = utcnow()
        try:
            result = await self._fetch(fetcher, feed)
        except HTTPStatusError as exc:
            return self.failure(
                feed, str(exc), now, status=exc.status, retry_after_s=exc.retry_after
            )
        except FetchError as exc:
            return self.failure(feed, str(exc), now)
        if result.not_modified or result.unchanged:
            outcome = FeedOutcome(feed.name, ok=True, not_modified=True, status=result.status)
            return outcome, self.success(feed, result, None, 0, now)
        assert result.body is not None
        try:
            parsed = parse_feed(
                result.body,
                url=result.final_url or result.url,
                now=now,
                content_type=result.content_type,
            )
        except ParseError as exc:
            return self.failure(feed, str(exc), now, status=result.status)
        return await self._ingest(fetcher, feed, result, parsed, alerts, now)

    async def _fetch(self, fetcher: Fetcher, feed: Feed) -> FetchResult:
        if feed.path:
            return read_feed_file(
                feed.path,
                max_bytes=self.settings.fetch.max_response_bytes,
                previous_hash=feed.body_hash,
            )
        if not feed.url:
            raise FetchError(f"feed {feed.name!r} has neither url nor path")
        return await fetcher.fetch(
            feed.url,
            etag=feed.etag,
            last_modified=feed.last_modified,
            previous_hash=feed.body_hash,
        )

    async def _ingest(
        self,
        fetcher: Fetcher,
        feed: Feed,
        result: FetchResult,
        parsed: ParsedFeed,
        alerts: AlertMode,
        now: datetime,
    ) -> tuple[FeedOutcome, FeedState]:
        # INFO, not WARNING: the feed was read; a chronic charset slip would otherwise drown
        # the failures in warnings every cycle. `monitor feeds check` shows them all.
        for problem in parsed.problems[:LOGGED_PROBLEMS]:
            log.info("feed %s: %s", feed.name, problem)
        assert feed.id is not None
        entries = await self._prepare(fetcher, feed, parsed.entries, now)
        stats = self.pipeline.ingest(feed.id, entries, alerts=alerts, now=now)
        outcome = FeedOutcome(
            feed.name, ok=True, stats=stats, problems=parsed.problems, status=result.status
        )
        return outcome, self.success(feed, result, parsed, stats.new, now)

    async def _prepare(
        self, fetcher: Fetcher, feed: Feed, entries: Sequence[Entry], now: datetime
    ) -> Sequence[Entry]:
        # A live poll sees an item close to when it is published: undated items get that time.
        entries = [e if e.published else dataclasses.replace(e, published=now) for e in entries]
        if not feed.fetch_full_text or feed.id is None:
            return entries
        with self.db.session() as session:
            known = repo.known_guids(session, feed.id, [e.guid for e in entries])
        fresh = [e for e in entries if e.guid not in known]
        enriched = await with_full_text(fetcher, fresh, self.settings.fetch.full_text_min_chars)
        return list(enriched)

    def success(
        self,
        feed: Feed,
        result: FetchResult,
        parsed: ParsedFeed | None,
        new_items: int,
        now: datetime,
    ) -> FeedState:
        """The state after a successful poll (``parsed`` is None when nothing changed)."""
        ttl_s = parsed.ttl_s if parsed else feed.ttl_s
        state: FeedState = {
            "id": feed.id,
            "last_polled_at": now,
            "last_success_at": now,
            "last_status": result.status,
            "consecutive_failures": 0,
            "healthy": True,
            "next_poll_at": schedule.after_success(
                self.settings.polling, now, feed.interval_s, ttl_s, self.rng
            ),
            "lease_owner": None,
            "lease_expires_at": None,
        }
        if not result.not_modified:
            # A 304 may omit the validators; a full answer tells what the server supports now.
            state.update(etag=result.etag, last_modified=result.last_modified)
        if result.body_hash and not result.unchanged:
            state["body_hash"] = result.body_hash
        if parsed is not None:
            state.update(ttl_s=parsed.ttl_s, items_seen=feed.items_seen + new_items)
            if parsed.title:
                state["title"] = parsed.title
            if parsed.link:
                state["site_url"] = parsed.link
        if result.permanent_redirect and result.final_url and feed.url:
            log.info("feed %s moved permanently to %s", feed.name, result.final_url)
            state["url"] = result.final_url
        return state

    def failure(
        self,
        feed: Feed,
        error: str,
        now: datetime,
        *,
        status: int | None = None,
        retry_after_s: float | None = None,
    ) -> tuple[FeedOutcome, FeedState]:
        """The outcome and state of a failed poll: error, back-off, unhealthy when it persists."""
        polling = self.settings.polling
        failures = feed.consecutive_failures + 1
        gone = status == 410
        healthy = failures < polling.unhealthy_after and not gone
        if feed.healthy and not healthy:
            log.error(
                "feed %s is now unhealthy (%d failures in a row): %s", feed.name, failures, error
            )
        else:
            log.warning("feed %s failed (%d in a row): %s", feed.name, failures, error)
        state: FeedState = {
            "id": feed.id,
            "last_polled_at": now,
            "last_error_at": now,
            "last_status": status,
            "last_error": error[:2000],
            "consecutive_failures": failures,
            "healthy": healthy,
            "next_poll_at": schedule.after_failure(
                polling, now, failures, retry_after_s, self.rng, gone=gone
            ),
            "lease_owner": None,
            "lease_expires_at": None,
        }
        return FeedOutcome(feed.name, ok=False, error=error, status=status), state
