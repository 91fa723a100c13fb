"""``monitor config``: validate a configuration, print the reference."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from monitor.cli.common import console, state
from monitor.config import find_config_path, reference_markdown
from monitor.errors import MonitorError

app = typer.Typer(help="Configuration.", no_args_is_help=True)


@app.command("check")
def check(ctx: typer.Context) -> None:
    """Validate the configuration and summarise it (exit 2 with the problems if invalid)."""
    app_state = state(ctx)
    settings = app_state.settings
    path = find_config_path(app_state.config_path)
    console.print(f"{path or '(built-in defaults)'}: valid")
    console.print(f"  database: {settings.database.url}")
    console.print(
        f"  feeds: {len(settings.feeds)}, watch rules: {len(settings.watch)} "
        f"({', '.join(w.name for w in settings.watch)})"
    )
    subs = settings.effective_subscriptions()
    console.print(
        f"  subscriptions: {', '.join(f'{s.name} -> {s.channel} ({s.mode})' for s in subs)}"
    )


START, END = "<!-- config-reference:start -->\n", "<!-- config-reference:end -->"


@app.command("reference")
def reference(
    readme: Annotated[
        Path | None,
        typer.Option(
            help="Rewrite the reference between the config-reference markers of this file."
        ),
    ] = None,
) -> None:
    """Print every setting with its default and meaning (Markdown)."""
    text = reference_markdown().strip() + "\n"
    if readme is None:
        typer.echo(text, nl=False)
        return
    content = readme.read_text(encoding="utf-8")
    if START not in content or END not in content:
        raise MonitorError(f"{readme}: no config-reference markers")
    before, rest = content.split(START, 1)
    after = rest.split(END, 1)[1]
    readme.write_text(before + START + text + END + after, encoding="utf-8")
    console.print(f"{readme}: reference updated")
