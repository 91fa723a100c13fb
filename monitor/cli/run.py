"""``monitor run``: the daemon."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer

from monitor.cli.common import console, state
from monitor.daemon.scheduler import Daemon


def register(app: typer.Typer) -> None:
    """Add the command to the root app."""
    app.command("run")(run)


def run(
    ctx: typer.Context,
    once: Annotated[
        bool,
        typer.Option("--once", help="Run one full cycle (poll due feeds, send alerts) and exit."),
    ] = False,
) -> None:
    """Poll feeds on schedule, store incidents and send alerts until Ctrl-C or SIGTERM.

    Applies database migrations first. The first poll happens at start.
    """
    app_state = state(ctx)
    daemon = Daemon(app_state.settings, app_state.database())
    if once:
        summary = asyncio.run(daemon.run_once())
        s = summary.stats
        console.print(
            f"polled {summary.feeds} feed(s) ({summary.failed} failed): {s.new} new item(s), "
            f"{s.attacks} attack(s), {s.relevant} relevant, {s.incidents_new} new incident(s), "
            f"{s.incidents_updated} updated, {s.deliveries} alert(s) queued"
        )
        return
    asyncio.run(daemon.run_forever())
