"""``make bench``: run the benchmark sections, print a table, write ``bench/results.json``.

Sections (``--only`` picks some; the others keep their figures from the previous file):

- ``pipeline``: the synthetic corpus through the real backfill path, items/s end to end,
  per stage, and against bare ``feedparser.parse`` of the same bytes (:mod:`bench.pipeline`);
- ``memory``: peak RSS of ``monitor backfill`` of the same corpus in a subprocess;
- ``match``: one new report's cost with 1,000 vs 100,000 stored incidents, on SQLite and
  PostgreSQL (:mod:`bench.match`);
- ``poll``: ``monitor run`` over 1,000 and 5,000 local feeds, half answering 304: the
  cycle, feeds/s and the daemon's peak RSS (:mod:`bench.poll`).

PostgreSQL: ``MONITOR_BENCH_POSTGRES_URL``, else ``MONITOR_TEST_POSTGRES_URL``, else
postgresql://postgres@127.0.0.1:5432/test when it answers; the benchmark creates its own
databases there and drops them. ``--quick`` runs every section on tiny sizes (a smoke run).
"""

from __future__ import annotations

import argparse
import cProfile
import json
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench import match, pipeline, poll
from bench.common import ROOT, machine, postgres_url, rate, run_measured
from bench.corpus import write_corpus

SECTIONS = ("pipeline", "memory", "match", "poll")
REQUIRED = (
    "pipeline_items_per_s",
    "pipeline_vs_parse_ratio",
    "poll_feeds_per_s",
    "poll_cycle_5000_s",
    "dedup_scale_ratio_sqlite",
    "dedup_scale_ratio_postgres",
    "backfill_peak_rss_mb",
    "daemon_peak_rss_mb",
)


@dataclass(frozen=True)
class Sizes:
    """How big each section runs."""

    items: int = 10_000
    feeds: tuple[int, ...] = (1_000, 5_000)
    incidents: tuple[int, int] = (match.SMALL, match.LARGE)
    rounds: int = 5
    batch: int = 100


QUICK = Sizes(items=400, feeds=(40, 120), incidents=(100, 1_000), rounds=1, batch=8)


def memory(tmp: Path, items: int) -> dict[str, Any]:
    """Peak RSS of ``monitor backfill`` (the CLI, in a subprocess) of the corpus."""
    corpus = write_corpus(tmp / "memory-corpus", items=items)
    db_url = f"sqlite:///{tmp / 'memory.db'}"
    measured = run_measured(
        [sys.executable, "-m", "monitor", "backfill", "--no-alerts", str(tmp / "memory-corpus")],
        env={"MONITOR_DATABASE_URL": db_url},
    )
    if measured.returncode != 0:
        raise RuntimeError(f"monitor backfill failed: {measured.stderr[-2000:]}")
    return {
        "backfill_peak_rss_mb": measured.peak_rss_mb,
        "backfill_subprocess_seconds": round(measured.seconds, 2),
        "backfill_subprocess_items_per_s": rate(corpus.items, measured.seconds),
    }


def run_sections(
    names: list[str],
    sizes: Sizes,
    tmp: Path,
    say: Callable[[str], None],
    profile: Path | None = None,
    undated_percent: int = match.UNDATED_PERCENT,
) -> dict[str, Any]:
    """Run the named sections; their figures, with each section's wall time."""
    out: dict[str, Any] = {}
    for name in names:
        say(f"[bold]{name}[/] …")
        started = time.perf_counter()
        if name == "pipeline":
            profiler = cProfile.Profile() if profile else None
            if profiler:
                profiler.enable()
            out.update(pipeline.run(tmp, sizes.items))
            if profiler and profile:
                profiler.disable()
                profiler.dump_stats(profile)
        elif name == "memory":
            out.update(memory(tmp, sizes.items))
        elif name == "match":
            out.update(
                match.run(
                    tmp,
                    postgres_url(),
                    sizes=sizes.incidents,
                    rounds=sizes.rounds,
                    batch_size=sizes.batch,
                    undated_percent=undated_percent,
                )
            )
        elif name == "poll":
            out.update(poll.run(tmp, sizes.feeds))
        out.setdefault("section_seconds", {})[name] = round(time.perf_counter() - started, 1)
    return out


#: (key, label, unit, target description, test of the target or None)
ROWS: list[tuple[str, str, str, str, Callable[[float], bool] | None]] = [
    ("pipeline_items_per_s", "pipeline, end to end", "items/s", "", None),
    ("bare_parse_items_per_s", "bare feedparser.parse (floor)", "items/s", "", None),
    ("pipeline_vs_parse_ratio", "pipeline time / bare parse time", "x", "<= 3", lambda v: v <= 3),
    ("stage_parse_items_per_s", "stage: parse (monitor.parse)", "items/s", "", None),
    ("stage_classify_items_per_s", "stage: classify + extract", "items/s", "", None),
    ("stage_match_items_per_s", "stage: copies + incident matching", "items/s", "", None),
    ("stage_storage_items_per_s", "stage: storage", "items/s", "", None),
    ("bottleneck_stage", "bottleneck", "", "", None),
    ("poll_feeds_per_s", "poll, largest cycle", "feeds/s", "", None),
    ("poll_cycle_5000_s", "poll cycle, 5,000 feeds", "s", "< 300", lambda v: v < 300),
    ("dedup_scale_ratio_sqlite", "match 100k / 1k incidents, SQLite", "x", "<= 1.5", lambda v: v <= 1.5),
    ("dedup_scale_ratio_postgres", "match 100k / 1k incidents, PostgreSQL", "x", "<= 1.5", lambda v: v <= 1.5),
    ("backfill_peak_rss_mb", "peak RSS, monitor backfill", "MB", "< 300", lambda v: v < 300),
    ("daemon_peak_rss_mb", "peak RSS, monitor run (5,000 feeds)", "MB", "< 300", lambda v: v < 300),
]  # fmt: skip


def table(results: dict[str, Any]) -> Table:
    """The headline figures, with their targets."""
    out = Table(title=f"monitor benchmarks ({results['machine']['date']})")
    for column in ("figure", "value", "target", ""):
        out.add_column(column)
    for key, label, unit, target, meets in ROWS:
        value = results.get(key)
        shown = "n/a" if value is None else f"{value} {unit}".strip()
        verdict = ""
        if meets is not None and isinstance(value, int | float):
            verdict = "[green]met[/]" if meets(value) else "[red]missed[/]"
        out.add_row(label, shown, target, verdict)
    return out


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks (see the module docstring)."""
    parser = argparse.ArgumentParser(
        prog="python -m bench", description=(__doc__ or "").split("\n\n")[0]
    )
    parser.add_argument("--quick", action="store_true", help="tiny sizes: a smoke run")
    parser.add_argument(
        "--only", action="append", choices=SECTIONS, help="run only this section (repeatable)"
    )
    parser.add_argument(
        "--out",
        type=Path,
        help="where to write JSON (default bench/results.json; with --quick, "
        "monitor-bench-quick.json in the temporary directory, so a smoke run never "
        "replaces a full run's figures)",
    )
    parser.add_argument("--profile", type=Path, help="write a cProfile of the pipeline section")
    parser.add_argument(
        "--undated-percent",
        type=int,
        default=match.UNDATED_PERCENT,
        help="match: share of stored incidents without an event date (default %(default)s)",
    )
    args = parser.parse_args(argv)
    if args.out is None:
        quick_out = Path(tempfile.gettempdir()) / "monitor-bench-quick.json"
        args.out = quick_out if args.quick else ROOT / "bench" / "results.json"
    console = Console(stderr=True)
    names = [s for s in SECTIONS if not args.only or s in args.only]
    previous: dict[str, Any] = {}
    if args.only and args.out.exists():
        previous = json.loads(args.out.read_text(encoding="utf-8"))
    started, where = time.perf_counter(), machine()
    with tempfile.TemporaryDirectory(prefix="monitor-bench-") as tmp:
        figures = run_sections(
            names,
            QUICK if args.quick else Sizes(),
            Path(tmp),
            console.print,
            args.profile,
            args.undated_percent,
        )
    sections = {**previous.get("section_seconds", {}), **figures.pop("section_seconds", {})}
    results: dict[str, Any] = dict.fromkeys(REQUIRED)
    results.update({k: v for k, v in previous.items() if k not in ("machine", "quick")})
    results.update(figures)
    results["section_seconds"] = sections
    results["quick"] = args.quick
    results["machine"] = {**where, "total_seconds": round(time.perf_counter() - started, 1)}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(results, indent=2, default=str) + "\n", encoding="utf-8")
    Console().print(table(results))
    console.print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
