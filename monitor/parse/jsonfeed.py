"""JSON Feed 1.0/1.1 (https://jsonfeed.org/version/1.1), which feedparser does not read."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from monitor.errors import ParseError
from monitor.parse.text import clean_text, one_line
from monitor.parse.urls import canonical_link
from monitor.records import Entry, ParsedFeed


def looks_like_json_feed(body: bytes, content_type: str | None = None) -> bool:
    """True for a JSON Feed body (by media type or by its first bytes)."""
    if content_type and "feed+json" in content_type:
        return True
    head = body[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"{") and b"jsonfeed.org" in body[:4096]


def parse_json_feed(body: bytes, *, now: datetime) -> ParsedFeed:
    """Parse a JSON Feed; raises :class:`ParseError` when it is not one."""
    try:
        data = json.loads(body.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ParseError(f"not valid JSON: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("items"), list):
        raise ParseError("JSON Feed without an 'items' list")
    problems: list[str] = []
    entries: list[Entry] = []
    seen: set[str] = set()
    for n, item in enumerate(data["items"]):
        if not isinstance(item, dict):
            problems.append(f"item {n}: not an object, skipped")
            continue
        entry = _entry(item, now, problems)
        if entry.guid not in seen:
            seen.add(entry.guid)
            entries.append(entry)
    return ParsedFeed(
        title=one_line(str(data.get("title") or "")) or None,
        link=data.get("home_page_url") if isinstance(data.get("home_page_url"), str) else None,
        entries=tuple(entries),
        problems=tuple(problems),
        version="json" + str(data.get("version", "")).rsplit("/", 1)[-1],
    )


def _entry(item: dict[str, Any], now: datetime, problems: list[str]) -> Entry:
    link = item.get("url") if isinstance(item.get("url"), str) else None
    title = one_line(str(item.get("title") or ""))
    content = clean_text(str(item.get("content_html") or item.get("content_text") or ""))
    summary = clean_text(str(item.get("summary") or ""))
    published = _date(item.get("date_published")) or _date(item.get("date_modified"))
    if published and published > now + timedelta(hours=2):
        problems.append(f"item {title[:60]!r}: published in the future; fetch time used")
        published = now
    guid = (
        str(item.get("id") or "").strip()
        or canonical_link(link)
        or ("sha256:" + hashlib.sha256(f"{title}\n{content}".encode()).hexdigest()[:40])
    )
    return Entry(
        guid=guid[:500],
        link=link,
        title=title,
        summary=summary,
        content=content,
        published=published,
        updated=_date(item.get("date_modified")),
        language=item.get("language") if isinstance(item.get("language"), str) else None,
    )


def _date(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
