"""One-off backfill: read archived feeds and articles through the same pipeline as the daemon.

Sources are read one at a time and handed to :meth:`Pipeline.ingest` in batches (each its
own transaction), so memory stays bounded by one feed file or one batch of JSON Lines,
whatever the total size. Items already stored are skipped, so a second run over the same
sources adds nothing and alerts nothing.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Protocol

from monitor.alerts.digest import enqueue_digests
from monitor.errors import FetchError, ParseError, ResponseTooLargeError, SourceError
from monitor.fetch.client import Fetcher
from monitor.fetch.files import read_feed_file
from monitor.fetch.sources import Source, expand_sources, read_jsonl
from monitor.parse import parse_feed
from monitor.pipeline import AlertMode, IngestStats, Pipeline
from monitor.records import Entry, FetchResult
from monitor.store import repository as repo
from monitor.store.models import utcnow

log = logging.getLogger(__name__)

BATCH_SIZE = 200


class Progress(Protocol):
    """What a progress display is told while a backfill runs."""

    def started(self, sources: int) -> None:
        """The number of sources, once expanded."""

    def batch(self, source: Source, read: int, summary: BackfillSummary) -> None:
        """A batch of ``read`` items of ``source`` was stored."""

    def source_done(self, source: Source) -> None:
        """``source`` is finished (or skipped)."""


@dataclass
class BackfillSummary:
    """What a backfill run did."""

    sources: int = 0
    stats: IngestStats = field(default_factory=IngestStats)
    #: Items left out by --since/--until (or without a date when one is given).
    outside_dates: int = 0
    #: ``source: why`` for each source that could not be read.
    failed_sources: list[str] = field(default_factory=list)
    #: ``file:line: why`` for each JSON Lines record skipped.
    rejected: list[str] = field(default_factory=list)
    digests: int = 0
    seconds: float = 0.0

    @property
    def items_per_s(self) -> float:
        """Items read per second."""
        return self.stats.read / self.seconds if self.seconds else 0.0

    @property
    def complete(self) -> bool:
        """True when every source and record could be read."""
        return not self.failed_sources and not self.rejected


@dataclass(frozen=True)
class DateFilter:
    """Publication dates kept: ``since <= published < until`` (either bound optional)."""

    since: datetime | None = None
    until: datetime | None = None

    def keeps(self, entry: Entry) -> bool:
        """Whether ``entry`` is within the dates (undated entries only when no bound is set)."""
        if self.since is None and self.until is None:
            return True
        if entry.published is None:
            return False
        return (self.since is None or entry.published >= self.since) and (
            self.until is None or entry.published < self.until
        )


class Backfill:
    """Reads sources and ingests their entries; one instance per run."""

    def __init__(
        self,
        pipeline: Pipeline,
        *,
        dates: DateFilter | None = None,
        alerts: AlertMode = "collect",
        progress: Progress | None = None,
    ) -> None:
        self.pipeline = pipeline
        self.dates = dates or DateFilter()
        self.alerts = alerts
        self.progress = progress
        self.summary = BackfillSummary()

    def run(self, specs: list[str]) -> BackfillSummary:
        """Backfill every source; with ``collect``, one digest per subscription at the end.

        Raises :class:`SourceError` before reading anything when a source does not exist.
        """
        started = time.perf_counter()
        sources = list(expand_sources(specs))
        if self.progress:
            self.progress.started(len(sources))
        with asyncio.Runner() as runner:
            fetcher = Fetcher(self.pipeline.settings.fetch)
            try:
                for source in sources:
                    self._source(source, runner, fetcher)
            finally:
                runner.run(fetcher.aclose())
        self._digests()
        self.summary.seconds = time.perf_counter() - started
        return self.summary

    def _source(self, source: Source, runner: asyncio.Runner, fetcher: Fetcher) -> None:
        self.summary.sources += 1
        try:
            feed_id = self._feed_id(source)
            for batch in self._batches(source, runner, fetcher):
                self._ingest(source, feed_id, batch)
        except (FetchError, ParseError, SourceError) as exc:
            why = str(exc)
            if isinstance(exc, ResponseTooLargeError):
                why += " (raise fetch.max_response_bytes, or use JSON Lines: they are streamed)"
            log.error("source %s skipped: %s", source.name, why)
            self.summary.failed_sources.append(f"{source.name}: {why}")
        if self.progress:
            self.progress.source_done(source)

    def _ingest(self, source: Source, feed_id: int, batch: list[Entry]) -> None:
        kept = [e for e in batch if self.dates.keeps(e)]
        self.summary.outside_dates += len(batch) - len(kept)
        mode: AlertMode = "none" if self.alerts == "collect" else self.alerts
        stats = self.pipeline.ingest(feed_id, kept, alerts=mode)
        stats.read = len(batch)
        self.summary.stats.add(stats)
        if self.progress:
            self.progress.batch(source, len(batch), self.summary)

    def _feed_id(self, source: Source) -> int:
        """The feed a source's items belong to: the polled feed of that URL, if there is one."""
        with self.pipeline.db.session() as session:
            is_url = source.kind == "url"
            feed = (repo.feed_by_url(session, source.location) if is_url else None) or (
                repo.source_feed(
                    session,
                    source.name,
                    url=source.location if is_url else None,
                    path=None if is_url else source.location,
                    category=source.category,
                )
            )
            assert feed.id is not None
            return feed.id

    def _batches(
        self, source: Source, runner: asyncio.Runner, fetcher: Fetcher
    ) -> Iterator[list[Entry]]:
        if source.kind == "jsonl":
            yield from read_jsonl(source.location, batch_size=BATCH_SIZE, on_problem=self._reject)
            return
        result = self._read(source, runner, fetcher)
        assert result.body is not None
        parsed = parse_feed(
            result.body, url=result.final_url or source.location, content_type=result.content_type
        )
        for problem in parsed.problems[:5]:
            log.warning("source %s: %s", source.name, problem)
        entries = parsed.entries
        for start in range(0, len(entries), BATCH_SIZE):
            yield list(entries[start : start + BATCH_SIZE])

    def _read(self, source: Source, runner: asyncio.Runner, fetcher: Fetcher) -> FetchResult:
        if source.kind == "file":
            limit = self.pipeline.settings.fetch.max_response_bytes
            return read_feed_file(source.location, max_bytes=limit)
        return runner.run(fetcher.fetch(source.location))

    def _reject(self, problem: str) -> None:
        log.warning("skipped %s", problem)
        self.summary.rejected.append(problem)

    def _digests(self) -> None:
        changed = self.summary.stats.changed_incidents
        if self.alerts != "collect" or not changed:
            return
        self.summary.digests = enqueue_digests(
            self.pipeline.db,
            self.pipeline.settings,
            sorted(changed),
            now=utcnow(),
            reason="backfill",
        )


def run_backfill(
    pipeline: Pipeline,
    specs: list[str],
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    alerts: AlertMode = "collect",
    progress: Progress | None = None,
) -> BackfillSummary:
    """Backfill ``specs`` (see :class:`Backfill`)."""
    backfill = Backfill(pipeline, dates=DateFilter(since, until), alerts=alerts, progress=progress)
    return backfill.run(specs)
