"""``monitor deliveries``: the alert outbox."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table
from sqlmodel import col, select

from monitor.cli.common import console, state
from monitor.errors import MonitorError
from monitor.store.models import Delivery, utcnow

app = typer.Typer(help="Inspect and retry alert deliveries.", no_args_is_help=True)


@app.command("list")
def list_deliveries(
    ctx: typer.Context,
    status: Annotated[str | None, typer.Option(help="pending, sent or failed.")] = None,
    limit: Annotated[int, typer.Option(help="Most rows shown.")] = 50,
) -> None:
    """Deliveries, newest first, with attempts and last error."""
    with state(ctx).database().session() as session:
        query = select(Delivery).order_by(col(Delivery.id).desc()).limit(limit)
        if status:
            query = query.where(Delivery.status == status)
        rows = session.exec(query).all()
    table = Table(
        "id",
        "status",
        "kind",
        "subscription",
        "channel",
        "incident",
        "attempts",
        "next try",
        "last error",
    )
    for d in rows:
        table.add_row(
            str(d.id),
            d.status,
            d.kind,
            d.subscription,
            d.channel,
            str(d.incident_id or "—"),
            str(d.attempts),
            f"{d.next_attempt_at:%Y-%m-%d %H:%M:%S}"
            if d.status == "pending" and d.next_attempt_at
            else "—",
            (d.last_error or "")[:60],
        )
    console.print(table)


@app.command("retry")
def retry(
    ctx: typer.Context, delivery_id: Annotated[int, typer.Argument(help="Delivery id.")]
) -> None:
    """Put a failed (or pending) delivery back in the queue to be sent now."""
    with state(ctx).database().session() as session:
        row = session.get(Delivery, delivery_id)
        if row is None:
            raise MonitorError(f"no delivery {delivery_id}")
        if row.status == "sent":
            raise MonitorError(f"delivery {delivery_id} was already sent")
        row.status, row.next_attempt_at, row.attempts = "pending", utcnow(), 0
        row.lease_owner = row.lease_expires_at = None
        session.add(row)
    console.print(f"delivery {delivery_id} queued; the daemon (or `monitor run --once`) sends it")
