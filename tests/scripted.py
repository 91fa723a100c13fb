"""A detector whose verdicts a test writes, to test what happens after detection.

Detection is its own stage with its own tests; incident matching is tested on the attacks a
test states, so that its expectations do not move when the detector's extraction improves.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime
from typing import cast

from monitor.config import Settings
from monitor.detect import Detector
from monitor.pipeline import Pipeline
from monitor.records import Attack, Entry, Verdict
from monitor.store import repository as repo
from monitor.store.database import Database

#: The rule of the default configuration (US diplomatic and military targets).
US_RULE = "us-diplomatic-military"


class ScriptedDetector:
    """Answers the verdict written for an entry's guid; anything else is not an attack."""

    def __init__(self) -> None:
        self.verdicts: dict[str, Verdict] = {}

    def say(self, guid: str, *attacks: Attack) -> None:
        """Entries with this guid report these attacks (attack 0 is the main one)."""
        self.verdicts[guid] = Verdict(True, 1.0, attacks)

    def detect(self, entry: Entry) -> Verdict:
        """The verdict written for the entry."""
        return self.verdicts.get(entry.guid) or Verdict(False, 0.0, reason="not scripted")


def scripted_pipeline(settings: Settings, db: Database) -> tuple[Pipeline, ScriptedDetector]:
    """A pipeline on ``db`` whose detector answers what the test says."""
    detector = ScriptedDetector()
    return Pipeline(settings, db, cast(Detector, detector)), detector


def feed(db: Database, name: str) -> int:
    """The id of a (backfill) feed called ``name``."""
    with db.session() as session:
        row = repo.source_feed(session, name, path=f"/feeds/{name}.xml")
        assert row.id is not None
        return row.id


def entry(guid: str, text: str, day: date, title: str | None = None, hour: int = 9) -> Entry:
    """An entry published on ``day``: its link is made from the guid."""
    return Entry(
        guid=guid,
        link=f"https://news.example.org/{guid}",
        title=title or text.split(".")[0][:80],
        content=text,
        published=datetime(day.year, day.month, day.day, hour, tzinfo=UTC),
    )


def ingest_all(pipeline: Pipeline, items: Iterable[tuple[int, Entry]]) -> None:
    """Ingest each (feed id, entry) as its own batch, in order."""
    for feed_id, item in items:
        pipeline.ingest(feed_id, [item])
