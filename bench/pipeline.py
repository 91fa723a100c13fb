"""Pipeline throughput: the synthetic corpus through the real backfill path, stage by stage.

The corpus (:mod:`bench.corpus`) goes through :func:`monitor.backfill.run_backfill`, the
code ``monitor backfill`` runs, into a fresh SQLite database. The pipeline is the real one
with two thin wrappers that only keep time: around the detector (classify + extract) and
around :meth:`Pipeline.link_item` (copy detection, candidate incidents, scoring, incident
writes: "incident matching"). Storage is what :meth:`Pipeline.ingest` spends besides them
(seen-item checks, text hash, the item row, links, commit). Parsing is timed apart with
:func:`monitor.parse.parse_feed` over the same files, and the floor is bare
``feedparser.parse`` of the same bytes, timed before and after the run (mean of the two).

Every stage's rate is given per corpus item (items in the corpus / seconds in that stage),
so the rates combine like resistances in series and the slowest stage is the bottleneck.
"""

from __future__ import annotations

import io
import time
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

import feedparser
from sqlalchemy import func, select

from bench.common import rate, settings_for
from bench.corpus import Corpus, write_corpus
from monitor.backfill import run_backfill
from monitor.detect import Detector
from monitor.incidents import assign
from monitor.parse import parse_feed
from monitor.pipeline import AlertMode, IngestStats, Pipeline
from monitor.records import Entry, Verdict
from monitor.store.database import Database
from monitor.store.models import Item


class TimedDetector:
    """The detector, keeping the time it spends."""

    def __init__(self, detector: Detector) -> None:
        self.inner = detector
        self.seconds = 0.0
        self.calls = 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def detect(self, entry: Entry) -> Verdict:
        """:meth:`Detector.detect`, timed."""
        started = time.perf_counter()
        try:
            return self.inner.detect(entry)
        finally:
            self.seconds += time.perf_counter() - started
            self.calls += 1


class TimedPipeline(Pipeline):
    """The pipeline, keeping the time of ingest and of incident linking."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.ingest_seconds = 0.0
        self.link_seconds = 0.0

    def ingest(
        self,
        feed_id: int,
        entries: Sequence[Entry],
        *,
        alerts: AlertMode = "immediate",
        now: datetime | None = None,
    ) -> IngestStats:
        """:meth:`Pipeline.ingest`, timed."""
        started = time.perf_counter()
        try:
            return super().ingest(feed_id, entries, alerts=alerts, now=now)
        finally:
            self.ingest_seconds += time.perf_counter() - started

    def link_item(self, *args: Any, **kwargs: Any) -> list[assign.Assignment]:
        """:meth:`Pipeline.link_item`, timed."""
        started = time.perf_counter()
        try:
            return super().link_item(*args, **kwargs)
        finally:
            self.link_seconds += time.perf_counter() - started


def bare_parse_seconds(files: Sequence[Path]) -> float:
    """``feedparser.parse`` with its defaults over the files' bytes (read beforehand)."""
    bodies = [f.read_bytes() for f in files]
    started = time.perf_counter()
    for body in bodies:
        feedparser.parse(io.BytesIO(body))
    return time.perf_counter() - started


def parse_seconds(files: Sequence[Path]) -> tuple[float, int]:
    """monitor's own parse (feedparser, then normalised entries) over the files: (s, entries)."""
    bodies = [f.read_bytes() for f in files]
    started = time.perf_counter()
    count = sum(
        len(parse_feed(body, url=str(f)).entries) for f, body in zip(files, bodies, strict=True)
    )
    return time.perf_counter() - started, count


def backfill(corpus_dir: Path, db_url: str) -> tuple[TimedPipeline, TimedDetector, Any]:
    """Run the corpus through the real backfill path on a fresh database."""
    settings = settings_for(db_url)
    db = Database(db_url)
    db.upgrade()
    detector = TimedDetector(Detector(settings.watch))
    pipeline = TimedPipeline(settings, db, detector=detector)  # type: ignore[arg-type]
    summary = run_backfill(pipeline, [str(corpus_dir)], alerts="none")
    db.dispose()
    return pipeline, detector, summary


def run(tmp: Path, items: int) -> dict[str, Any]:
    """The pipeline figures for a corpus of ``items`` items written under ``tmp``."""
    corpus: Corpus = write_corpus(tmp / "corpus", items=items)
    floor_before = bare_parse_seconds(corpus.files)
    pipeline, detector, summary = backfill(tmp / "corpus", f"sqlite:///{tmp / 'pipeline.db'}")
    floor = (floor_before + bare_parse_seconds(corpus.files)) / 2
    parse_s, entries = parse_seconds(corpus.files)
    detect_s, link_s = detector.seconds, pipeline.link_seconds
    storage_s = max(pipeline.ingest_seconds - detect_s - link_s, 0.0)
    total = summary.seconds
    stats = summary.stats
    stages = {"parse": parse_s, "classify": detect_s, "match": link_s, "storage": storage_s}
    bottleneck = max(stages, key=lambda k: stages[k])
    with Database(f"sqlite:///{tmp / 'pipeline.db'}").session() as session:
        stored = session.scalar(select(func.count()).select_from(Item))
    return {
        "pipeline_items": corpus.items,
        "pipeline_corpus_feeds": len(corpus.files),
        "pipeline_corpus_mb": round(corpus.bytes / 1e6, 1),
        "pipeline_attack_items_written": corpus.attack_items,
        "pipeline_copies_written": corpus.copies,
        "pipeline_items_stored": stored,
        "pipeline_attacks_detected": stats.attacks,
        "pipeline_duplicates": stats.duplicates,
        "pipeline_incidents": stats.incidents_new,
        "pipeline_seconds": round(total, 2),
        "pipeline_items_per_s": rate(corpus.items, total),
        "bare_parse_seconds": round(floor, 2),
        "bare_parse_items_per_s": rate(corpus.items, floor),
        "pipeline_vs_parse_ratio": round(total / floor, 2) if floor else None,
        "stage_parse_items_per_s": rate(corpus.items, parse_s),
        "stage_parse_entries": entries,
        "stage_classify_items_per_s": rate(corpus.items, detect_s),
        "stage_match_items_per_s": rate(corpus.items, link_s),
        "stage_storage_items_per_s": rate(corpus.items, storage_s),
        "stage_seconds": {k: round(v, 2) for k, v in stages.items()},
        "stage_other_seconds": round(max(total - pipeline.ingest_seconds - parse_s, 0.0), 2),
        "match_ms_per_attack": round(link_s / stats.attacks * 1000, 2) if stats.attacks else None,
        "bottleneck_stage": bottleneck,
    }
