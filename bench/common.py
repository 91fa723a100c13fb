"""What the benchmark sections share: settings, bulk inserts, measured subprocesses, the machine."""

from __future__ import annotations

import datetime as dt
import itertools
import os
import platform
import subprocess
import sys
import threading
import time
import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import make_url

from monitor.config import Settings
from monitor.store.database import Database

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CONFIG = ROOT / "config" / "monitor.toml"
DEFAULT_POSTGRES = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


def settings_for(db_url: str, **sections: Mapping[str, Any]) -> Settings:
    """The shipped default configuration (its watch rule included) on ``db_url``, without its
    sample feeds, with ``sections`` merged over it."""
    data = config_data()
    data["database"] = {**data.get("database", {}), "url": db_url}
    for name, values in sections.items():
        data[name] = {**data.get(name, {}), **values}
    return Settings.model_validate(data)


def config_data() -> dict[str, Any]:
    """The shipped default configuration as TOML data, without its sample feeds."""
    data = tomllib.loads(DEFAULT_CONFIG.read_text(encoding="utf-8"))
    data["feeds"] = []
    return data


def machine() -> dict[str, Any]:
    """Where the figures were measured."""
    load = os.getloadavg() if hasattr(os, "getloadavg") else (0.0, 0.0, 0.0)
    return {
        "cpu_count": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "date": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "load_average_1m": round(load[0], 2),
    }


def postgres_url() -> str | None:
    """The PostgreSQL server to measure on, ``None`` when none answers."""
    url = (
        os.environ.get("MONITOR_BENCH_POSTGRES_URL")
        or os.environ.get("MONITOR_TEST_POSTGRES_URL")
        or DEFAULT_POSTGRES
    )
    try:
        Database(url).ping()
    except Exception:  # any failure to connect means: no PostgreSQL here
        return None
    return url


def with_database(url: str, name: str) -> str:
    """``url`` pointing at database ``name`` on the same server."""
    return make_url(url).set(database=name).render_as_string(hide_password=False)


def bulk_insert(
    db: Database, table: Table, rows: Iterable[Mapping[str, Any]], chunk: int = 50_000
) -> int:
    """Insert ``rows`` (dicts keyed by column name, all with the same keys) fast: values
    converted by the columns' own types, then COPY on PostgreSQL, one executemany per
    chunk on SQLite. Indexes are maintained as for any insert. The number of rows."""
    count = 0
    for part in _chunks(iter(rows), chunk):
        columns = list(part[0])
        values = _bound(db, table, columns, part)
        names = ", ".join(f'"{c}"' for c in columns)
        if db.is_sqlite:
            marks = ", ".join("?" * len(columns))
            with db.engine.begin() as conn:
                conn.exec_driver_sql(
                    f'INSERT INTO "{table.name}" ({names}) VALUES ({marks})', values
                )
        else:
            _copy(db, f'COPY "{table.name}" ({names}) FROM STDIN', values)
        count += len(part)
    return count


def _chunks(rows: Iterator[Mapping[str, Any]], size: int) -> Iterator[list[Mapping[str, Any]]]:
    while part := list(itertools.islice(rows, size)):
        yield part


def _bound(
    db: Database, table: Table, columns: list[str], rows: list[Mapping[str, Any]]
) -> list[tuple[Any, ...]]:
    """The rows as the dialect receives them (what SQLAlchemy's insert would send)."""
    dialect = db.engine.dialect
    procs = [table.c[c].type._cached_bind_processor(dialect) for c in columns]
    pairs = list(zip(columns, procs, strict=True))
    return [tuple(p(row[c]) if p else row[c] for c, p in pairs) for row in rows]


def _copy(db: Database, statement: str, values: list[tuple[Any, ...]]) -> None:
    raw = db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        with cursor.copy(statement) as copy:  # type: ignore[attr-defined]
            for row in values:
                copy.write_row(row)
        raw.commit()
    finally:
        raw.close()


@dataclass
class Measured:
    """A finished subprocess: exit status, output, wall time, peak resident memory."""

    returncode: int
    stdout: str
    stderr: str
    seconds: float
    peak_rss_mb: float


def run_measured(
    args: list[str],
    *,
    env: Mapping[str, str] | None = None,
    timeout: float = 600,
    on_line: Callable[[str, subprocess.Popen[str]], None] | None = None,
) -> Measured:
    """Run ``args`` and measure it: wall time and peak RSS of that very process (from
    ``wait4``, so other children of the benchmark do not count). ``on_line`` sees each
    line of its standard error as it comes (to signal it, for instance)."""
    full_env = {**os.environ, **(env or {})}
    started = time.perf_counter()
    proc = subprocess.Popen(
        args, cwd=ROOT, env=full_env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    watchdog = threading.Timer(timeout, proc.kill)
    watchdog.start()
    out: list[str] = []
    reader = threading.Thread(target=lambda: out.append(proc.stdout.read()))  # type: ignore[union-attr]
    reader.start()
    err: list[str] = []
    try:
        for line in proc.stderr:  # type: ignore[union-attr]
            err.append(line)
            if on_line:
                on_line(line, proc)
        reader.join()
        _, status, usage = os.wait4(proc.pid, 0)
    finally:
        watchdog.cancel()
    proc.returncode = os.waitstatus_to_exitcode(status)
    # ru_maxrss is in KiB on Linux, bytes on macOS.
    scale = 1024 * 1024 if sys.platform == "darwin" else 1024
    return Measured(
        proc.returncode,
        "".join(out),
        "".join(err),
        time.perf_counter() - started,
        round(usage.ru_maxrss / scale, 1),
    )


def rate(count: float, seconds: float) -> float:
    """``count / seconds``, rounded; 0 when nothing was timed."""
    return round(count / seconds, 1) if seconds > 0 else 0.0
