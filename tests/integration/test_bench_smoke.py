"""The benchmark's building blocks on tiny sizes, so that ``make bench`` does not rot.

No timing is asserted: only that each section runs the real code and measures what it says.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bench import match, pipeline, poll
from bench.__main__ import REQUIRED, main, memory
from bench.common import settings_for
from bench.corpus import write_corpus
from monitor.detect import Detector
from monitor.parse import parse_feed
from monitor.store.database import Database
from monitor.store.models import Incident, IncidentKey, ItemFingerprint

pytestmark = pytest.mark.slow


def test_corpus_is_deterministic_news_with_attacks_and_copies(tmp_path: Path) -> None:
    first = write_corpus(tmp_path / "a", items=300, feeds=5)
    second = write_corpus(tmp_path / "b", items=300, feeds=5)
    assert [f.read_bytes() for f in first.files] == [f.read_bytes() for f in second.files]
    entries = [e for f in first.files for e in parse_feed(f.read_bytes()).entries]
    assert len(entries) == first.items == 300
    assert first.attack_items == 15 and first.copies > 30
    detector = Detector(settings_for("sqlite://").watch)
    assert sum(detector.detect(e).is_attack for e in entries) >= 10


def test_pipeline_section_runs_the_backfill_and_times_every_stage(tmp_path: Path) -> None:
    figures = pipeline.run(tmp_path, items=200)
    assert figures["pipeline_items_stored"] > 100
    assert figures["pipeline_attacks_detected"] > 0 and figures["pipeline_incidents"] > 0
    for stage in ("parse", "classify", "match", "storage"):
        assert figures[f"stage_{stage}_items_per_s"] > 0
    assert figures["pipeline_vs_parse_ratio"] > 0


def test_history_is_written_as_the_incidents_code_writes_it(tmp_path: Path) -> None:
    detector = Detector(settings_for("sqlite://").watch)
    reports = match.templates(detector, count=20)
    db = Database(f"sqlite:///{tmp_path / 'h.db'}")
    match.populate(db, reports, 90)
    with db.session() as session:
        assert session.scalar(select(func.count()).select_from(Incident)) == 90
        assert session.scalar(select(func.count()).select_from(ItemFingerprint)) == 900
        assert session.scalar(select(func.count()).select_from(IncidentKey)) > 90
    # New reports of the same places and days join the stored incidents.
    batch = match.attack_entries(1000, 10, days=1)
    cached = match.CachedDetector({e.guid: detector.detect(e) for e in batch})
    ingest = match.Pipeline(settings_for(db.url), db, detector=cached)  # type: ignore[arg-type]
    stats = ingest.ingest(1, batch, alerts="none")
    assert stats.attacks > 0 and stats.incidents_new < stats.attacks


def test_match_section_compares_both_sizes(tmp_path: Path) -> None:
    url = os.environ.get("MONITOR_TEST_POSTGRES_URL")
    figures = match.run(tmp_path, url, sizes=(60, 240), rounds=1, batch_size=4)
    assert figures["dedup_scale_ratio_sqlite"] > 0
    if url:
        assert figures["dedup_scale_ratio_postgres"] > 0


def test_daemon_polls_half_not_modified_and_is_measured(tmp_path: Path) -> None:
    figures = poll.run(tmp_path, (20,))
    cycle = figures["poll_20"]
    assert (cycle["feeds"], cycle["not_modified"], cycle["items_new"]) == (20, 10, 10)
    assert cycle["failed"] == 0 and figures["daemon_peak_rss_mb"] > 10


def test_backfill_subprocess_memory_and_results_file(tmp_path: Path) -> None:
    assert memory(tmp_path, 60)["backfill_peak_rss_mb"] > 10
    out = tmp_path / "results.json"
    assert main(["--quick", "--only", "pipeline", "--out", str(out)]) == 0
    results = json.loads(out.read_text())
    assert set(REQUIRED) <= results.keys() and results["pipeline_items_per_s"] > 0
    assert results["machine"]["cpu_count"] >= 1
