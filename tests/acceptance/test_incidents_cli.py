"""``monitor incidents show`` and ``monitor reprocess`` as users run them."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from tests.acceptance.test_cli import run
from tests.conftest import REPO

SEEDS = ["seeds/feeds/seed.xml", "seeds/feeds/world-news.xml"]


@pytest.fixture
def backfilled(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A fresh clone's layout with the sample feeds backfilled into a SQLite database."""
    shutil.copytree(REPO / "config", tmp_path / "config")
    shutil.copytree(REPO / "seeds", tmp_path / "seeds")
    env = {"MONITOR_DATABASE_URL": f"sqlite:///{tmp_path / 'monitor.db'}"}
    result = run(["backfill", *SEEDS, "--no-alerts"], tmp_path, env)
    assert result.returncode == 0, result.stderr
    return tmp_path, env


def test_incidents_show_lists_each_source_with_its_date_and_figures(
    backfilled: tuple[Path, dict[str, str]],
) -> None:
    cwd, env = backfilled
    result = run(["incidents", "show", "1"], cwd, env)
    assert result.returncode == 0, result.stderr
    assert "1 source(s) from 1 outlet(s)" in result.stdout
    assert "2023-12-09" in result.stdout and "killed" in result.stdout
    assert "https://news.example.org/2023/12/09/baghdad-embassy-rockets" in result.stdout
    as_json = json.loads(run(["incidents", "show", "1", "--json"], cwd, env).stdout)
    assert as_json["id"] == 1 and len(as_json["sources"]) == 1


def test_an_unknown_incident_is_a_clear_error(backfilled: tuple[Path, dict[str, str]]) -> None:
    cwd, env = backfilled
    result = run(["incidents", "show", "999"], cwd, env)
    assert result.returncode == 2
    assert "no incident 999" in result.stderr


def test_reprocess_rebuilds_the_same_state_and_says_what_it_did(
    backfilled: tuple[Path, dict[str, str]],
) -> None:
    cwd, env = backfilled
    before = run(["export", "items", "--format", "jsonl"], cwd, env).stdout
    dry = run(["reprocess", "--dry-run"], cwd, env)
    assert dry.returncode == 0, dry.stderr
    assert "dry run, nothing changed" in dry.stdout
    result = run(["reprocess"], cwd, env)
    assert result.returncode == 0, result.stderr
    assert "reprocess: 5 items" in result.stdout
    assert "alerts     0 queued" in result.stdout
    assert run(["export", "items", "--format", "jsonl"], cwd, env).stdout == before
