"""Matching and copy detection read through indexes, never a scan; the schema matches models."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import event
from sqlmodel import SQLModel

from monitor.records import Attack
from monitor.store import repository as repo
from monitor.store.database import Database
from monitor.store.models import Incident
from tests.integration.test_incidents import ASAD, WIRE
from tests.integration.test_pipeline_store import SETTINGS
from tests.scripted import entry, feed, ingest_all, scripted_pipeline

WATCHED_TABLES = ("incident", "incidentkey", "itemfingerprint", "itemincident")


def test_migrations_create_exactly_the_tables_the_models_declare(db: Database) -> None:
    with db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, SQLModel.metadata) == []


@contextmanager
def statements(db: Database) -> Iterator[list[tuple[str, Any]]]:
    seen: list[tuple[str, Any]] = []

    def grab(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        seen.append((statement, parameters))

    event.listen(db.engine, "before_cursor_execute", grab)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", grab)


def plans(db: Database, captured: list[tuple[str, Any]]) -> list[tuple[str, list[str]]]:
    """(statement, plan lines) of each SELECT that reads one of the watched tables."""
    out = []
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        if not db.is_sqlite:
            cursor.execute("SET enable_seqscan = off")  # tiny tables: ask if an index *can* serve
        for statement, params in captured:
            tables = set(re.findall(r"\b(?:FROM|JOIN)\s+(\w+)", statement, re.IGNORECASE))
            if not statement.lstrip().upper().startswith("SELECT") or not tables & set(
                WATCHED_TABLES
            ):
                continue
            cursor.execute(
                ("EXPLAIN QUERY PLAN " if db.is_sqlite else "EXPLAIN ") + statement, params
            )
            out.append((statement, [str(row[-1] if db.is_sqlite else row[0]) for row in cursor]))
    finally:
        raw.close()
    return out


def scans(line: str, sqlite: bool) -> bool:
    if sqlite:
        words = line.split()
        return len(words) > 1 and words[0] == "SCAN" and words[1] in WATCHED_TABLES
    return any(f"Seq Scan on {table} " in line + " " for table in WATCHED_TABLES)


def test_ingesting_an_attack_reads_incidents_and_fingerprints_through_indexes(
    db: Database,
) -> None:
    pipeline, detector = scripted_pipeline(SETTINGS, db)
    history = []
    for n in range(30):  # some history, on other days and at other places
        day = date(2024, 3, 1) + timedelta(days=n)
        detector.say(f"old{n}", replace(ASAD, event_date=day, site=None, place=f"Base {n}"))
        history.append((feed(db, "history"), entry(f"old{n}", f"{WIRE} Day {n}.", day)))
    ingest_all(pipeline, history)
    undated: Attack = replace(ASAD, event_date=None)
    detector.say("new", ASAD)
    detector.say("undated", undated)
    with statements(db) as captured:
        pipeline.ingest(feed(db, "new"), [entry("new", WIRE + " Update.", ASAD.event_date)])  # type: ignore[arg-type]
        pipeline.ingest(
            feed(db, "new"),
            [
                replace(
                    entry("undated", "Rockets hit Ain al-Asad.", date(2024, 5, 6)), published=None
                )
            ],
        )
    checked = plans(db, captured)
    assert len(checked) >= 4
    scanning = [
        (sql, plan) for sql, plan in checked if any(scans(line, db.is_sqlite) for line in plan)
    ]
    assert scanning == []
    if db.is_sqlite:
        # A date-bounded lookup must bound the index range by date too, else it reads every
        # incident of a country or place ever stored.
        unbounded = [
            (sql, plan)
            for sql, plan in checked
            if "BETWEEN" in sql
            for line in plan
            if line.startswith("SEARCH") and "USING INDEX" in line and "event_date" not in line
        ]
        assert unbounded == []


def test_an_archive_of_undated_incidents_adds_only_the_most_recent_per_key(db: Database) -> None:
    limit = repo.UNDATED_KEY_LIMITS["place"]
    with db.session() as session:
        ids = []
        for n in range(limit * 3):  # undated incidents, all known by one place word
            incident = Incident(title=f"old {n}", sources_count=1)
            session.add(incident)
            session.flush()
            assert incident.id is not None
            repo.set_incident_keys(session, incident.id, [("place", "asad")], None, fresh=True)
            ids.append(incident.id)
        session.commit()
    with db.session() as session:
        found = repo.candidate_incidents(session, ASAD, 3, keys=[("place", "asad")])
    assert sorted(i.id or 0 for i in found) == ids[-limit:]
