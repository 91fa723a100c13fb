"""``monitor digest``: preview a subscription's next digest, or queue it now."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from enum import StrEnum
from typing import Annotated

import typer
from rich.markup import escape

from monitor.alerts.digest import enqueue_scheduled_digest, preview_digest
from monitor.alerts.dispatcher import Dispatcher
from monitor.alerts.render import render
from monitor.cli.common import console, err_console, state
from monitor.daemon.scheduler import process_name
from monitor.store.models import utcnow


class Format(StrEnum):
    """How a preview is printed."""

    text = "text"
    html = "html"
    json = "json"


def register(app: typer.Typer) -> None:
    """Add the command to the root app."""
    app.command("digest")(digest)


def digest(
    ctx: typer.Context,
    subscription: Annotated[
        str, typer.Argument(help="Subscription name (see `monitor config check`).")
    ],
    preview: Annotated[
        bool,
        typer.Option(
            "--preview", help="Show what the next digest would contain; sends nothing (default)."
        ),
    ] = False,
    send: Annotated[
        bool,
        typer.Option(
            "--send", help="Queue the digest now and dispatch it; the next one starts from here."
        ),
    ] = False,
    output: Annotated[
        Format, typer.Option("--format", "-f", help="Preview as text, HTML or JSON payload.")
    ] = Format.text,
    at: Annotated[
        str | None,
        typer.Option(help="Preview as if the digest ran at this time (ISO 8601, UTC if no zone)."),
    ] = None,
) -> None:
    """Preview the next digest of SUBSCRIPTION without sending it, or send it now (--send).

    The digest lists the incidents created or materially updated since the subscription's
    last digest (the first time: one period of its schedule), grouped by watch rule and
    severity.
    """
    app_state = state(ctx)
    settings, db = app_state.settings, app_state.database()
    when = _moment(at) if at else utcnow()
    if send:
        count = enqueue_scheduled_digest(db, settings, subscription, when)
        if not count:
            err_console.print(f"digest for {escape(subscription)}: nothing new, nothing sent")
            return
        summary = Dispatcher(settings, db, process_name()).dispatch()
        err_console.print(
            f"digest for {escape(subscription)} queued; dispatch: {summary.sent} sent, "
            f"{summary.retried} to retry, {summary.failed} failed"
        )
        return
    plan = preview_digest(db, settings, subscription, when)
    if output is Format.json:
        typer.echo(json.dumps(plan.payload, indent=2, ensure_ascii=False))
        return
    rendered = render(plan.payload)
    if output is Format.html:
        typer.echo(rendered.html)
        return
    since = plan.start.isoformat(timespec="minutes") if plan.start else "the beginning"
    err_console.print(f"preview (not sent): {escape(subscription)}, changes since {since}")
    console.print(f"Subject: {rendered.subject}", markup=False)
    console.print(rendered.text, markup=False)


def _moment(value: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"{value!r} is not an ISO 8601 time") from exc
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed
