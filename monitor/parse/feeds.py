"""Feed bytes -> ``ParsedFeed``: RSS 0.9x/1.0/2.0 and Atom via feedparser, JSON Feed by hand."""

from __future__ import annotations

import calendar
import hashlib
import time
from datetime import UTC, datetime, timedelta
from typing import Any

import feedparser

from monitor.errors import ParseError
from monitor.parse.jsonfeed import looks_like_json_feed, parse_json_feed
from monitor.parse.text import clean_text, one_line
from monitor.parse.urls import canonical_link
from monitor.records import Entry, ParsedFeed

#: A published date further ahead than this is a feed's mistake: the fetch time is used.
FUTURE_TOLERANCE = timedelta(hours=2)
#: feedparser "bozo" reasons that say nothing about the feed's soundness.
_BENIGN = (feedparser.NonXMLContentType, feedparser.CharacterEncodingOverride)
_PERIOD_SECONDS = {
    "hourly": 3600,
    "daily": 86400,
    "weekly": 604800,
    "monthly": 2592000,
    "yearly": 31536000,
}


def parse_feed(
    body: bytes,
    *,
    url: str | None = None,
    now: datetime | None = None,
    content_type: str | None = None,
) -> ParsedFeed:
    """Parse feed bytes. Recoverable problems are listed in ``problems``.

    Raises :class:`ParseError` when the bytes yield no feed at all (e.g. an HTML page).
    """
    now = now or datetime.now(UTC)
    if looks_like_json_feed(body, content_type):
        return parse_json_feed(body, now=now)
    # Text is stripped to plain text afterwards, so feedparser's sanitiser would be wasted work.
    parsed = feedparser.parse(
        body,
        sanitize_html=False,
        resolve_relative_uris=False,
        response_headers=_headers(url, content_type),
    )
    problems: list[str] = []
    if parsed.get("bozo") and not isinstance(parsed.get("bozo_exception"), _BENIGN):
        problems.append(f"malformed feed: {_bozo_message(parsed.get('bozo_exception'))}")
    if not parsed.entries and not parsed.get("version"):
        reason = problems[0] if problems else "no RSS/Atom/JSON Feed structure found"
        raise ParseError(f"{url or 'feed'}: not a feed ({reason})")
    entries = _unique([_entry(e, now, problems) for e in parsed.entries])
    feed = parsed.get("feed", {})
    return ParsedFeed(
        title=one_line(feed.get("title")) or None,
        link=feed.get("link"),
        entries=tuple(entries),
        problems=tuple(problems),
        version=parsed.get("version") or None,
        ttl_s=_ttl_seconds(feed),
    )


def _headers(url: str | None, content_type: str | None) -> dict[str, str]:
    headers = {"content-location": url} if url else {}
    if content_type:
        headers["content-type"] = content_type
    return headers


def _bozo_message(exc: Any) -> str:
    text = str(exc) if exc is not None else "unknown problem"
    return f"{type(exc).__name__}: {text}" if exc is not None else text


def _entry(raw: Any, now: datetime, problems: list[str]) -> Entry:
    link = raw.get("link") or None
    title = one_line(raw.get("title"))
    summary = clean_text(raw.get("summary"))
    content = max(
        (clean_text(c.get("value")) for c in raw.get("content") or ()), key=len, default=""
    )
    published = _utc(raw.get("published_parsed")) or _utc(raw.get("updated_parsed"))
    if published and published > now + FUTURE_TOLERANCE:
        problems.append(
            f"item {title[:60]!r}: published in the future ({published:%Y-%m-%d}); fetch time used"
        )
        published = now
    return Entry(
        guid=_stable_id(raw, link, title, summary or content),
        link=link,
        title=title,
        summary=summary,
        content=content if content != summary else "",
        published=published,
        updated=_utc(raw.get("updated_parsed")),
        language=(raw.get("language") or (raw.get("title_detail") or {}).get("language")) or None,
        author=one_line(raw.get("author")) or None,
    )


def _stable_id(raw: Any, link: str | None, title: str, text: str) -> str:
    guid = (raw.get("id") or "").strip()
    if guid:
        return guid[:500]
    canonical = canonical_link(link)
    if canonical:
        return canonical[:500]
    digest = hashlib.sha256(f"{title}\n{text}".encode()).hexdigest()
    return f"sha256:{digest[:40]}"


def _utc(parsed: time.struct_time | None) -> datetime | None:
    if not parsed:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), UTC)
    except (OverflowError, ValueError, OSError):
        return None


def _unique(entries: list[Entry]) -> list[Entry]:
    """Drop repeated ids inside one feed, keeping the first (newest) copy."""
    seen: set[str] = set()
    out = []
    for entry in entries:
        if entry.guid not in seen:
            seen.add(entry.guid)
            out.append(entry)
    return out


def _ttl_seconds(feed: Any) -> int | None:
    ttl = str(feed.get("ttl") or "").strip()
    if ttl.isdigit():
        return int(ttl) * 60
    period = str(feed.get("sy_updateperiod") or "").strip().lower()
    if period in _PERIOD_SECONDS:
        frequency = str(feed.get("sy_updatefrequency") or "1").strip()
        return _PERIOD_SECONDS[period] // max(int(frequency) if frequency.isdigit() else 1, 1)
    return None
