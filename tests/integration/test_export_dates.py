"""Export: an item that does not date its attack takes its incident's date."""

from __future__ import annotations

from datetime import UTC, datetime

from monitor.cli.export import item_record
from monitor.config import load_settings
from monitor.pipeline import Pipeline
from monitor.records import Entry
from monitor.store import repository as repo
from monitor.store.database import Database
from tests.conftest import REPO

SETTINGS = load_settings(REPO / "config" / "monitor.toml", environ={})
DATED = Entry(
    guid="dated",
    link="https://one.example/a",
    title="Rockets hit US base at Ain al-Asad in Iraq",
    content="Three rockets struck Ain al-Asad air base, which hosts US troops, on Tuesday "
    "night. No casualties were reported, the coalition said.",
    published=datetime(2021, 3, 3, 8, tzinfo=UTC),
)
UNDATED = Entry(
    guid="undated",
    link="https://two.example/b",
    title="Rocket attack targets Ain al-Asad airbase hosting American forces",
    content="Several rockets landed on the Ain al-Asad airbase in western Iraq on Tuesday, "
    "where US forces are stationed. There were no injuries, officials said.",
    published=None,
)


def test_an_undated_report_takes_the_date_of_the_incident_it_joined(db: Database) -> None:
    pipeline = Pipeline(SETTINGS, db)
    with db.session() as session:
        one = repo.source_feed(session, "one", path="/tmp/one.xml").id
        two = repo.source_feed(session, "two", path="/tmp/two.xml").id
    assert one is not None and two is not None
    pipeline.ingest(one, [DATED])
    pipeline.ingest(two, [UNDATED])
    with db.session() as session:
        rows = {
            row[0].guid: item_record(*row) for row in repo.iter_items_with_primary_incident(session)
        }
    assert rows["dated"]["event_date"] == "2021-03-02"
    assert rows["undated"]["incident_id"] == rows["dated"]["incident_id"]
    assert rows["undated"]["event_date"] == "2021-03-02"
