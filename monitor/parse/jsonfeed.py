"""JSON Feed 1.0/1.1 (https://jsonfeed.org/version/1.1), which feedparser does not read.

Lenient like feedparser: an item that is not an object, or a field of the wrong type, is
skipped and reported, and the rest of the feed is kept.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from monitor.errors import ParseError
from monitor.parse.normalize import (
    Problems,
    language_tag,
    safe_link,
    sane_date,
    stable_id,
    unique,
)
from monitor.parse.text import clean_text, one_line
from monitor.records import Entry, ParsedFeed

VERSION_PREFIX = "https://jsonfeed.org/version/"


def looks_like_json(body: bytes, content_type: str | None = None) -> bool:
    """True for a JSON body (by media type, or because it starts with ``{``)."""
    head = body[:64].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"{"):
        return True
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media.endswith(("/json", "+json")) and not head.startswith(b"<")


def parse_json_feed(body: bytes, *, now: datetime, url: str | None = None) -> ParsedFeed:
    """Parse a JSON Feed; raises :class:`ParseError` when the JSON is not one."""
    where = url or "feed"
    data = _load(body, where)
    problems = Problems()
    version = data.get("version")
    if not (isinstance(version, str) and version.startswith(VERSION_PREFIX)):
        if not isinstance(data.get("items"), list):
            raise ParseError(f"{where}: JSON, but not a JSON Feed (no version, no items list)")
        problems.add(f"no JSON Feed version (got {version!r}); read as JSON Feed 1.1")
        version = VERSION_PREFIX + "1.1"
    items = data.get("items")
    if not isinstance(items, list):
        raise ParseError(f"{where}: JSON Feed without an 'items' list")
    base = _str(data.get("home_page_url")) or url
    language = language_tag(data.get("language"))
    entries = unique(
        (_entry(item, now, problems, base, language) for item in _objects(items, problems)),
        problems,
    )
    if not entries:
        problems.add("the feed lists no items")
    return ParsedFeed(
        title=one_line(_str(data.get("title"))) or None,
        link=safe_link(data.get("home_page_url"), url),
        entries=entries,
        problems=problems.as_tuple(),
        version="json" + version.removeprefix(VERSION_PREFIX).strip("/"),
    )


def _load(body: bytes, where: str) -> dict[str, Any]:
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except UnicodeDecodeError as exc:
        raise ParseError(f"{where}: JSON Feed is not UTF-8: {exc}") from exc
    except (json.JSONDecodeError, RecursionError) as exc:
        raise ParseError(f"{where}: not valid JSON: {str(exc)[:200]}") from exc
    if not isinstance(data, dict):
        raise ParseError(f"{where}: JSON, but not a JSON Feed (top level is not an object)")
    return data


def _objects(items: list[Any], problems: Problems) -> list[dict[str, Any]]:
    out = []
    for n, item in enumerate(items):
        if isinstance(item, dict):
            out.append(item)
        else:
            problems.item("are not JSON objects (skipped)", f"item {n}")
    return out


def _entry(
    item: dict[str, Any], now: datetime, problems: Problems, base: str | None, language: str | None
) -> Entry:
    link = safe_link(item.get("url"), base) or safe_link(item.get("external_url"), base)
    title = one_line(_str(item.get("title")))
    content = max(
        clean_text(_str(item.get("content_html"))),
        clean_text(_str(item.get("content_text"))),
        key=len,
    )
    summary = clean_text(_str(item.get("summary")))
    published = _date(item.get("date_published"), problems, title) or _date(
        item.get("date_modified"), problems, title
    )
    item_id = item.get("id")
    return Entry(
        guid=stable_id(item_id if isinstance(item_id, str | int) else None, link, title, content),
        link=link,
        title=title,
        summary=summary if summary != content else "",
        content=content,
        published=sane_date(published, now, problems, title),
        updated=sane_date(
            _date(item.get("date_modified"), Problems(), title), now, Problems(), title
        ),
        language=language_tag(item.get("language")) or language,
        author=_author(item),
    )


def _author(item: dict[str, Any]) -> str | None:
    authors = item.get("authors")
    first = authors[0] if isinstance(authors, list) and authors else item.get("author")
    name = first.get("name") if isinstance(first, dict) else None
    return one_line(_str(name)) or None


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _date(value: Any, problems: Problems, title: str) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        problems.item("have an unreadable date (ignored)", f"{title[:60]!r} {value[:40]!r}")
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
