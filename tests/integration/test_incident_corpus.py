"""Matching alone on the dev corpus: gold attack fields in, incidents out, scored as the eval does.

The end-to-end score (``eval_corpus.py``) also depends on what detection extracts; this test
feeds the matcher the corpus's labelled fields instead, so it measures the matching rules
themselves: reports of one event must come together (B-cubed F1 over the relevant items),
and no incident may hold two events (over every attack item, watched or not). A second run
replaces each event date with the publication day, the commonest extraction error.
"""

from __future__ import annotations

import collections
import json
from dataclasses import replace
from datetime import date
from typing import Any

import pytest
from sqlmodel import Session

from monitor.incidents.assign import Assigner
from monitor.incidents.matcher import Report
from monitor.records import Attack
from monitor.store import repository as repo
from monitor.store.database import Database
from monitor.store.models import Item, utcnow
from tests.conftest import shared_path


def load() -> list[dict[str, Any]]:
    path = shared_path("corpus", "dev", "articles.jsonl")
    rows = [json.loads(line) for line in path.read_text("utf-8").splitlines() if line.strip()]
    return [r for r in rows if r["label"] != "not_attack"]


def gold_attack(row: dict[str, Any]) -> Attack:
    watched = row["label"] == "relevant"
    return Attack(
        event_date=date.fromisoformat(row["event_date"]) if row["event_date"] else None,
        country=row["country"],
        place=row["place"],
        target_type=row["target_type"],
        target_nationality="US" if watched else None,
        weapon=row["weapon"],
        killed=row["killed"],
        injured=row["injured"],
        perpetrator=row["perpetrator"],
        watch=("watched",) if watched else (),
    )


def cluster(db: Database, rows: list[dict[str, Any]], on_publication_day: bool) -> dict[str, int]:
    """Each row's incident id, rows fed as the eval's feeds are: by outlet, newest first."""
    by_outlet: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
    for row in rows:
        by_outlet[row["domain"]].append(row)
    assigner, found = Assigner(), {}
    with db.session() as session:
        for outlet in sorted(by_outlet):
            feed_id = repo.source_feed(session, outlet).id
            for row in sorted(by_outlet[outlet], key=lambda r: r["published"] or "", reverse=True):
                found[row["id"]] = _assign(session, assigner, feed_id or 0, row, on_publication_day)
    return found


def _assign(
    session: Session, assigner: Assigner, feed_id: int, row: dict[str, Any], on_pub_day: bool
) -> int:
    published = date.fromisoformat(row["published"]) if row["published"] else None
    attack = gold_attack(row)
    if on_pub_day and published:
        attack = replace(attack, event_date=published)
    item = Item(feed_id=feed_id, guid=row["id"], title=row["title"], fetched_at=utcnow())
    session.add(item)
    session.flush()
    report = Report.of(attack, published, row["title"], row["text"][:600], body=row["text"][:1500])
    [done] = assigner.assign(session, item, [report], utcnow())
    return done.incident.id or 0


def bcubed_f1(gold: dict[str, str], predicted: dict[str, int]) -> float:
    same_gold: dict[str, set[str]] = collections.defaultdict(set)
    same_pred: dict[int, set[str]] = collections.defaultdict(set)
    for key in gold:
        same_gold[gold[key]].add(key)
        same_pred[predicted[key]].add(key)
    both = {k: len(same_gold[gold[k]] & same_pred[predicted[k]]) for k in gold}
    precision = sum(both[k] / len(same_pred[predicted[k]]) for k in gold) / len(gold)
    recall = sum(both[k] / len(same_gold[gold[k]]) for k in gold) / len(gold)
    return 2 * precision * recall / (precision + recall)


@pytest.mark.slow
@pytest.mark.parametrize("on_publication_day", [False, True], ids=["gold-dates", "pub-dates"])
def test_matching_gold_fields_clusters_the_dev_corpus(
    sqlite_db: Database, on_publication_day: bool
) -> None:
    rows = load()
    found = cluster(sqlite_db, rows, on_publication_day)
    events_per_incident: dict[int, set[str]] = collections.defaultdict(set)
    for row in rows:
        events_per_incident[found[row["id"]]].add(row["incident"])
    merged = {i: events for i, events in events_per_incident.items() if len(events) > 1}
    assert merged == {}
    relevant = {r["id"]: r["incident"] for r in rows if r["label"] == "relevant"}
    assert bcubed_f1(relevant, found) >= 0.95
