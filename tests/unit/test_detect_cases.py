"""The detection specification: every case of tests/unit/detect_cases/*.toml.

Each case is an item and the verdict it must get (see detect_cases/README.md). The cases
are written for these tests: direction, negation and hypotheticals, relative dates,
casualty phrases, round-ups, each kind of hard negative, a few other languages.
"""

from __future__ import annotations

import tomllib
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from monitor.config import Settings
from monitor.detect import Detector
from monitor.records import Entry, Verdict
from tests.conftest import REPO

CASES_DIR = Path(__file__).parent / "detect_cases"
#: Cases are judged as of this day (it only matters for items without a date).
TODAY = date(2025, 1, 1)


def load_cases() -> list[Any]:
    cases = []
    for path in sorted(CASES_DIR.glob("*.toml")):
        for case in tomllib.loads(path.read_text(encoding="utf-8"))["case"]:
            cases.append(pytest.param(case, id=f"{path.stem}: {case['name']}"))
    return cases


@pytest.fixture(scope="module")
def detector() -> Detector:
    settings = Settings.model_validate(
        tomllib.loads((REPO / "config" / "monitor.toml").read_text(encoding="utf-8"))
    )
    return Detector(settings.watch, today=TODAY)


def entry_of(case: dict[str, Any]) -> Entry:
    published = case.get("published")
    return Entry(
        guid=case["name"],
        link=None,
        title=case["title"],
        content=case["text"],
        published=datetime.fromisoformat(published).replace(hour=12, tzinfo=UTC)
        if published
        else None,
    )


def explain(verdict: Verdict) -> str:
    lines = [verdict.reason]
    for attack in verdict.attacks:
        lines.append(str({k: v for k, v in attack.to_dict().items() if k != "evidence"}))
    return "\n".join(lines)


@pytest.mark.parametrize("case", load_cases())
def test_case(detector: Detector, case: dict[str, Any]) -> None:
    verdict = detector.detect(entry_of(case))
    why = explain(verdict)
    assert verdict.is_attack is case["attack"], why
    assert verdict.relevant is case["relevant"], why
    if "attacks" in case:
        assert len(verdict.attacks) == case["attacks"], why
    main = verdict.primary
    for field, want in case.get("expect", {}).items():
        assert main is not None, why
        got = getattr(main, field)
        if field == "event_date" and got is not None:
            got = got.isoformat()
        expected = None if want == "null" else want
        assert got == expected, f"{field}: want {expected!r}, got {got!r}\n{why}"
