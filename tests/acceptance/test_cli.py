"""The real ``monitor`` command in a subprocess, as users and tools run it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO

MONITOR = [sys.executable, "-m", "monitor"]


def run(
    args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: int = 120
) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MONITOR_")}
    environ.update(env or {})
    return subprocess.run(
        [*MONITOR, *args], cwd=cwd, env=environ, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    """A directory laid out like a fresh clone: config/ and seeds/."""
    shutil.copytree(REPO / "config", tmp_path / "config")
    shutil.copytree(REPO / "seeds", tmp_path / "seeds")
    return tmp_path


def test_run_once_on_the_default_config_alerts_on_the_seed_incident(workdir: Path) -> None:
    result = run(["run", "--once"], workdir)
    assert result.returncode == 0, result.stderr
    assert "[monitor] New:" in result.stdout
    assert "US Embassy" in result.stdout or "diplomatic" in result.stdout
    written = sorted(p.suffix for p in (workdir / "var" / "outbox").iterdir())
    # The seed is a round-up (the embassy attack, al-Asad and the Conoco gas field): one
    # alert (.eml + .json) per incident, however incident matching groups the three.
    assert written.count(".eml") == written.count(".json") >= 1
    assert set(written) == {".eml", ".json"}
    again = run(["run", "--once"], workdir)
    assert "[monitor] New:" not in again.stdout, "a second cycle must not alert again"


def test_backfill_then_export_items_follows_the_export_contract(workdir: Path) -> None:
    env = {"MONITOR_DATABASE_URL": f"sqlite:///{workdir / 'eval.db'}"}
    backfill = run(
        ["backfill", "seeds/feeds/seed.xml", "seeds/feeds/world-news.xml", "--no-alerts"],
        workdir,
        env,
    )
    assert backfill.returncode == 0, backfill.stderr
    export = run(["export", "items", "--format", "jsonl"], workdir, env)
    rows = [json.loads(line) for line in export.stdout.splitlines()]
    assert len(rows) == 5
    keys = {
        "guid",
        "link",
        "title",
        "published",
        "feed",
        "attack",
        "relevant",
        "watch",
        "score",
        "incident_id",
        "event_date",
        "country",
        "place",
        "target_type",
        "weapon",
        "killed",
        "injured",
        "perpetrator",
    }
    assert all(keys <= set(row) for row in rows)
    seed = next(r for r in rows if r["guid"] == "seed-baghdad-embassy-2023-12-09")
    assert seed["attack"] and seed["relevant"] and seed["incident_id"]
    assert seed["watch"] == ["us-diplomatic-military"]
    assert not any(r["relevant"] for r in rows if r is not seed)
    assert not (workdir / "var" / "outbox").exists(), "--no-alerts sends nothing"


def test_backfill_runs_from_any_directory_with_the_packaged_default_config(tmp_path: Path) -> None:
    env = {"MONITOR_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    result = run(
        ["backfill", str(REPO / "seeds" / "feeds" / "seed.xml"), "--no-alerts"], tmp_path, env
    )
    assert result.returncode == 0, result.stderr
    export = run(["export", "items"], tmp_path, env)
    assert json.loads(export.stdout.splitlines()[0])["relevant"] is True


def test_a_bad_config_key_fails_at_start_with_its_name(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("[fetch]\ntimeout = 3\n")
    result = run(["--config", str(bad), "config", "check"], tmp_path)
    assert result.returncode == 2
    assert "fetch.timeout: unknown key" in result.stderr


def test_a_missing_backfill_source_is_named(tmp_path: Path) -> None:
    env = {"MONITOR_DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}"}
    result = run(["backfill", "nowhere.xml", "--no-alerts"], tmp_path, env)
    assert result.returncode == 2
    assert "nowhere.xml: no such file" in result.stderr
