"""``monitor deliveries``: the alert outbox — what is pending, sent or failed, and why."""

from __future__ import annotations

import json
from enum import StrEnum
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table
from sqlmodel import Session, col, select

from monitor.alerts.render import render
from monitor.cli.common import console, err_console, state
from monitor.errors import MonitorError
from monitor.store import repository as repo
from monitor.store.models import Delivery, utcnow

app = typer.Typer(help="Inspect and retry alert deliveries (the outbox).", no_args_is_help=True)


class Status(StrEnum):
    """Delivery states."""

    pending = "pending"
    sent = "sent"
    failed = "failed"


@app.command("list")
def list_deliveries(
    ctx: typer.Context,
    status: Annotated[Status | None, typer.Option(help="Only this status.")] = None,
    subscription: Annotated[str | None, typer.Option(help="Only this subscription.")] = None,
    limit: Annotated[int, typer.Option(help="Most rows shown.")] = 50,
) -> None:
    """Deliveries, newest first: status, attempts, next try and the last error."""
    with state(ctx).database().session() as session:
        query = select(Delivery).order_by(col(Delivery.id).desc()).limit(limit)
        if status:
            query = query.where(Delivery.status == status.value)
        if subscription:
            query = query.where(Delivery.subscription == subscription)
        rows = session.exec(query).all()
        counts = repo.delivery_counts(session)
    table = Table("id", "status", "kind", "subscription", "channel", "incident", "attempts")
    table.add_column("next try (UTC)")
    table.add_column("last error", overflow="fold")
    for d in rows:
        table.add_row(
            str(d.id),
            _styled(d.status),
            d.kind,
            escape(d.subscription),
            escape(d.channel),
            str(d.incident_id or "—"),
            str(d.attempts),
            f"{d.next_attempt_at:%Y-%m-%d %H:%M:%S}"
            if d.status == "pending" and d.next_attempt_at
            else "—",
            escape(d.last_error or ""),
        )
    console.print(table)
    console.print(
        ", ".join(f"{counts.get(s.value, 0)} {s.value}" for s in Status)
        + (
            " — `monitor deliveries retry ID` queues a failed one again"
            if counts.get("failed")
            else ""
        )
    )


@app.command("show")
def show(
    ctx: typer.Context,
    delivery_id: Annotated[int, typer.Argument(help="Delivery id.")],
    payload: Annotated[bool, typer.Option("--json", help="Print the JSON payload.")] = False,
) -> None:
    """One delivery: its state, and the message as the channel renders it."""
    with state(ctx).database().session() as session:
        row = _get(session, delivery_id)
    if payload:
        typer.echo(json.dumps(row.payload, indent=2, ensure_ascii=False))
        return
    console.print(
        f"delivery {row.id}: {_styled(row.status)} · {row.kind} · subscription "
        f"{escape(row.subscription)} · channel {escape(row.channel)} · {row.attempts} attempt(s)"
    )
    console.print(f"key: {escape(row.idempotency_key)}")
    if row.last_error:
        console.print(f"last error: {escape(row.last_error)}")
    rendered = render(row.payload)
    console.print(f"\nSubject: {rendered.subject}\n", markup=False)
    console.print(rendered.text, markup=False)


@app.command("retry")
def retry(
    ctx: typer.Context,
    delivery_ids: Annotated[
        list[int] | None, typer.Argument(help="Delivery ids.", show_default=False)
    ] = None,
    all_failed: Annotated[bool, typer.Option("--failed", help="Every failed delivery.")] = False,
) -> None:
    """Put failed (or pending) deliveries back in the queue, to be sent at the next dispatch.

    The attempt count restarts; the idempotency key stays, so receivers can still drop a
    message they already got.
    """
    if not delivery_ids and not all_failed:
        raise typer.BadParameter("give delivery ids, or --failed")
    with state(ctx).database().session() as session:
        rows = [_get(session, i) for i in delivery_ids or []]
        if all_failed:
            rows += session.exec(select(Delivery).where(Delivery.status == "failed")).all()
        for row in rows:
            if row.status == "sent":
                raise MonitorError(f"delivery {row.id} was already sent")
            row.status, row.next_attempt_at, row.attempts = "pending", utcnow(), 0
            row.lease_owner = row.lease_expires_at = None
            session.add(row)
    err_console.print(
        f"{len(rows)} delivery(ies) queued; the daemon (or `monitor run --once`) sends them"
    )


def _get(session: Session, delivery_id: int) -> Delivery:
    row = session.get(Delivery, delivery_id)
    if row is None:
        raise MonitorError(f"no delivery {delivery_id} (see `monitor deliveries list`)")
    return row


def _styled(status: str) -> str:
    color = {"sent": "green", "failed": "red", "pending": "yellow"}.get(status, "white")
    return f"[{color}]{status}[/]"
