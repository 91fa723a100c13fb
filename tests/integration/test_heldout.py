"""Held-out articles through the real pipeline: our guard against tuning to the dev corpus.

``tests/fixtures/heldout/articles.jsonl`` holds short articles written for this test (not
taken from any corpus), in the dev corpus's format: other places, dates, weapons and
outlets' styles; French, Spanish, Portuguese, German and Arabic; hard negatives; several
reports of one attack (a dateline abroad, an undated page, a toll that rises the next
day); two attacks in one country on one day at two bases. Each line carries its own
expectation (``label``, ``incident`` and the fields), read here as the specification.

Entries are fed as the eval feeds them: one feed per outlet, newest first, published at
noon UTC. Every item's verdict and stated fields must come out as written, every gold
incident must be one incident, and no incident may hold two gold incidents.

``tests/fixtures/heldout2/articles.jsonl`` is a second such set, written blind (before its
author read the detector): other regions (Jordan, Libya, Egypt, Tunisia, Sudan, the
Philippines, Germany, Greece, Somalia, Pakistan, Mexico, Colombia, Turkey, the Red Sea),
styles (live blogs, press releases, wire datelines with the filing day, undated blogs),
Russian and Ukrainian items, and two attacks on one day in two countries. What the
detector still gets wrong there is listed in its known gaps, each with what it says.
"""

from __future__ import annotations

import collections
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest

from monitor.cli.export import item_record
from monitor.config import load_settings
from monitor.pipeline import Pipeline
from monitor.records import Entry
from monitor.store import repository as repo
from monitor.store.database import Database
from monitor.store.models import Incident
from tests.conftest import REPO

FIXTURES = Path(__file__).parent.parent / "fixtures"
FIXTURE = FIXTURES / "heldout" / "articles.jsonl"
FIXTURE2 = FIXTURES / "heldout2" / "articles.jsonl"
SETTINGS = load_settings(REPO / "config" / "monitor.toml", environ={})
FIELDS = ("event_date", "country", "weapon", "killed", "injured")
MISSILES = frozenset({"missile", "ballistic missile", "cruise missile"})
#: Fields the detector still gets wrong, with what it says instead. Fixing one makes this
#: test fail: then delete its line.
KNOWN_GAPS: dict[tuple[str, str], Any] = {
    # "The attacker died at the scene ... Nobody else was injured": the attacker's death
    # keeps killed unknown.
    ("h-08", "killed"): None,
    # "Three other soldiers remain in hospital": no casualty word.
    ("h-14", "injured"): None,
    # --- heldout2 ---
    # Russian and Ukrainian are not among the languages detection reads.
    ("q-15", "verdict"): (False, False),
    ("q-36", "verdict"): (False, False),
    # "The ambassador ... and three other Americans": the ambassador is not added.
    ("q-05", "killed"): 3,
    # "Des hommes armés ont pris d'assaut ...": the storming is read; the rockets and
    # automatic weapons "heard" in a later sentence that reports no attack are not.
    ("q-05", "weapon"): "storming",
    # "a suicide bomber followed by gunmen": mixed by the project's rule (the label says
    # suicide bombing).
    ("q-14", "weapon"): "mixed",
    # "from last month's Iranian ballistic missile strike": no day said, so none is read
    # (the incident it belongs to would date it, but the update stays split, below).
    ("q-13", "event_date"): None,
    # "police wounded and captured one of them": the attacker counted as injured.
    ("q-28", "injured"): 2,
    # "killing two militants": militants count as attackers even when they are the targets.
    ("q-43", "killed"): 0,
}
#: Gold incidents the pipeline still splits (known gaps, see KNOWN_GAPS for why).
KNOWN_SPLITS = frozenset({"2020-01-08 ain-al-asad-ballistic-missiles"})


def load(*fixtures: Path) -> list[dict[str, Any]]:
    lines = [line for f in fixtures or (FIXTURE,) for line in f.read_text("utf-8").splitlines()]
    return [json.loads(line) for line in lines if line.strip()]


def entry(row: dict[str, Any]) -> Entry:
    published = row["published"]
    return Entry(
        guid=row["id"],
        link=row["source_url"],
        title=row["title"],
        content=row["text"],
        published=(
            datetime.combine(date.fromisoformat(published), datetime.min.time(), UTC).replace(
                hour=12
            )
            if published
            else None
        ),
    )


def run(db: Database, rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Each article's export record, the articles fed by outlet, newest first."""
    pipeline = Pipeline(SETTINGS, db)
    by_outlet: dict[str, list[dict[str, Any]]] = collections.defaultdict(list)
    for row in rows:
        by_outlet[row["domain"]].append(row)
    for outlet in sorted(by_outlet):
        with db.session() as session:
            feed_id = repo.source_feed(session, outlet, path=f"/tmp/{outlet}.xml").id
        assert feed_id is not None
        items = sorted(by_outlet[outlet], key=lambda r: r["published"] or "", reverse=True)
        pipeline.ingest(feed_id, [entry(r) for r in items])
    with db.session() as session:
        return {
            row[0].guid: item_record(*row) for row in repo.iter_items_with_primary_incident(session)
        }


def same(field: str, want: Any, got: Any) -> bool:
    if field == "weapon":
        return (want in MISSILES and got in MISSILES) or want == got
    return bool(want == got)


@pytest.mark.parametrize("fixture", [FIXTURE, FIXTURE2], ids=["heldout", "heldout2"])
def test_heldout_articles_come_out_as_written(db: Database, fixture: Path) -> None:
    rows = load(fixture)
    assert len(rows) >= 30
    out = run(db, rows)
    wrong: list[str] = []
    for row in rows:
        got = out[row["id"]]
        attack = row["label"] != "not_attack"
        want_verdict = KNOWN_GAPS.get((row["id"], "verdict"), (attack, row["label"] == "relevant"))
        if (got["attack"], got["relevant"]) != want_verdict:
            wrong.append(
                f"{row['id']}: {row['label']} read as attack={got['attack']} "
                f"relevant={got['relevant']}"
            )
            continue
        if not attack or (row["id"], "verdict") in KNOWN_GAPS:
            continue
        for field in FIELDS:
            want = row[field]
            if want is None and field != "country":
                continue  # not stated in the article
            if (row["id"], field) in KNOWN_GAPS:
                want = KNOWN_GAPS[(row["id"], field)]
            if isinstance(want, date):
                want = want.isoformat()
            if not same(field, want, got[field]):
                wrong.append(f"{row['id']}: {field} {got[field]!r}, expected {want!r}")
    assert not wrong, "\n".join(wrong)


@pytest.mark.parametrize("fixture", [FIXTURE, FIXTURE2], ids=["heldout", "heldout2"])
def test_heldout_reports_of_one_attack_make_one_incident_and_no_more(
    db: Database, fixture: Path
) -> None:
    rows = [
        r
        for r in load(fixture)
        if r["label"] != "not_attack" and KNOWN_GAPS.get((r["id"], "verdict"), (True,))[0]
    ]
    out = run(db, rows)
    by_gold: dict[str, set[str | None]] = collections.defaultdict(set)
    by_incident: dict[str | None, set[str]] = collections.defaultdict(set)
    for row in rows:
        incident_id = out[row["id"]]["incident_id"]
        by_gold[row["incident"]].add(incident_id)
        by_incident[incident_id].add(row["incident"])
    split = {gold: ids for gold, ids in by_gold.items() if len(ids) > 1}
    merged = {i: golds for i, golds in by_incident.items() if len(golds) > 1}
    assert split.keys() == KNOWN_SPLITS & by_gold.keys(), (
        f"one attack in several incidents: {split}"
    )
    assert not merged, f"several attacks in one incident: {merged}"
    assert None not in by_incident


def test_two_embassies_stormed_on_one_day_in_two_countries_stay_two(db: Database) -> None:
    rows = [r for r in load(FIXTURE2) if r["incident"] and r["incident"].startswith("2012-09-1")]
    out = run(db, rows)
    by_gold = {r["incident"]: out[r["id"]]["incident_id"] for r in rows}
    assert len(set(by_gold.values())) == len(by_gold) >= 3


def test_a_toll_revised_over_weeks_updates_one_incident(db: Database) -> None:
    rows = [r for r in load(FIXTURE2) if r["incident"] == "2024-01-28 tower-22-drone"]
    out = run(db, rows)
    (incident_id,) = {out[r["id"]]["incident_id"] for r in rows}
    with db.session() as session:
        incident = session.get(Incident, int(incident_id))
        assert incident is not None
        assert incident.killed == 3
        assert incident.country == "JO"
        assert incident.event_date == date(2024, 1, 28)


def test_a_toll_that_rises_the_next_day_updates_the_incident(db: Database) -> None:
    rows = [r for r in load() if r["incident"] == "2016-05-18 kandahar-convoy-bombing"]
    out = run(db, rows)
    (incident_id,) = {out[r["id"]]["incident_id"] for r in rows}
    assert incident_id is not None
    with db.session() as session:
        incident = session.get(Incident, int(incident_id))
        assert incident is not None
        assert incident.killed == 3
        assert incident.event_date == date(2016, 5, 18)
