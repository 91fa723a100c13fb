"""``monitor run``: the daemon."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from contextlib import ExitStack
from typing import Annotated

import typer

from monitor.cli.common import console, state


def register(app: typer.Typer) -> None:
    """Add the command to the root app."""
    app.command("run")(run)


def run(
    ctx: typer.Context,
    once: Annotated[
        bool,
        typer.Option(
            "--once",
            help="Run one full cycle (poll due feeds, queue due digests, send alerts, purge) "
            "and exit: for cron and tests.",
        ),
    ] = False,
) -> None:
    """Poll feeds on schedule, store incidents and send alerts until SIGTERM or Ctrl-C.

    Applies database migrations first; the first poll happens at start. On SQLite one
    process serves a database (a second refuses to start); on PostgreSQL any number of
    processes, on any number of machines, share the work. /healthz and /metrics are served
    when daemon.health_port is set. SIGTERM/SIGINT let the work in flight finish (up to
    daemon.stop_timeout; a second signal stops at once) and exit 0. Exit status 2: bad
    configuration, database unreachable at start, or another daemon on the SQLite database.
    """
    # Imported here: the scheduler and metrics libraries are only needed by this command.
    from monitor.daemon.instance import InstanceLock
    from monitor.daemon.scheduler import Daemon

    app_state = state(ctx)
    db = app_state.database(migrate=False)
    with ExitStack() as stack:
        if db.sqlite_path is not None:
            stack.enter_context(InstanceLock(db.sqlite_path))
        db.upgrade()
        daemon = Daemon(app_state.settings, db)
        if once:
            summary = asyncio.run(daemon.run_once())
            console.print(
                f"polled {summary.cycle.describe()}; {summary.digests} digest(s) queued; "
                f"{summary.dispatch.sent} alert(s) sent, {summary.dispatch.failed} failed, "
                f"{summary.dispatch.retried} to retry; {summary.purged} old item(s) purged",
                soft_wrap=True,
            )
            return
        abandoned = asyncio.run(daemon.run_forever())
    if abandoned:
        # A send thread is still blocked in a channel: its delivery is leased and will be
        # retried, so exiting now loses nothing, while waiting could outlast the stop timeout.
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
