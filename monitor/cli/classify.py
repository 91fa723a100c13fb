"""``monitor classify``: the verdict on one text, file or feed item, with its evidence."""

from __future__ import annotations

import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape

from monitor.cli.common import console, state
from monitor.detect import Detector
from monitor.errors import MonitorError, ParseError
from monitor.parse import parse_feed
from monitor.records import Attack, Entry, Verdict

_FEED_SUFFIXES = (".xml", ".rss", ".atom", ".rdf", ".json")
#: Evidence kinds shown for each attack, in this order, with their labels.
_FIELDS = (
    ("date", "date"),
    ("place", "where"),
    ("target", "target"),
    ("weapon", "weapon"),
    ("casualties", "casualties"),
    ("perpetrator", "perpetrator"),
)


def register(app: typer.Typer) -> None:
    """Add the command to the root app."""
    app.command("classify")(classify)


def classify(
    ctx: typer.Context,
    text: Annotated[
        str | None,
        typer.Argument(
            help="Text to classify: the first line is the headline, the rest the body. "
            "'-' reads standard input."
        ),
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option(
            "--file",
            "-f",
            help="A text file (first line: headline), or a feed file (every item is classified).",
        ),
    ] = None,
    published: Annotated[
        str | None,
        typer.Option(
            help="Publication date (YYYY-MM-DD) used to resolve 'Friday' or 'yesterday'. "
            "Default: today for text; the item's own date for feeds."
        ),
    ] = None,
    only_attacks: Annotated[
        bool,
        typer.Option(
            "--only-attacks", help="For feeds: show only the items that report an attack."
        ),
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print one JSON verdict per item instead of text.")
    ] = False,
) -> None:
    """Say whether a text reports a specific attack, what was extracted, and why.

    Examples:

      monitor classify "Rockets hit US embassy in Baghdad
      Two rockets landed inside the compound early on Friday, officials said."

      monitor classify --file article.txt --published 2024-03-09

      monitor classify --file feed.xml --only-attacks
    """
    when = _date(published)
    detector = Detector(state(ctx).settings.watch)
    for entry in _entries(text, file, when):
        verdict = detector.detect(entry)
        if only_attacks and not verdict.is_attack:
            continue
        if as_json:
            record = {"guid": entry.guid, "title": entry.title, **verdict.to_dict()}
            typer.echo(json.dumps(record, ensure_ascii=False))
        else:
            _print(entry, verdict)


def _date(published: str | None) -> datetime | None:
    if not published:
        return None
    try:
        return datetime.fromisoformat(published).replace(hour=12, tzinfo=UTC)
    except ValueError as exc:
        raise MonitorError(f"--published {published!r}: not a date (use YYYY-MM-DD)") from exc


def _entries(text: str | None, file: Path | None, published: datetime | None) -> list[Entry]:
    if file is not None:
        return _from_file(file, published)
    if text is None:
        raise MonitorError("give a TEXT argument, '-' for standard input, or --file")
    raw = sys.stdin.read() if text == "-" else text
    return [_entry("text", raw, published or datetime.now(UTC))]


def _from_file(file: Path, published: datetime | None) -> list[Entry]:
    try:
        data = file.read_bytes()
    except OSError as exc:
        raise MonitorError(f"{file}: cannot read ({exc.strerror or exc})") from exc
    if data.lstrip()[:1] in (b"<", b"{") or file.suffix.lower() in _FEED_SUFFIXES:
        try:
            feed = parse_feed(data, url=str(file))
        except ParseError as exc:
            raise MonitorError(f"{file}: not a feed we can read ({exc})") from exc
        if published is None:
            return list(feed.entries)
        return [_with_date(e, published) for e in feed.entries]
    raw = data.decode("utf-8", errors="replace")
    return [_entry(file.name, raw, published or datetime.now(UTC))]


def _entry(guid: str, raw: str, published: datetime) -> Entry:
    title, _, body = raw.strip().partition("\n")
    if not title.strip():
        raise MonitorError("the text is empty: give a headline (first line) and a body")
    return Entry(
        guid=guid, link=None, title=title.strip(), content=body.strip(), published=published
    )


def _with_date(entry: Entry, published: datetime) -> Entry:
    return Entry(
        guid=entry.guid,
        link=entry.link,
        title=entry.title,
        summary=entry.summary,
        content=entry.content,
        published=published,
        language=entry.language,
        author=entry.author,
    )


# --- the explanation ----------------------------------------------------------------------


def _print(entry: Entry, verdict: Verdict) -> None:
    label = (
        "[bold red]RELEVANT ATTACK[/]"
        if verdict.relevant
        else "[yellow]ATTACK (no watch rule)[/]"
        if verdict.is_attack
        else "[green]NOT AN ATTACK REPORT[/]"
    )
    published = entry.published.date().isoformat() if entry.published else "no date"
    _line(f"{label}  score {verdict.score:.2f}  [{published}] {escape(entry.title)}")
    _line(f"  why: {escape(verdict.reason)}")
    for ev in verdict.evidence:
        if ev.kind != "rule":
            sign = "+" if ev.weight >= 0 else "-"
            _line(f"    {sign} {ev.kind:<10} {ev.weight:+.2f}  {escape(_short(ev.text))}")
    for n, attack in enumerate(verdict.attacks, 1):
        _print_attack(n, len(verdict.attacks), attack)
    console.print()


def _print_attack(n: int, total: int, attack: Attack) -> None:
    which = "main attack" if n == 1 else f"attack {n} of {total}"
    watch = ", ".join(attack.watch) or "no rule"
    _line(f"  [bold]{which}[/]  watch: {escape(watch)}")
    values = {
        "date": attack.event_date.isoformat() if attack.event_date else "unknown",
        "where": f"{attack.place or '?'} ({attack.country or 'no country'})"
        + (f"  site: {attack.site}" if attack.site else ""),
        "target": f"{attack.target or '?'} ({attack.target_type or 'type unknown'}, "
        f"{attack.target_nationality or 'nationality unknown'})",
        "weapon": attack.weapon
        or "unknown" + (f" x{attack.munitions}" if attack.munitions else ""),
        "casualties": f"killed {_figure(attack.killed)}, injured {_figure(attack.injured)}",
        "perpetrator": f"{attack.perpetrator or 'not named'}"
        + (f" ({attack.perpetrator_status})" if attack.perpetrator_status else ""),
    }
    if attack.weapon and attack.munitions:
        values["weapon"] = f"{attack.weapon} x{attack.munitions}"
    notes: dict[str, list[str]] = {}
    for ev in attack.evidence:
        notes.setdefault(ev.kind, []).append(ev.text)
    for kind, label in _FIELDS:
        _line(f"    {label:<12} {escape(values[label])}")
        for note in notes.get(kind, [])[:2]:
            _line(f"    {'':<12}   [dim]{escape(_short(note))}[/]")
    for sentence in notes.get("sentence", [])[:2]:
        _line(f"    {'reported in':<12} [dim]{escape(_short(sentence))}[/]")


def _figure(value: int | None) -> str:
    return "unknown" if value is None else str(value)


def _short(text: str, width: int = 150) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 1] + "…"


def _line(markup: str) -> None:
    console.print(markup, soft_wrap=True)
