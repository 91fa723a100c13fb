"""``monitor classify``: the verdict on one text, file or feed item, with its evidence."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer

from monitor.cli.common import console, state
from monitor.detect import Detector
from monitor.errors import MonitorError
from monitor.parse import parse_feed
from monitor.records import Entry, Verdict


def register(app: typer.Typer) -> None:
    """Add the command to the root app."""
    app.command("classify")(classify)


def _entries(text: str | None, file: Path | None, published: datetime | None) -> list[Entry]:
    if file is not None:
        data = file.read_bytes()
        if data.lstrip()[:1] == b"<" or file.suffix.lower() in (".xml", ".rss", ".atom"):
            return list(parse_feed(data, url=str(file)).entries)
        raw = data.decode("utf-8", errors="replace")
    elif text is not None:
        raw = sys.stdin.read() if text == "-" else text
    else:
        raise MonitorError("give a TEXT argument, '-' for standard input, or --file")
    title, _, body = raw.strip().partition("\n")
    return [
        Entry(
            guid="cli",
            link=None,
            title=title.strip(),
            content=body.strip(),
            published=published or datetime.now(UTC),
        )
    ]


def classify(
    ctx: typer.Context,
    text: Annotated[
        str | None,
        typer.Argument(
            help="Text to classify (first line is the title); '-' reads standard input."
        ),
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file", "-f", help="A text file, or a feed file (every item is classified)."
        ),
    ] = None,
    published: Annotated[
        str | None,
        typer.Option(help="Publication date, to resolve 'Friday' (YYYY-MM-DD; default today)."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the verdicts as JSON.")] = False,
) -> None:
    """Say whether a text reports a specific attack, what was extracted, and why."""
    when = datetime.fromisoformat(published).replace(tzinfo=UTC) if published else None
    detector = Detector(state(ctx).settings.watch)
    for entry in _entries(text, file, when):
        verdict = detector.detect(entry)
        if as_json:
            typer.echo(json.dumps({"title": entry.title, **verdict.to_dict()}, ensure_ascii=False))
        else:
            _print(entry, verdict)


def _print(entry: Entry, verdict: Verdict) -> None:
    label = (
        "[bold red]RELEVANT ATTACK[/]"
        if verdict.relevant
        else "[yellow]attack[/]"
        if verdict.is_attack
        else "[green]not an attack[/]"
    )
    console.print(f"{label}  score {verdict.score:.2f}  {entry.title[:90]}")
    console.print(f"  reason: {verdict.reason}")
    for n, attack in enumerate(verdict.attacks, 1):
        console.print(
            f"  attack {n}: {attack.weapon or '?'} on {attack.target or attack.target_type or '?'} "
            f"({attack.target_nationality or '?'}) at {attack.place or '?'} ({attack.country or '?'}) "
            f"on {attack.event_date or '?'}; killed {attack.killed}, injured {attack.injured}; "
            f"perpetrator {attack.perpetrator or '?'} ({attack.perpetrator_status or '-'}); "
            f"watch: {', '.join(attack.watch) or 'none'}"
        )
        for ev in attack.evidence:
            console.print(f"    [{ev.kind}] {ev.text[:160]}")
    for ev in verdict.evidence:
        console.print(f"  [{ev.kind}] {ev.text[:160]}  ({ev.weight:+.2f})")
