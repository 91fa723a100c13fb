"""Incident matching at scale: the cost of one new report with 1,000 vs 100,000 stored incidents.

History is written fast but as the incidents code writes it: each stored incident is
a real report (a wire attack report of :mod:`bench.corpus`, classified by the real
detector) with its event date moved, folded by :func:`~monitor.incidents.reconcile.reconcile`
into an incident row; its keys are :func:`~monitor.incidents.assign.incident_keys`
(table ``incidentkey``), and it has one source item with its link (``itemincident``) and
its ten LSH band values (``itemfingerprint``, random: the texts are distinct). Rows go in
by bulk insert (COPY on PostgreSQL), indexes in place.

History grows with time, not density: 30 incidents a day ending on the corpus's last day
(1,000 incidents cover 33 days, 100,000 cover 9 years), newest first, so the last 33 days
are the same incidents in both databases. 1 % of incidents are undated (archive items).

Then batches of new attack reports, dated within those last days, are ingested with
:meth:`Pipeline.ingest` (verdicts computed beforehand, so only copy detection, matching
and storage are timed) into both databases in turn, alternating which goes first; round 0
warms up. The figure is the median time per item, and the ratio large / small.
"""

from __future__ import annotations

import os
import random
import statistics
import time
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from bench.common import bulk_insert, settings_for, with_database
from bench.corpus import LAST_DAY, Writer, attack_events
from monitor.detect import Detector
from monitor.incidents.assign import incident_keys
from monitor.incidents.fingerprints import BANDS
from monitor.incidents.matcher import Report
from monitor.incidents.reconcile import reconcile
from monitor.pipeline import Pipeline, reports_of
from monitor.records import Entry, Verdict
from monitor.store.database import Database
from monitor.store.models import Feed, Incident, IncidentKey, Item, ItemFingerprint, ItemIncident

PER_DAY = 30
UNDATED_PERCENT = 1
SMALL, LARGE = 1_000, 100_000


@dataclass
class _Draft:
    """The fields :func:`reconcile` writes, before they become an incident row."""

    title: str = ""
    summary: str = ""
    event_date: date | None = None
    country: str | None = None
    place: str | None = None
    site: str | None = None
    target: str | None = None
    target_type: str | None = None
    target_nationality: str | None = None
    weapon: str | None = None
    munitions: int | None = None
    killed: int | None = None
    injured: int | None = None
    perpetrator: str | None = None
    perpetrator_status: str | None = None
    figures: dict[str, Any] = field(default_factory=dict)
    tally: dict[str, Any] = field(default_factory=dict)


class CachedDetector:
    """Verdicts computed beforehand, so that timing leaves detection out."""

    def __init__(self, verdicts: dict[str, Verdict]) -> None:
        self.verdicts = verdicts

    def detect(self, entry: Entry) -> Verdict:
        """The verdict computed for ``entry``."""
        return self.verdicts[entry.guid]


def attack_entries(seed: int, count: int, days: int = 30) -> list[Entry]:
    """``count`` wire reports of distinct attacks, dated within the last ``days`` days."""
    writer = Writer(seed)
    out = []
    for n, event in enumerate(attack_events(writer, count)):
        ago = (LAST_DAY - event[3]).days % max(days, 1)
        event = (*event[:3], LAST_DAY - timedelta(days=ago), *event[4:])
        story = writer.attack(n % 20, event)
        out.append(
            Entry(
                guid=f"s{seed}-{n}",
                link=story.link + f"?s={seed}",
                title=story.title,
                content="\n\n".join(story.paragraphs),
                published=story.published,
            )
        )
    return out


def templates(detector: Detector, count: int = 150) -> list[Report]:
    """Real reports to build history from."""
    out = []
    for entry in attack_entries(7, count):
        verdict = detector.detect(entry)
        if verdict.is_attack:
            out.extend(reports_of(entry, verdict)[:1])
    return out


def history(
    reports: list[Report], size: int, undated_percent: int = UNDATED_PERCENT
) -> Iterator[tuple[str, dict[str, Any]]]:
    """(table, row) for ``size`` stored incidents, newest first, with ids from 1;
    ``undated_percent`` of them without an event date."""
    now = datetime(2024, 6, 1, tzinfo=UTC)
    incident_base = Incident(revision=1).model_dump()
    item_base = Item(feed_id=1, guid="", is_attack=True, fetched_at=now, classified_at=now)
    item_row = item_base.model_dump()
    attacks = [r.attack.to_dict() for r in reports]  # as each source's link stores it
    rng = random.Random(size)  # band values only: unique texts
    for n in range(size):
        day = LAST_DAY - timedelta(days=n // PER_DAY)
        which = (n * 7919) % len(reports)
        template = reports[which]
        undated = (n * 37) % 100 < undated_percent
        attack = replace(template.attack, event_date=None if undated else day)
        report = replace(template, attack=attack, published=day + timedelta(days=1))
        draft = _Draft()
        reconcile(draft, report)
        watch = list(attack.watch)
        ident = n + 1
        yield (
            "incident",
            {
                **incident_base,
                **vars(draft),
                "id": ident,
                "watch": watch,
                "relevant": bool(watch),
                "sources_count": 1,
                "outlets_count": 1,
                "first_seen_at": now,
                "last_updated_at": now,
            },
        )
        for kind, value in incident_keys(draft):  # type: ignore[arg-type]
            yield (
                "incidentkey",
                {
                    "incident_id": ident,
                    "kind": kind,
                    "value": value,
                    "event_date": draft.event_date,
                },
            )
        link = f"https://history.example/{ident}"
        yield (
            "item",
            {
                **item_row,
                "id": ident,
                "guid": f"h{ident}",
                "link": link,
                "canonical_link": link,
                "title": report.title,
                "content": f"{report.lede} ({ident})",
                "published": datetime.combine(day, datetime.min.time(), UTC),
                "content_hash": f"history-{ident}",
                "relevant": bool(watch),
            },
        )
        yield (
            "itemincident",
            {
                "item_id": ident,
                "incident_id": ident,
                "attack_index": 0,
                "is_primary": True,
                "attack": {**attacks[which], "event_date": None if undated else day.isoformat()},
                "score": 1.0,
                "created_at": now,
            },
        )
        for band in range(BANDS):
            signed = rng.getrandbits(64) - (1 << 63)
            yield "itemfingerprint", {"item_id": ident, "band": band, "value": signed}


def populate(
    db: Database, reports: list[Report], size: int, undated_percent: int = UNDATED_PERCENT
) -> float:
    """A fresh database holding ``size`` incidents; the seconds it took."""
    started = time.perf_counter()
    db.upgrade()
    bulk_insert(db, Feed.__table__, [Feed(id=1, name="history").model_dump()])  # type: ignore[attr-defined]
    tables: dict[str, Any] = {
        str(t.__tablename__): t.__table__  # type: ignore[union-attr]
        for t in (Incident, IncidentKey, Item, ItemIncident, ItemFingerprint)
    }
    buffers: dict[str, list[dict[str, Any]]] = {name: [] for name in tables}
    order = ["incident", "incidentkey", "item", "itemincident", "itemfingerprint"]
    for name, row in history(reports, size, undated_percent):
        buffers[name].append(row)
        if len(buffers["incident"]) >= 5_000:
            for table in order:  # foreign keys: parents first
                bulk_insert(db, tables[table], buffers[table])
                buffers[table] = []
    for table in order:
        bulk_insert(db, tables[table], buffers[table])
    with db.engine.begin() as conn:
        if not db.is_sqlite:  # ids were given: move the sequences past them
            for table in ("feed", "incident", "item"):
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                        f"(SELECT max(id) FROM {table}))"
                    )
                )
            conn.execute(text("ANALYZE"))
        else:
            conn.execute(text("ANALYZE"))
    return time.perf_counter() - started


def ingest_seconds(db: Database, pipeline: Pipeline, batch: list[Entry]) -> float:
    """Seconds to ingest ``batch`` (one transaction, as a backfill batch)."""
    with db.session() as session:
        feed = session.get(Feed, 1)
        assert feed is not None and feed.id is not None
        feed_id = feed.id
    started = time.perf_counter()
    pipeline.ingest(feed_id, batch, alerts="none")
    return time.perf_counter() - started


def compare(
    small: Database,
    large: Database,
    detector: Detector,
    rounds: int,
    batch_size: int,
    span_days: int,
) -> dict[str, Any]:
    """Interleaved rounds of new batches on both databases: medians and ratio."""
    settings = settings_for(small.url)
    per_item: dict[str, list[float]] = {"small": [], "large": []}
    for n in range(rounds + 1):
        batch = attack_entries(1000 + n, batch_size, days=span_days)
        cached = CachedDetector({e.guid: detector.detect(e) for e in batch})
        order = [("small", small), ("large", large)]
        for name, db in order if n % 2 else reversed(order):
            pipeline = Pipeline(settings, db, detector=cached)  # type: ignore[arg-type]
            seconds = ingest_seconds(db, pipeline, batch)
            if n:  # round 0 warms caches up
                per_item[name].append(seconds / len(batch))
    small_ms = statistics.median(per_item["small"]) * 1000
    large_ms = statistics.median(per_item["large"]) * 1000
    return {
        "ms_per_item_small": round(small_ms, 2),
        "ms_per_item_large": round(large_ms, 2),
        "ratio": round(large_ms / small_ms, 2),
    }


def run_engine(
    urls: tuple[str, ...],
    reports: list[Report],
    sizes: tuple[int, int],
    undated: int,
    **kw: Any,
) -> dict[str, Any]:
    """Populate both databases, compare, dispose of them."""
    small, large = Database(urls[0]), Database(urls[1])
    try:
        fill = {
            size: populate(db, reports, size, undated)
            for db, size in zip((small, large), sizes, strict=True)
        }
        detector = Detector(settings_for(small.url).watch)
        out = compare(small, large, detector, **kw)
        out["populate_s"] = {str(k): round(v, 1) for k, v in fill.items()}
        return out
    finally:
        small.dispose()
        large.dispose()


def run(
    tmp: Path,
    postgres: str | None,
    sizes: tuple[int, int] = (SMALL, LARGE),
    rounds: int = 5,
    batch_size: int = 100,
    undated_percent: int = UNDATED_PERCENT,
) -> dict[str, Any]:
    """Matching scale on SQLite and, when reachable, PostgreSQL."""
    detector = Detector(settings_for("sqlite://").watch)
    reports = templates(detector)
    # New reports fall within the small history's days (minus the matching window).
    span = max(min(30, sizes[0] // PER_DAY - 3), 1)
    kw = {"rounds": rounds, "batch_size": batch_size, "span_days": span}
    out: dict[str, Any] = {
        "match_sizes": list(sizes),
        "match_templates": len(reports),
        "match_undated_percent": undated_percent,
    }
    sqlite_urls = tuple(f"sqlite:///{tmp / f'match{size}.db'}" for size in sizes)
    out["match_sqlite"] = run_engine(sqlite_urls, reports, sizes, undated_percent, **kw)
    out["dedup_scale_ratio_sqlite"] = out["match_sqlite"]["ratio"]
    out["match_postgres"] = None
    out["dedup_scale_ratio_postgres"] = None
    if postgres:
        # Named by process: a second run at the same time (the smoke test) keeps to its own.
        names = [f"monitor_bench_{os.getpid()}_{size}" for size in sizes]
        urls = tuple(with_database(postgres, name) for name in names)
        with pg_databases(postgres, names):
            result = run_engine(urls, reports, sizes, undated_percent, **kw)
        out["match_postgres"] = result
        out["dedup_scale_ratio_postgres"] = result["ratio"]
    return out


class pg_databases:  # noqa: N801 - a context manager, used like a function
    """Fresh PostgreSQL databases ``names`` on the server of ``url``, dropped on exit."""

    def __init__(self, url: str, names: list[str]) -> None:
        self.engine = create_engine(url, isolation_level="AUTOCOMMIT")
        self.names = names

    def _drop(self) -> None:
        with self.engine.connect() as conn:
            for name in self.names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    def __enter__(self) -> None:
        self._drop()
        with self.engine.connect() as conn:
            for name in self.names:
                conn.execute(text(f'CREATE DATABASE "{name}"'))

    def __exit__(self, *exc: object) -> None:
        self._drop()
        self.engine.dispose()
