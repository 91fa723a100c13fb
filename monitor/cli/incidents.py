"""``monitor incidents``: list incidents, show one with every source and its figures."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any

import typer
from rich.markup import escape
from rich.table import Table

from monitor.cli.common import console, state
from monitor.errors import MonitorError
from monitor.records import Attack
from monitor.store import repository as repo
from monitor.store.models import Incident, Item, ItemIncident

app = typer.Typer(help="Browse incidents.", no_args_is_help=True)


def _figure(value: int | None) -> str:
    return "?" if value is None else str(value)


def _time(value: datetime | None) -> str:
    return f"{value:%Y-%m-%d %H:%M} UTC" if value else "?"


@app.command("list")
def list_incidents(
    ctx: typer.Context,
    all_: Annotated[
        bool, typer.Option("--all", help="Include attacks that hit no watch rule.")
    ] = False,
    limit: Annotated[int, typer.Option(help="Most incidents shown.")] = 50,
) -> None:
    """Incidents, most recently updated first."""
    with state(ctx).database().session() as session:
        found = repo.list_incidents(
            session, relevant_only=not all_, limit=limit, include_retired=False
        )
    table = Table("id", "date", "where", "title", "weapon", "killed", "injured", "sources", "watch")
    for i in found:
        table.add_row(
            str(i.id),
            str(i.event_date or "?"),
            escape(f"{i.place or '?'} ({i.country or '?'})"),
            escape(i.title[:60]),
            i.weapon or "?",
            _figure(i.killed),
            _figure(i.injured),
            f"{i.sources_count} ({i.outlets_count} outlets)",
            ", ".join(i.watch),
        )
    console.print(table)
    if not found:
        hint = "" if all_ else " hitting a watch rule (--all shows every attack)"
        console.print(f"no incidents{hint}")


@app.command("show")
def show(
    ctx: typer.Context,
    incident_id: Annotated[int, typer.Argument(help="Incident id.")],
    sources: Annotated[int, typer.Option(help="Most sources listed.")] = 200,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the incident and its sources as JSON.")
    ] = False,
) -> None:
    """One incident: its reconciled fields, the range of figures reported, and every source with its date, outlet and own figures."""
    with state(ctx).database().session() as session:
        incident = session.get(Incident, incident_id)
        if incident is None:
            raise MonitorError(f"no incident {incident_id} (see `monitor incidents list --all`)")
        rows = repo.incident_sources_with_outlets(session, incident_id, limit=sources)
    if as_json:
        typer.echo(json.dumps(_as_json(incident, rows), ensure_ascii=False, indent=2))
        return
    console.print(f"[bold]#{incident.id} {escape(incident.title)}[/]")
    if incident.merged_into_id is not None:
        console.print(
            f"merged into #{incident.merged_into_id}: a report showed both to be one attack "
            f"(see `monitor incidents show {incident.merged_into_id}`)"
        )
    if incident.summary:
        console.print(escape(incident.summary), style="dim")
    for label, value in _fields(incident):
        console.print(f"  {label:<13} {escape(str(value))}")
    _print_sources(rows, incident)


def _fields(incident: Incident) -> list[tuple[str, Any]]:
    tally = incident.tally or {}
    return [
        ("event date", f"{incident.event_date or '?'}{_seen(tally.get('dates'))}"),
        ("place", f"{incident.place or '?'}{_seen(tally.get('places'), 3)}"),
        ("site", incident.site or "—"),
        ("country", incident.country or "?"),
        (
            "target",
            f"{incident.target or '?'} ({incident.target_type or '?'}, "
            f"{incident.target_nationality or '?'})",
        ),
        (
            "weapon",
            f"{incident.weapon or '?'}"
            + (f", {incident.munitions} munitions" if incident.munitions else "")
            + _seen(tally.get("weapons")),
        ),
        ("killed", f"{_figure(incident.killed)}{_range(incident.figures.get('killed'))}"),
        ("injured", f"{_figure(incident.injured)}{_range(incident.figures.get('injured'))}"),
        (
            "perpetrator",
            f"{incident.perpetrator or '?'} ({incident.perpetrator_status or 'unattributed'})",
        ),
        ("watch", ", ".join(incident.watch) + f" ({incident.severity})" if incident.watch else "—"),
        ("revision", incident.revision),
        ("first seen", _time(incident.first_seen_at)),
        ("last updated", _time(incident.last_updated_at)),
    ]


def _seen(counts: Mapping[str, int] | None, most: int = 5) -> str:
    """`` (reported: a ×3, b ×1)`` when sources disagree, else nothing."""
    if not counts or len(counts) < 2:
        return ""
    top = sorted(counts.items(), key=lambda kv: -kv[1])[:most]
    return " (reported: " + ", ".join(f"{value} ×{n}" for value, n in top) + ")"


def _range(seen: list[int] | None) -> str:
    if not seen or seen[0] == seen[1]:
        return ""
    return f" (reports range {seen[0]}–{seen[1]})"


def _print_sources(rows: list[tuple[Item, ItemIncident, str]], incident: Incident) -> None:
    """Each source in three lines: when and where it was published, what it said, its link."""
    shown = f", first {len(rows)} shown" if len(rows) < incident.sources_count else ""
    console.print(
        f"[bold]{incident.sources_count} source(s) from {incident.outlets_count} outlet(s)"
        f"{shown}[/]"
    )
    for number, (item, link, outlet) in enumerate(rows, 1):
        attack = Attack.from_dict(link.attack)
        published = f"{item.published:%Y-%m-%d %H:%M}" if item.published else "undated"
        console.print(f"{number:>3}. {published}  {escape(_outlet(outlet))}  {escape(item.title)}")
        figures = (
            f"event {attack.event_date or '?'} · killed {_figure(attack.killed)} · "
            f"injured {_figure(attack.injured)} · weapon {attack.weapon or '?'}"
            + (f" · place {attack.place}" if attack.place else "")
        )
        console.print(f"     {escape(figures)} · {_role(item, link)}", style="dim")
        if item.link:
            console.print(f"     {escape(item.link)}", style="dim", soft_wrap=True)


def _outlet(name: str) -> str:
    """A feed's title or name; for a backfilled file, its file name."""
    return name.rsplit("/", 1)[-1][:40]


def _role(item: Item, link: ItemIncident) -> str:
    """How the item reports the incident: its main attack, one of a round-up's, or a copy."""
    if item.duplicate_of_id is not None:
        return f"copy of item {item.duplicate_of_id}"
    if not link.is_primary:
        return f"round-up, attack {link.attack_index + 1}"
    return f"match {link.score:.1f}" if link.score and link.score != 1.0 else "first report"


def _as_json(incident: Incident, rows: list[tuple[Item, ItemIncident, str]]) -> dict[str, Any]:
    data = incident.model_dump(mode="json")
    data["sources"] = [
        {
            "item_id": item.id,
            "outlet": outlet,
            "title": item.title,
            "link": item.link,
            "published": item.published.isoformat() if item.published else None,
            "role": _role(item, link),
            "attack": link.attack,
        }
        for item, link, outlet in rows
    ]
    return data
