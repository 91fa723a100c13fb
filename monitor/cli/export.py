"""``monitor export``: items and incidents as JSON Lines, CSV or GeoJSON, on stdout."""

from __future__ import annotations

import csv
import json
import sys
from collections.abc import Iterator
from datetime import date
from enum import StrEnum
from typing import Annotated, Any

import typer

from monitor.cli.common import state
from monitor.errors import MonitorError
from monitor.records import Verdict
from monitor.store import repository as repo
from monitor.store.models import Incident, Item

app = typer.Typer(help="Export stored items or incidents.", no_args_is_help=True)

ITEM_COLUMNS = (
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
)
INCIDENT_COLUMNS = (
    "id",
    "title",
    "event_date",
    "country",
    "place",
    "target",
    "target_type",
    "target_nationality",
    "weapon",
    "munitions",
    "killed",
    "injured",
    "perpetrator",
    "perpetrator_status",
    "relevant",
    "watch",
    "severity",
    "revision",
    "sources_count",
    "outlets_count",
    "first_seen_at",
    "last_updated_at",
    "sources",
)


class Format(StrEnum):
    jsonl = "jsonl"
    csv = "csv"
    geojson = "geojson"


def item_record(
    item: Item, feed: str, incident_id: int | None, incident_date: date | None = None
) -> dict[str, Any]:
    """The export contract of one item (see README, 'Export').

    An item whose text does not date its attack (an undated page saying "on Tuesday")
    takes the date of the incident it was assigned to, reconciled from its other reports.
    """
    verdict = Verdict.from_dict(item.verdict) if item.verdict else None
    main = verdict.primary if verdict else None
    event_date = (main.event_date if main else None) or (incident_date if main else None)
    return {
        "guid": item.guid,
        "link": item.link,
        "title": item.title,
        "published": item.published.isoformat() if item.published else None,
        "feed": feed,
        "attack": item.is_attack,
        "relevant": item.relevant,
        "watch": list(item.watch),
        "score": float(item.score),
        "incident_id": str(incident_id) if incident_id is not None else None,
        "event_date": event_date.isoformat() if event_date else None,
        "country": main.country if main else None,
        "place": main.place if main else None,
        "target_type": main.target_type if main else None,
        "weapon": main.weapon if main else None,
        "killed": main.killed if main else None,
        "injured": main.injured if main else None,
        "perpetrator": main.perpetrator if main else None,
    }


def incident_record(incident: Incident, sources: list[str]) -> dict[str, Any]:
    """One incident with its sources' links."""
    data: dict[str, Any] = {}
    for name in INCIDENT_COLUMNS[:-1]:
        value = getattr(incident, name)
        data[name] = value.isoformat() if hasattr(value, "isoformat") else value
    data["id"] = str(incident.id)
    data["figures"] = incident.figures
    data["sources"] = sources
    return data


def _write(rows: Iterator[dict[str, Any]], fmt: Format, columns: tuple[str, ...]) -> None:
    if fmt is Format.jsonl:
        for row in rows:
            sys.stdout.write(json.dumps(row, ensure_ascii=False) + "\n")
        return
    writer = csv.DictWriter(sys.stdout, fieldnames=list(columns), extrasaction="ignore")
    writer.writeheader()
    for row in rows:
        writer.writerow(
            {k: "|".join(map(str, v)) if isinstance(v, list) else v for k, v in row.items()}
        )


@app.command("items")
def items(
    ctx: typer.Context,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="jsonl or csv.")] = Format.jsonl,
) -> None:
    """Every stored item with its verdict, main attack fields and incident."""
    if fmt is Format.geojson:
        raise MonitorError("items have no coordinates: use --format jsonl or csv")
    with state(ctx).database().session() as session:
        rows = (item_record(*row) for row in repo.iter_items_with_primary_incident(session))
        _write(rows, fmt, ITEM_COLUMNS)


@app.command("incidents")
def incidents(
    ctx: typer.Context,
    fmt: Annotated[Format, typer.Option("--format", "-f", help="jsonl or csv.")] = Format.jsonl,
    relevant: Annotated[
        bool, typer.Option("--relevant", help="Only incidents hitting a watch rule.")
    ] = False,
    include_retired: Annotated[
        bool,
        typer.Option(
            "--include-retired",
            help="Also incidents left without sources (merged into another, or retired by "
            "reprocess).",
        ),
    ] = False,
) -> None:
    """Every incident with its reconciled fields and its sources' links."""
    if fmt is Format.geojson:
        raise MonitorError("incidents carry no coordinates yet: use --format jsonl or csv")
    with state(ctx).database().session() as session:
        found = repo.list_incidents(
            session, relevant_only=relevant, include_retired=include_retired
        )
        found.sort(key=lambda i: i.id or 0)
        links = repo.incident_links(session, [i.id for i in found if i.id is not None])
        rows = (incident_record(i, links.get(i.id or 0, [])) for i in found)
        _write(rows, fmt, INCIDENT_COLUMNS)
