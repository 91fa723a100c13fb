"""``monitor incidents``: list incidents, show one with its sources."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from monitor.cli.common import console, state
from monitor.errors import MonitorError
from monitor.records import Attack
from monitor.store import repository as repo
from monitor.store.models import Incident

app = typer.Typer(help="Browse incidents.", no_args_is_help=True)


def _figure(value: int | None) -> str:
    return "?" if value is None else str(value)


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
        found = repo.list_incidents(session, relevant_only=not all_, limit=limit)
    table = Table("id", "date", "where", "title", "weapon", "killed", "injured", "sources", "watch")
    for i in found:
        table.add_row(
            str(i.id),
            str(i.event_date or "?"),
            f"{i.place or '?'} ({i.country or '?'})",
            i.title[:60],
            i.weapon or "?",
            _figure(i.killed),
            _figure(i.injured),
            str(i.sources_count),
            ", ".join(i.watch),
        )
    console.print(table)


@app.command("show")
def show(
    ctx: typer.Context, incident_id: Annotated[int, typer.Argument(help="Incident id.")]
) -> None:
    """One incident's reconciled fields and every source with its date and figures."""
    with state(ctx).database().session() as session:
        incident = session.get(Incident, incident_id)
        if incident is None:
            raise MonitorError(f"no incident {incident_id} (see `monitor incidents list --all`)")
        sources = repo.incident_sources(session, incident_id)
    console.print(f"[bold]#{incident.id} {incident.title}[/]")
    for label, value in (
        ("event date", incident.event_date),
        ("place", incident.place),
        ("country", incident.country),
        (
            "target",
            f"{incident.target or '?'} ({incident.target_type or '?'}, {incident.target_nationality or '?'})",
        ),
        (
            "weapon",
            f"{incident.weapon or '?'}" + (f" x{incident.munitions}" if incident.munitions else ""),
        ),
        ("killed", f"{_figure(incident.killed)}  range seen {incident.figures.get('killed', '—')}"),
        (
            "injured",
            f"{_figure(incident.injured)}  range seen {incident.figures.get('injured', '—')}",
        ),
        (
            "perpetrator",
            f"{incident.perpetrator or '?'} ({incident.perpetrator_status or 'unattributed'})",
        ),
        ("watch", ", ".join(incident.watch) or "—"),
        ("revision", incident.revision),
        ("first seen", incident.first_seen_at),
        ("last updated", incident.last_updated_at),
    ):
        console.print(f"  {label:<13} {value}")
    table = Table("published", "title", "killed", "injured", "weapon", "link")
    for item, link in sources:
        attack = Attack.from_dict(link.attack)
        table.add_row(
            f"{item.published:%Y-%m-%d}" if item.published else "?",
            item.title[:60],
            _figure(attack.killed),
            _figure(attack.injured),
            attack.weapon or "?",
            item.link or "",
        )
    console.print(table)
    console.print(f"{incident.sources_count} source(s) from {incident.outlets_count} outlet(s)")
