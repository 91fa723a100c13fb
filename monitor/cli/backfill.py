"""``monitor backfill``: run archived feeds and articles through the pipeline once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Annotated

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
)

from monitor.cli.common import err_console, state

if TYPE_CHECKING:
    from monitor.backfill import BackfillSummary
    from monitor.fetch.sources import Source
    from monitor.pipeline import AlertMode


def register(app: typer.Typer) -> None:
    """Add the command to the root app."""
    app.command("backfill")(backfill)


def parse_date(value: str | None, option: str, *, end_of_day: bool = False) -> datetime | None:
    """``YYYY-MM-DD`` or an ISO 8601 time (UTC unless it says otherwise).

    With ``end_of_day``, a bare date stands for the whole day (``--until 2024-01-31`` keeps
    items of the 31st).
    """
    if value is None:
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise typer.BadParameter(
            f"{value!r} is not a date (YYYY-MM-DD or YYYY-MM-DDTHH:MM)", param_hint=option
        ) from exc
    if end_of_day and len(value.strip()) == 10:
        parsed += timedelta(days=1)
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed


class _Bar:
    """The progress bar: sources done out of all, and running item counts."""

    def __init__(self, progress: Progress) -> None:
        self.progress = progress
        self.task: TaskID | None = None

    def started(self, sources: int) -> None:
        self.task = self.progress.add_task("backfill", total=sources, items=0, new=0, inc=0)

    def batch(self, source: Source, read: int, summary: BackfillSummary) -> None:
        if self.task is not None:
            s = summary.stats
            name = source.name if len(source.name) <= 40 else "…" + source.name[-39:]
            self.progress.update(
                self.task, description=name, items=s.read, new=s.new, inc=s.incidents_new
            )

    def source_done(self, source: Source) -> None:
        if self.task is not None:
            self.progress.advance(self.task)


def backfill(
    ctx: typer.Context,
    sources: Annotated[
        list[str],
        typer.Argument(
            help="Feed URLs, feed files (.xml .rss .atom .rdf .json), directories of them, "
            "OPML files, JSON Lines files of articles ({url, title, published, text}).",
            show_default=False,
        ),
    ],
    since: Annotated[
        str | None,
        typer.Option(help="Only items published on or after this date (YYYY-MM-DD, UTC)."),
    ] = None,
    until: Annotated[
        str | None,
        typer.Option(help="Only items published on or before this date (YYYY-MM-DD, UTC)."),
    ] = None,
    no_alerts: Annotated[bool, typer.Option("--no-alerts", help="Send nothing at all.")] = False,
    immediate: Annotated[
        bool,
        typer.Option("--immediate", help="Queue one alert per incident instead of a digest."),
    ] = False,
) -> None:
    """Process past feeds and archives through the full pipeline, once.

    Idempotent: items already stored are skipped, so running it twice adds and alerts
    nothing new. By default each subscription gets one summary digest at the end instead
    of an alert per incident. With --since/--until, items without a date are left out.
    Exit status: 0 when everything was read, 1 when a source or record had to be skipped
    (the rest is stored; the summary says what and where), 2 on bad arguments.
    """
    # Imported here, not at the top: every other command starts faster without the pipeline.
    from monitor.alerts.dispatcher import Dispatcher
    from monitor.backfill import run_backfill
    from monitor.daemon.instance import process_name
    from monitor.pipeline import Pipeline

    start = parse_date(since, "--since")
    end = parse_date(until, "--until", end_of_day=True)
    if start and end and start >= end:
        raise typer.BadParameter("--since must be before --until", param_hint="--since")
    app_state = state(ctx)
    pipeline = Pipeline(app_state.settings, app_state.database())
    mode: AlertMode = "none" if no_alerts else "immediate" if immediate else "collect"
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn(
            "sources · {task.fields[items]} items, {task.fields[new]} new, "
            "{task.fields[inc]} incidents"
        ),
        TimeElapsedColumn(),
        console=err_console,
        disable=not err_console.is_terminal,
        transient=True,
    ) as progress:
        summary = run_backfill(
            pipeline, sources, since=start, until=end, alerts=mode, progress=_Bar(progress)
        )
    if mode != "none":
        Dispatcher(app_state.settings, pipeline.db, process_name()).dispatch()
    _report(summary)
    if not summary.complete:
        raise typer.Exit(1)


def _report(summary: BackfillSummary) -> None:
    s = summary.stats
    dates = f", {summary.outside_dates} outside the dates" if summary.outside_dates else ""
    err_console.print(
        f"backfill: {summary.sources} source(s), {s.read} items read, {s.new} new, "
        f"{s.duplicates} duplicate(s){dates}, {s.attacks} attacks, {s.relevant} relevant, "
        f"{s.incidents_new} incidents new, {s.incidents_updated} updated, "
        f"{summary.digests} digest(s); {summary.seconds:.1f}s, {summary.items_per_s:.0f} items/s",
        soft_wrap=True,
    )
    for failure in summary.failed_sources:
        err_console.print(f"[yellow]skipped source[/] {escape(failure)}", soft_wrap=True)
    for problem in summary.rejected[:20]:
        err_console.print(f"[yellow]skipped record[/] {escape(problem)}", soft_wrap=True)
    if len(summary.rejected) > 20:
        err_console.print(f"… and {len(summary.rejected) - 20} more record(s) skipped")
