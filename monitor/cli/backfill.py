"""``monitor backfill``: run archived feeds and articles through the pipeline once."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from monitor.alerts.dispatcher import Dispatcher
from monitor.backfill import run_backfill
from monitor.cli.common import err_console, state
from monitor.daemon.scheduler import process_name
from monitor.pipeline import AlertMode, Pipeline


def register(app: typer.Typer) -> None:
    """Add the command to the root app."""
    app.command("backfill")(backfill)


def _date(value: str | None) -> datetime | None:
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise typer.BadParameter(f"{value!r} is not a date (YYYY-MM-DD)") from exc
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


def backfill(
    ctx: typer.Context,
    sources: Annotated[
        list[str],
        typer.Argument(
            help="Feed URLs, feed files, directories, OPML files, JSON Lines files "
            "of articles ({url, title, published, text}).",
            show_default=False,
        ),
    ],
    since: Annotated[
        str | None, typer.Option(help="Only items published on or after (YYYY-MM-DD).")
    ] = None,
    until: Annotated[
        str | None, typer.Option(help="Only items published before (YYYY-MM-DD).")
    ] = None,
    no_alerts: Annotated[bool, typer.Option("--no-alerts", help="Send nothing at all.")] = False,
    immediate: Annotated[
        bool, typer.Option("--immediate", help="Send one alert per incident instead of a digest.")
    ] = False,
) -> None:
    """Process past feeds and archives through the full pipeline, once.

    Idempotent: items already stored are skipped, so running it twice adds and alerts
    nothing new. By default each subscription gets one summary digest at the end.
    """
    app_state = state(ctx)
    pipeline = Pipeline(app_state.settings, app_state.database())
    mode: AlertMode = "none" if no_alerts else "immediate" if immediate else "collect"
    show = err_console.is_terminal
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        disable=not show,
        transient=True,
    ) as bar:
        task = bar.add_task("backfill", total=None)

        def progress(name: str, count: int) -> None:
            bar.update(task, advance=count, description=f"backfill {name[-40:]}")

        summary = run_backfill(
            pipeline,
            sources,
            since=_date(since),
            until=_date(until),
            alerts=mode,
            progress=progress,
        )
    if mode != "none":
        Dispatcher(app_state.settings, pipeline.db, process_name()).dispatch()
    s = summary.stats
    err_console.print(
        f"backfill: {summary.sources} source(s), {s.read} items read, {s.new} new, "
        f"{s.duplicates} duplicate(s), {s.attacks} attacks, {s.relevant} relevant, "
        f"{s.incidents_new} incidents new, {s.incidents_updated} updated, "
        f"{summary.digests} digest(s); {summary.seconds:.1f}s, {summary.items_per_s:.0f} items/s"
    )
    for failure in summary.failed_sources:
        err_console.print(f"[yellow]skipped[/] {failure}")
    if summary.failed_sources and not s.read:
        raise typer.Exit(1)
