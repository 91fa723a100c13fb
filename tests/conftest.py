"""Shared fixtures: settings, databases (SQLite and PostgreSQL), a local HTTP server."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from monitor.config import Settings
from monitor.store.database import Database
from tests.servers import HTTPTestServer

REPO = Path(__file__).resolve().parent.parent
SEEDS = REPO / "seeds"
POSTGRES_URL = os.environ.get("MONITOR_TEST_POSTGRES_URL")
#: The shared material beside the repository (absent in a user's clone: tests using it skip).
SHARED = Path(os.environ.get("MONITOR_SHARED_DIR") or REPO.parent / "shared")


def shared_path(*parts: str) -> Path:
    """A path under the shared material, or skip the test when it is not there."""
    path = SHARED.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"{path} not available (shared material is not part of the repository)")
    return path


def make_settings(**sections: Any) -> Settings:
    """Settings from keyword sections, e.g. ``make_settings(watch=[...])``."""
    return Settings.model_validate(sections)


@pytest.fixture
def sqlite_db(tmp_path: Path) -> Iterator[Database]:
    """A fresh, migrated SQLite database in a temporary directory."""
    db = Database(f"sqlite:///{tmp_path / 'monitor.db'}")
    db.upgrade()
    yield db
    db.dispose()


@pytest.fixture
def postgres_url() -> Iterator[str]:
    """The URL of a fresh PostgreSQL database, dropped afterwards."""
    if not POSTGRES_URL:
        pytest.skip("PostgreSQL tests need MONITOR_TEST_POSTGRES_URL (set by .ci/run)")
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    name = f"monitor_test_{uuid.uuid4().hex[:12]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(POSTGRES_URL).set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as conn:
            conn.execute(
                text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :n"),
                {"n": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


@pytest.fixture
def postgres_db(postgres_url: str) -> Iterator[Database]:
    """A fresh, migrated PostgreSQL database."""
    db = Database(postgres_url)
    db.upgrade()
    yield db
    db.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def db(request: pytest.FixtureRequest) -> Database:
    """The same test on SQLite and on PostgreSQL."""
    return request.getfixturevalue(f"{request.param}_db")


@pytest.fixture
def http_server() -> Iterator[HTTPTestServer]:
    """A real HTTP server on 127.0.0.1 whose routes a test sets."""
    server = HTTPTestServer()
    server.start()
    yield server
    server.stop()
