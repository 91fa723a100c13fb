"""The dev corpus through the detector: guards the quality bars (skips without the corpus).

Scored like tools/eval_corpus.py does, on the detector alone (no storage): relevance and
attack detection, and field accuracy on the relevant items caught. The event-date bar is
lower than the others: a fifth of the corpus's relevant items have no publication date and
date the attack only by a weekday ("on Tuesday"), which no reader can resolve alone.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest

from monitor.config import load_settings
from monitor.detect import Detector
from monitor.records import Entry
from tests.conftest import REPO, shared_path

FIELDS = ("event_date", "country", "weapon", "killed", "injured")
BARS = {"event_date": 0.70, "country": 0.85, "weapon": 0.85, "killed": 0.85, "injured": 0.85}
MISSILES = {"missile", "ballistic missile", "cruise missile"}


@pytest.fixture(scope="module")
def scored() -> dict[str, Any]:
    path = shared_path("corpus", "dev", "articles.jsonl")
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    settings = load_settings(REPO / "config" / "monitor.toml", environ={})
    detector = Detector(settings.watch, today=date(2025, 11, 1))
    results = []
    for row in rows:
        published = (
            datetime.fromisoformat(row["published"]).replace(hour=12, tzinfo=UTC)
            if row["published"]
            else None
        )
        entry = Entry(row["id"], None, row["title"], content=row["text"], published=published)
        results.append((row, detector.detect(entry)))
    return {"results": results}


def prf(pairs: list[tuple[bool, bool]]) -> tuple[float, float, float]:
    tp = sum(g and p for g, p in pairs)
    fp = sum(p and not g for g, p in pairs)
    fn = sum(g and not p for g, p in pairs)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


def test_relevant_items_are_found_with_precision_and_recall(scored: dict[str, Any]) -> None:
    pairs = [(row["label"] == "relevant", v.relevant) for row, v in scored["results"]]
    precision, recall, _ = prf(pairs)
    assert precision >= 0.95 and recall >= 0.95, (precision, recall)


def test_attack_reports_are_told_from_hard_negatives(scored: dict[str, Any]) -> None:
    pairs = [(row["label"] != "not_attack", v.is_attack) for row, v in scored["results"]]
    assert prf(pairs)[2] >= 0.90


def same(field: str, want: Any, got: Any) -> bool:
    if field == "weapon":
        return ("missile" if want in MISSILES else want) == ("missile" if got in MISSILES else got)
    if field == "event_date":
        return got is not None and got.isoformat() == want
    return got == want


@pytest.mark.parametrize("field", FIELDS)
def test_fields_of_the_relevant_items_caught(scored: dict[str, Any], field: str) -> None:
    checked = [
        (row[field], getattr(v.primary, field))
        for row, v in scored["results"]
        if row["label"] == "relevant" and v.relevant and row[field] is not None
    ]
    accuracy = sum(same(field, want, got) for want, got in checked) / len(checked)
    assert accuracy >= BARS[field], f"{field}: {accuracy:.3f}"
