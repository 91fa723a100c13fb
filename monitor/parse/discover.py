"""Recognise a web page given where a feed was expected, and find the feeds it advertises."""

from __future__ import annotations

import html
import re

from monitor.parse.normalize import safe_link

_HTML_START = re.compile(
    rb"^\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head|body)\b", re.I | re.S
)
_LINK = re.compile(r"<link\b[^>]*>", re.IGNORECASE)
_ATTR = re.compile(r"""([\w:-]+)\s*=\s*("[^"]*"|'[^']*'|[^\s>]+)""")
_FEED_TYPES = (
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "application/rdf+xml",
)
_SCAN_BYTES = 256_000


def looks_like_html(body: bytes, content_type: str | None = None) -> bool:
    """True when the bytes are an HTML page rather than a feed."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    head = body[:2048].lstrip(b"\xef\xbb\xbf")
    if _HTML_START.match(head):
        return True
    return media in ("text/html", "application/xhtml+xml") and b"<rss" not in head.lower()


def advertised_feeds(body: bytes, base: str | None = None, limit: int = 5) -> list[str]:
    """Feed URLs a page announces with ``<link rel="alternate" type="application/rss+xml">``."""
    text = body[:_SCAN_BYTES].decode("utf-8", "replace")
    found: list[str] = []
    for tag in _LINK.findall(text):
        attrs = {k.lower(): html.unescape(v.strip("\"'")) for k, v in _ATTR.findall(tag)}
        rel = attrs.get("rel", "").lower().split()
        if "alternate" not in rel or attrs.get("type", "").lower() not in _FEED_TYPES:
            continue
        link = safe_link(attrs.get("href"), base)
        if link and link not in found:
            found.append(link)
        if len(found) >= limit:
            break
    return found
