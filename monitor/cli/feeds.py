"""``monitor feeds``: list, add, remove, import/export OPML, check one feed."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from monitor.cli.common import console, state
from monitor.errors import FetchError, MonitorError
from monitor.fetch.client import Fetcher
from monitor.fetch.files import read_feed_file
from monitor.fetch.opml import OpmlFeed, read_opml, write_opml
from monitor.parse import parse_feed
from monitor.store import repository as repo
from monitor.store.models import Feed, utcnow

app = typer.Typer(help="Manage the feeds monitor polls.", no_args_is_help=True)


def _ago(value: object) -> str:
    if value is None:
        return "—"
    return f"{value:%Y-%m-%d %H:%M}"


@app.command("list")
def list_feeds(
    ctx: typer.Context,
    all_: Annotated[
        bool, typer.Option("--all", help="Include disabled and backfill feeds.")
    ] = False,
) -> None:
    """Show each feed's status: last success, last error, failures, next poll, items seen."""
    with state(ctx).database().session() as session:
        feeds = [f for f in repo.all_feeds(session) if all_ or f.enabled]
    table = Table(
        "name", "status", "last success", "failures", "next poll", "items", "etag", "last error"
    )
    for f in feeds:
        status = "disabled" if not f.enabled else "healthy" if f.healthy else "[red]unhealthy[/]"
        table.add_row(
            f.name,
            status,
            _ago(f.last_success_at),
            str(f.consecutive_failures),
            _ago(f.next_poll_at),
            str(f.items_seen),
            "yes" if f.etag else "no",
            (f.last_error or "")[:60],
        )
    console.print(table)
    console.print(f"{len(feeds)} feed(s)")


@app.command("add")
def add(
    ctx: typer.Context,
    location: Annotated[str, typer.Argument(help="Feed URL (http/https) or local file path.")],
    name: Annotated[str | None, typer.Option(help="Feed name (default: the location).")] = None,
    interval: Annotated[int | None, typer.Option(help="Polling interval in seconds.")] = None,
    category: Annotated[str | None, typer.Option(help="Category label.")] = None,
) -> None:
    """Add a feed to poll (stored in the database, beside the configured ones)."""
    is_url = location.startswith(("http://", "https://"))
    if not is_url and not Path(location).is_file():
        raise typer.BadParameter(f"{location}: not an http(s) URL nor an existing file")
    with state(ctx).database().session() as session:
        feed_name = name or location
        if repo.feed_by_name(session, feed_name):
            raise MonitorError(f"a feed named {feed_name!r} already exists")
        session.add(
            Feed(
                name=feed_name,
                url=location if is_url else None,
                path=None if is_url else location,
                origin="cli",
                interval_s=interval,
                category=category,
                created_at=utcnow(),
            )
        )
    console.print(f"added feed {feed_name!r}")


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
    console.print(f"removed feed {name!r} (disabled; items kept)")


@app.command("import")
def import_opml(
    ctx: typer.Context, path: Annotated[Path, typer.Argument(help="OPML file.")]
) -> None:
    """Add every feed of an OPML file, keeping names and categories."""
    added = 0
    with state(ctx).database().session() as session:
        for entry in read_opml(path):
            if repo.feed_by_name(session, entry.name) is None:
                session.add(
                    Feed(
                        name=entry.name,
                        url=entry.url,
                        origin="opml",
                        category=entry.category,
                        created_at=utcnow(),
                    )
                )
                added += 1
    console.print(f"imported {added} new feed(s) from {path}")


@app.command("export")
def export_opml(ctx: typer.Context) -> None:
    """Print the enabled URL feeds as OPML 2.0."""
    with state(ctx).database().session() as session:
        feeds = [
            OpmlFeed(url=f.url, name=f.name, category=f.category)
            for f in repo.all_feeds(session)
            if f.url and f.enabled
        ]
    typer.echo(write_opml(feeds), nl=False)


@app.command("check")
def check(
    ctx: typer.Context, location: Annotated[str, typer.Argument(help="Feed URL or file.")]
) -> None:
    """Fetch and parse one feed once and show what monitor sees; stores nothing."""
    settings = state(ctx).settings
    if location.startswith(("http://", "https://")):
        result = asyncio.run(_fetch(settings.fetch, location))
    else:
        result = read_feed_file(location, max_bytes=settings.fetch.max_response_bytes)
    assert result.body is not None
    parsed = parse_feed(result.body, url=location, content_type=result.content_type)
    console.print(
        f"{location}: HTTP {result.status}, {len(result.body)} bytes, "
        f"{parsed.version or 'unknown format'}, title {parsed.title!r}, "
        f"{len(parsed.entries)} item(s), etag {'yes' if result.etag else 'no'}"
    )
    for problem in parsed.problems:
        console.print(f"[yellow]problem:[/] {problem}")
    table = Table("published", "title", "link", "chars")
    for e in parsed.entries:
        table.add_row(_ago(e.published), e.title[:70], (e.link or "")[:60], str(len(e.body)))
    console.print(table)


async def _fetch(settings, url):  # type: ignore[no-untyped-def]
    fetcher = Fetcher(settings)
    try:
        return await fetcher.fetch(url)
    except FetchError:
        raise
    finally:
        await fetcher.aclose()
