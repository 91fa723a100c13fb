"""The ``monitor`` command line: one module per command group."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from monitor import __version__
from monitor.cli import (
    alert,
    backfill,
    classify,
    config_cmd,
    db,
    deliveries,
    digest,
    export,
    feeds,
    incidents,
    run,
)
from monitor.cli.common import AppState, err_console
from monitor.errors import MonitorError

app = typer.Typer(
    name="monitor",
    help="Poll news feeds, detect attacks on watched targets, group reports into incidents, "
    "and alert by email or webhook.",
    no_args_is_help=True,
    rich_markup_mode="rich",
    pretty_exceptions_enable=False,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"monitor {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    config: Annotated[
        Path | None,
        typer.Option(
            "--config",
            "-c",
            help="Configuration file (env MONITOR_CONFIG; default: config/monitor.toml).",
            show_default=False,
        ),
    ] = None,
    log_level: Annotated[
        str | None, typer.Option("--log-level", help="DEBUG, INFO, WARNING or ERROR.")
    ] = None,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Global options."""
    ctx.obj = AppState(config_path=config, log_level=log_level)


run.register(app)
backfill.register(app)
app.add_typer(feeds.app, name="feeds")
app.add_typer(incidents.app, name="incidents")
app.add_typer(export.app, name="export")
classify.register(app)
app.add_typer(deliveries.app, name="deliveries")
digest.register(app)
app.add_typer(alert.app, name="alert")
app.add_typer(db.app, name="db")
app.add_typer(config_cmd.app, name="config")


def main() -> None:
    """Entry point: run the CLI, turning monitor's errors into a message and exit code 2."""
    try:
        app()
    except MonitorError as exc:
        err_console.print(f"[bold red]error:[/] {exc}", markup=True, highlight=False)
        sys.exit(2)
