"""Feed bytes -> ``ParsedFeed``: RSS 0.9x/1.0/2.0 and Atom via feedparser, JSON Feed by hand.

feedparser is always given the bytes as a stream: given a ``bytes`` value that happens to
be a file name (a hostile server can send ``/etc/...``), ``feedparser.parse`` opens and
reads that local file. Entity declarations are defused first (:mod:`.xmlsafety`).
Recoverable problems (malformed XML that still yields items, a wrong charset, dates in
the future, repeated ids) are listed in ``ParsedFeed.problems``; bytes that yield no feed
at all raise :class:`ParseError` saying why.
"""

from __future__ import annotations

import calendar
import io
import time
from datetime import UTC, datetime
from typing import Any

import feedparser

from monitor.errors import ParseError
from monitor.parse.discover import advertised_feeds, looks_like_html
from monitor.parse.jsonfeed import looks_like_json, parse_json_feed
from monitor.parse.normalize import (
    Problems,
    language_tag,
    safe_link,
    sane_date,
    stable_id,
    unique,
)
from monitor.parse.text import clean_text, one_line
from monitor.parse.xmlsafety import defuse_entities
from monitor.records import Entry, ParsedFeed

#: feedparser "bozo" reasons that say nothing about the feed's soundness.
_BENIGN = (feedparser.NonXMLContentType,)
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
    """Parse feed bytes (``url`` resolves relative links; ``content_type`` gives the charset).

    Raises :class:`ParseError` when the bytes yield no feed (empty, an HTML page, not XML).
    """
    now = now or datetime.now(UTC)
    if not body.strip():
        raise ParseError(f"{url or 'feed'}: empty document")
    if looks_like_json(body, content_type):
        return parse_json_feed(body, now=now, url=url)
    return _parse_xml(body, url, now, content_type)


def _parse_xml(body: bytes, url: str | None, now: datetime, content_type: str | None) -> ParsedFeed:
    problems = Problems()
    safe_body, removed = defuse_entities(body)
    for message in removed:
        problems.add(message)
    parsed = _feedparser(safe_body, content_type)
    malformed = _bozo(parsed)
    if not parsed.entries and not parsed.get("version"):
        why = _why_not(body, url, content_type, malformed)
        raise ParseError(f"{url or 'feed'}: not a feed ({why})")
    if malformed:
        lenient = malformed.startswith("malformed")
        problems.add(f"{malformed}; items read leniently" if lenient else malformed)
    feed = parsed.get("feed", {})
    language = language_tag(feed.get("language"), (feed.get("title_detail") or {}).get("language"))
    base = url or (feed.get("link") if isinstance(feed.get("link"), str) else None)
    entries = unique(
        (_entry(raw, now, problems, base, language) for raw in parsed.entries), problems
    )
    if not entries:
        problems.add("the feed lists no items")
    return ParsedFeed(
        title=one_line(feed.get("title")) or None,
        link=safe_link(feed.get("link"), url),
        entries=entries,
        problems=problems.as_tuple(),
        version=parsed.get("version") or None,
        ttl_s=_ttl_seconds(feed),
    )


def _feedparser(body: bytes, content_type: str | None) -> Any:
    # Text is reduced to plain text afterwards, so feedparser's sanitiser would be wasted
    # work; the feed URL is not given as a base either: feedparser would then join every
    # link and id with it (15% of its time), while safe_link resolves the few relative links.
    return feedparser.parse(
        io.BytesIO(body),
        sanitize_html=False,
        resolve_relative_uris=False,
        response_headers={"content-type": content_type} if content_type else {},
    )


def _bozo(parsed: Any) -> str | None:
    """What feedparser found wrong with the document, if anything worth telling."""
    exc = parsed.get("bozo_exception") if parsed.get("bozo") else None
    if exc is None or isinstance(exc, _BENIGN):
        return None
    if isinstance(exc, feedparser.CharacterEncodingOverride):
        return f"wrong or missing charset ({exc})"
    return f"malformed XML ({type(exc).__name__}: {exc})"


def _why_not(body: bytes, url: str | None, content_type: str | None, malformed: str | None) -> str:
    if looks_like_html(body, content_type):
        feeds = advertised_feeds(body, url)
        if feeds:
            return f"an HTML page; it links to the feed(s) {', '.join(feeds)}"
        return "an HTML page that links to no feed"
    return malformed or "no RSS, Atom or JSON Feed structure found"


def _entry(
    raw: Any, now: datetime, problems: Problems, base: str | None, language: str | None
) -> Entry:
    link = safe_link(raw.get("link"), base)
    title = one_line(raw.get("title"))
    summary = clean_text(raw.get("summary"))
    contents = raw.get("content") or ()
    content = max((clean_text(c.get("value")) for c in contents), key=len, default="")
    published = _utc(raw.get("published_parsed")) or _utc(raw.get("updated_parsed"))
    return Entry(
        guid=stable_id(raw.get("id"), link, title, summary or content),
        link=link,
        title=title,
        summary=summary,
        content=content if content != summary else "",
        published=sane_date(published, now, problems, title),
        updated=sane_date(_utc(raw.get("updated_parsed")), now, Problems(), title),
        language=language_tag(
            raw.get("language"),
            (raw.get("title_detail") or {}).get("language"),
            (raw.get("summary_detail") or {}).get("language"),
            *(c.get("language") for c in contents),
        )
        or language,
        author=one_line(raw.get("author")) or None,
    )


def _utc(parsed: time.struct_time | None) -> datetime | None:
    if not parsed:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(parsed), UTC)
    except (OverflowError, ValueError, OSError, TypeError):
        return None


def _ttl_seconds(feed: Any) -> int | None:
    ttl = str(feed.get("ttl") or "").strip()
    if ttl.isdigit() and 0 < int(ttl) < 10**6:
        return int(ttl) * 60
    period = str(feed.get("sy_updateperiod") or "").strip().lower()
    if period in _PERIOD_SECONDS:
        frequency = str(feed.get("sy_updatefrequency") or "1").strip()
        times = int(frequency) if frequency.isdigit() and 0 < int(frequency) < 10**6 else 1
        return _PERIOD_SECONDS[period] // times
    return None
