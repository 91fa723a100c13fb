"""``monitor feeds``: list, add, remove, import/export OPML, check one feed."""

from __future__ import annotations

import asyncio
import json
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich import box
from rich.markup import escape
from rich.table import Table

from monitor.cli.common import console, state
from monitor.config import FetchSettings, parse_duration
from monitor.errors import MonitorError
from monitor.fetch.client import Fetcher
from monitor.fetch.files import read_feed_file
from monitor.fetch.fulltext import with_full_text
from monitor.fetch.guard import AddressGuard
from monitor.fetch.opml import OpmlFeed, read_opml, write_opml
from monitor.parse import parse_feed
from monitor.records import FetchResult, ParsedFeed
from monitor.store import repository as repo
from monitor.store.models import Feed, utcnow

app = typer.Typer(help="Manage the feeds monitor polls.", no_args_is_help=True)


def _when(value: datetime | None, now: datetime) -> str:
    """A time as '5m ago' or 'in 2h'."""
    if value is None:
        return "—"
    delta = value - now
    text = _span(abs(delta))
    return f"in {text}" if delta > timedelta(0) else f"{text} ago"


def _span(delta: timedelta) -> str:
    seconds = int(delta.total_seconds())
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60)):
        if seconds >= size:
            return f"{seconds // size}{unit}"
    return f"{seconds}s"


def _next_poll(feed: Feed, now: datetime) -> str:
    if not feed.enabled:
        return "—"
    if feed.next_poll_at is None or feed.next_poll_at <= now:
        return "due"
    return _when(feed.next_poll_at, now)


def _status(feed: Feed) -> str:
    if not feed.enabled:
        return "disabled"
    if feed.last_polled_at is None:
        return "new"
    return "healthy" if feed.healthy else "unhealthy"


def _validators(feed: Feed) -> str:
    found = [
        name for name, value in (("etag", feed.etag), ("modified", feed.last_modified)) if value
    ]
    return "+".join(found) or ("hash" if feed.body_hash else "—")


def _row(feed: Feed) -> dict[str, Any]:
    return {
        "name": feed.name,
        "url": feed.url or feed.path,
        "status": _status(feed),
        "last_success": feed.last_success_at.isoformat() if feed.last_success_at else None,
        "last_error_at": feed.last_error_at.isoformat() if feed.last_error_at else None,
        "last_error": feed.last_error,
        "last_status": feed.last_status,
        "consecutive_failures": feed.consecutive_failures,
        "next_poll": feed.next_poll_at.isoformat() if feed.next_poll_at else None,
        "items_seen": feed.items_seen,
        "etag": bool(feed.etag),
        "last_modified": bool(feed.last_modified),
        "interval_s": feed.interval_s,
        "category": feed.category,
    }


@app.command("list")
def list_feeds(
    ctx: typer.Context,
    all_: Annotated[
        bool, typer.Option("--all", help="Include disabled and backfill feeds.")
    ] = False,
    unhealthy: Annotated[
        bool, typer.Option("--unhealthy", help="Only feeds flagged unhealthy.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object per line.")] = False,
) -> None:
    """Show each feed's health: last success, last error, failures, next poll, items, validators.

    status: new (never polled), healthy, unhealthy (failed polling.unhealthy_after times in a
    row; still retried at the back-off ceiling) or disabled. validators: what makes a poll of an
    unchanged feed cheap: etag / modified (the server answers 304), hash (the body is hashed
    and not parsed again when equal), — (not polled yet). The current error of every failing
    feed is printed below the table.
    """
    with state(ctx).database().session() as session:
        feeds = [f for f in repo.all_feeds(session) if all_ or f.enabled]
    if unhealthy:
        feeds = [f for f in feeds if f.enabled and not f.healthy]
    if as_json:
        for feed in feeds:
            typer.echo(json.dumps(_row(feed)))
        return
    _print_table(feeds)


def _print_table(feeds: list[Feed]) -> None:
    now = utcnow()
    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True)
    table.add_column("name", overflow="fold", min_width=8, max_width=40)
    for header in ("status", "last ok", "last fail", "fails", "next", "items"):
        table.add_column(header, no_wrap=True)
    table.add_column("validators", no_wrap=True)
    for f in feeds:
        status = _status(f)
        style = {"unhealthy": "[red]", "disabled": "[dim]"}.get(status, "")
        table.add_row(
            escape(f.name),
            f"{style}{status}[/]" if style else status,
            _when(f.last_success_at, now),
            _when(f.last_error_at, now),
            str(f.consecutive_failures),
            _next_poll(f, now),
            str(f.items_seen),
            _validators(f),
        )
    console.print(table)
    bad = sum(1 for f in feeds if f.enabled and not f.healthy)
    console.print(f"{len(feeds)} feed(s), {bad} unhealthy")
    for f in feeds:
        if f.consecutive_failures and f.last_error:
            console.print(f"[red]{escape(f.name)}[/]: {escape(_last_error(f))}")


def _last_error(feed: Feed) -> str:
    # Errors start with the URL they concern; the feed's own URL is noise here.
    return (feed.last_error or "").removeprefix(f"{feed.url or feed.path}: ")


@app.command("add")
def add(
    ctx: typer.Context,
    location: Annotated[str, typer.Argument(help="Feed URL (http/https) or local file path.")],
    name: Annotated[str | None, typer.Option(help="Feed name (default: the location).")] = None,
    interval: Annotated[
        str | None, typer.Option(help="Polling interval, e.g. 15m, 2h or seconds.")
    ] = None,
    category: Annotated[str | None, typer.Option(help="Category label (kept in OPML).")] = None,
    full_text: Annotated[
        bool, typer.Option("--full-text", help="Fetch article pages of summary-only items.")
    ] = False,
) -> None:
    """Add a feed to poll (stored in the database, beside the configured ones)."""
    is_url = location.startswith(("http://", "https://"))
    if is_url:
        AddressGuard(allow_private=state(ctx).settings.fetch.allow_private_networks).check_url(
            location
        )
    elif not Path(location).is_file():
        raise typer.BadParameter(f"{location}: not an http(s) URL nor an existing file")
    interval_s = _interval_seconds(interval)
    feed_name = name or location
    with state(ctx).database().session() as session:
        if repo.feed_by_name(session, feed_name):
            raise MonitorError(f"a feed named {feed_name!r} already exists")
        session.add(
            Feed(
                name=feed_name,
                url=location if is_url else None,
                path=None if is_url else location,
                origin="cli",
                interval_s=interval_s,
                category=category,
                fetch_full_text=full_text,
                created_at=utcnow(),
            )
        )
    console.print(escape(f"added feed {feed_name!r}"))


def _interval_seconds(value: str | None) -> int | None:
    if value is None:
        return None
    try:
        return int(parse_duration(value).total_seconds())
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from exc


@app.command("remove")
def remove(ctx: typer.Context, name: Annotated[str, typer.Argument(help="Feed name.")]) -> None:
    """Stop polling a feed (its items and incidents are kept)."""
    with state(ctx).database().session() as session:
        feed = repo.feed_by_name(session, name)
        if feed is None:
            raise MonitorError(f"no feed named {name!r} (see `monitor feeds list`)")
        feed.enabled = False
        feed.origin = "removed"
        session.add(feed)
    console.print(escape(f"removed feed {name!r} (disabled; items kept)"))


@app.command("import")
def import_opml(
    ctx: typer.Context, path: Annotated[Path, typer.Argument(help="OPML file.")]
) -> None:
    """Add every feed of an OPML file, keeping names and categories.

    Feeds whose URL is already polled are skipped; a name already taken by another URL gets
    a number appended; outlines that are not http(s) URLs are refused and listed.
    """
    entries = read_opml(path)
    added, present, refused = 0, 0, []
    with state(ctx).database().session() as session:
        for entry in entries:
            if not entry.url.startswith(("http://", "https://")):
                refused.append(entry.url)
            elif repo.feed_by_url(session, entry.url) is not None:
                present += 1
            else:
                session.add(_opml_feed(session, entry))
                session.flush()
                added += 1
    console.print(
        escape(
            f"imported {added} new feed(s) from {path}; {present} already present, "
            f"{len(refused)} refused"
        )
    )
    for url in refused[:20]:
        console.print(f"[yellow]refused[/] {escape(url)}: not an http(s) URL")


def _opml_feed(session: Any, entry: OpmlFeed) -> Feed:
    name, n = entry.name, 1
    while repo.feed_by_name(session, name) is not None:
        n += 1
        name = f"{entry.name} ({n})"
    return Feed(
        name=name, url=entry.url, origin="opml", category=entry.category, created_at=utcnow()
    )


@app.command("export")
def export_opml(
    ctx: typer.Context,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to FILE instead of stdout.")
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Include disabled feeds.")] = False,
) -> None:
    """Write the URL feeds as OPML 2.0, grouped by category."""
    with state(ctx).database().session() as session:
        feeds = [
            OpmlFeed(url=f.url, name=f.name, category=f.category)
            for f in repo.all_feeds(session)
            if f.url and (all_ or f.enabled)
        ]
    document = write_opml(feeds)
    if output is None:
        typer.echo(document, nl=False)
        return
    output.write_text(document, encoding="utf-8")
    console.print(escape(f"wrote {len(feeds)} feed(s) to {output}"))


@app.command("check")
def check(
    ctx: typer.Context,
    location: Annotated[str, typer.Argument(help="Feed URL or local file.")],
    full_text: Annotated[
        bool, typer.Option("--full-text", help="Also fetch article pages of short items.")
    ] = False,
    limit: Annotated[int, typer.Option(help="Items shown (0: all).")] = 20,
) -> None:
    """Fetch and parse one feed once and show what monitor sees; stores nothing.

    Uses the configured fetch settings (timeouts, size cap, address guard). Exit code 2 with
    the reason when the feed cannot be fetched or read.
    """
    settings = state(ctx).settings.fetch
    is_url = location.startswith(("http://", "https://"))
    if is_url:
        result, parsed = asyncio.run(_check_url(settings, location, full_text))
    else:
        result = read_feed_file(location, max_bytes=settings.max_response_bytes)
        assert result.body is not None
        parsed = parse_feed(result.body, url=None, content_type=None)
    _print_check(location, result, parsed, limit)


async def _check_url(
    settings: FetchSettings, url: str, full_text: bool
) -> tuple[FetchResult, ParsedFeed]:
    async with Fetcher(settings) as fetcher:
        result = await fetcher.fetch(url)
        assert result.body is not None
        parsed = parse_feed(
            result.body, url=result.final_url or url, content_type=result.content_type
        )
        if full_text:
            entries = await with_full_text(fetcher, parsed.entries, settings.full_text_min_chars)
            parsed = ParsedFeed(
                parsed.title, parsed.link, entries, parsed.problems, parsed.version, parsed.ttl_s
            )
    return result, parsed


def _print_check(location: str, result: FetchResult, parsed: ParsedFeed, limit: int) -> None:
    _print_fetch(location, result)
    ttl = parsed.ttl_s
    asks = f", asks to be polled every {_span(timedelta(seconds=ttl))}" if ttl else ""
    console.print(
        escape(
            f"  {parsed.version or 'unknown format'}, title {parsed.title!r}, "
            f"{len(parsed.entries)} item(s){asks}"
        )
    )
    for problem in parsed.problems:
        console.print(f"[yellow]problem:[/] {escape(problem)}")
    _print_items(parsed, limit)


def _print_fetch(location: str, result: FetchResult) -> None:
    size = len(result.body or b"")
    say = console.print
    if result.url.startswith(("http://", "https://")):
        say(
            escape(
                f"{location}: HTTP {result.status} in {result.elapsed_s:.2f}s, {size:,} bytes, "
                f"{result.content_type or 'no content type'}"
            )
        )
    else:
        say(escape(f"{location}: local file, {size:,} bytes"))
    if result.final_url:
        kind = "permanently" if result.permanent_redirect else "temporarily"
        say(escape(f"  redirected {kind} to {result.final_url}"))
    say(
        escape(
            f"  validators: ETag {result.etag or '—'}, Last-Modified {result.last_modified or '—'}"
        )
    )


def _print_items(parsed: ParsedFeed, limit: int) -> None:
    table = Table("published (UTC)", "title", "link", "chars", "lang")
    shown = parsed.entries if limit <= 0 else parsed.entries[:limit]
    for e in shown:
        table.add_row(
            f"{e.published:%Y-%m-%d %H:%M}" if e.published else "—",
            escape(e.title[:70]),
            escape((e.link or "")[:60]),
            str(len(e.body)),
            e.language or "",
        )
    console.print(table)
    if len(shown) < len(parsed.entries):
        console.print(f"… and {len(parsed.entries) - len(shown)} more (--limit 0 shows all)")
