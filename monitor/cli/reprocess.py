"""``monitor reprocess``: classify the stored items again and rebuild their incidents."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from monitor.cli.common import console, err_console, state
from monitor.pipeline import Pipeline
from monitor.reprocess import ReprocessSummary, count_items, reprocess


def register(app: typer.Typer) -> None:
    """Add the command to the root app."""
    app.command("reprocess")(reprocess_command)


def reprocess_command(
    ctx: typer.Context,
    alerts: Annotated[
        bool,
        typer.Option(
            "--alerts",
            help="Alert incidents that hit a watch rule and were never alerted "
            "(e.g. after adding a rule). Without it nothing is sent.",
        ),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Report what would change, change nothing.")
    ] = False,
) -> None:
    """Run classification, duplicate detection and incident matching again over every stored item, e.g. after changing the watch rules.

    Deterministic (items are taken in the order they were stored) and all or nothing (one transaction). Incidents keep their ids, so alerts already sent are never sent again. On SQLite, stop `monitor run` first: the database is locked while this runs.
    """
    app_state = state(ctx)
    pipeline = Pipeline(app_state.settings, app_state.database())
    total = count_items(pipeline)
    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=err_console,
        disable=not err_console.is_terminal,
        transient=True,
    ) as bar:
        task = bar.add_task("reprocess", total=total)
        summary = reprocess(
            pipeline,
            alerts=alerts,
            dry_run=dry_run,
            progress=lambda done: bar.update(task, advance=done),
        )
    console.print(describe(summary))


def describe(summary: ReprocessSummary) -> str:
    """The summary printed at the end, one fact per line."""
    head = "reprocess (dry run, nothing changed)" if summary.dry_run else "reprocess"
    return "\n".join(
        (
            f"{head}: {summary.items} items",
            f"  attacks    {summary.attacks_before} -> {summary.attacks_after}",
            f"  relevant   {summary.relevant_before} -> {summary.relevant_after}",
            f"  incidents  {summary.incidents_before} -> {summary.incidents_after} "
            f"({summary.kept} kept their id, {summary.new} new, {summary.deleted} deleted, "
            f"{summary.retired} retired after alerts)",
            f"  copies     {summary.duplicates} linked to their original's incidents",
            f"  alerts     {summary.alerts} queued",
        )
    )
