"""``monitor classify``: the verdict, the fields and the evidence, as an analyst reads them."""

from __future__ import annotations

import json
from pathlib import Path

from tests.acceptance.test_cli import run
from tests.conftest import REPO

ARTICLE = """Rockets hit base housing US troops in western Iraq
Three rockets struck a base housing US troops in Anbar province early on Friday, wounding two service members, a coalition spokesman said. A group calling itself the Guardians of Blood claimed the attack."""


def test_classify_explains_a_relevant_attack(tmp_path: Path) -> None:
    result = run(["classify", ARTICLE, "--published", "2024-03-09"], tmp_path)
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "RELEVANT ATTACK" in out and "watch: us-diplomatic-military" in out
    assert "2024-03-08" in out and "'friday' -> 2024-03-08" in out
    assert "killed 0, injured 2" in out
    assert "Saraya Awliya al-Dam (claimed)" in out
    assert "rocket x3" in out


def test_classify_says_why_a_hard_negative_is_not_an_attack(tmp_path: Path) -> None:
    text = "Coach recovering after heart attack\nThe coach suffered a heart attack on Sunday."
    result = run(["classify", text], tmp_path)
    assert result.returncode == 0, result.stderr
    assert "NOT AN ATTACK REPORT" in result.stdout
    assert "medical" in result.stdout


def test_classify_a_feed_as_json_lists_every_attack_of_a_round_up(tmp_path: Path) -> None:
    feed = REPO / "seeds" / "feeds" / "seed.xml"
    result = run(["classify", "--file", str(feed), "--json"], tmp_path)
    assert result.returncode == 0, result.stderr
    verdict = json.loads(result.stdout.splitlines()[0])
    assert verdict["is_attack"] is True
    sites = [a["site"] for a in verdict["attacks"]]
    assert sites[0] == "us embassy baghdad"
    assert {"ain al-asad air base", "mission support site conoco"} <= set(sites)


def test_classify_reports_bad_input_clearly(tmp_path: Path) -> None:
    result = run(["classify", "--file", str(tmp_path / "missing.txt")], tmp_path)
    assert result.returncode != 0
    assert "missing.txt" in result.stderr + result.stdout
    bad_date = run(["classify", "Headline\nbody", "--published", "soon"], tmp_path)
    assert bad_date.returncode != 0
    assert "--published" in bad_date.stderr + bad_date.stdout
