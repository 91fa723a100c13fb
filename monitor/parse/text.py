"""HTML (or plain text) -> clean text: tags removed, entities decoded, whitespace normalised.

The text is only ever read by detection and shown escaped, so stripping is enough: no
markup from a feed survives into anything monitor renders.
"""

from __future__ import annotations

import html
import re

_DROP = re.compile(
    r"<(script|style|noscript|iframe|object|embed|svg|math|template)\b.*?</\1\s*>|<!--.*?-->",
    re.IGNORECASE | re.DOTALL,
)
_BLOCK = re.compile(
    r"<\s*(?:br|/p|p|/div|/li|/h[1-6]|/tr|/blockquote|/section|/article|hr)\b[^>]*>",
    re.IGNORECASE,
)
_TAG = re.compile(r"<[^>]{0,2000}>")
_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.DOTALL)
_SPACES = re.compile(r"[ \t\f\v\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_BREAKS = re.compile(r"\s*\n\s*(?:\n\s*)+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200e\u200f\u2028\u2029\ufeff]")


def clean_text(value: str | None) -> str:
    """Plain text from an HTML fragment or text; paragraphs separated by blank lines."""
    if not value:
        return ""
    text = value
    if "<" in text:
        text = _CDATA.sub(r"\1", text)
        text = _DROP.sub(" ", text)
        text = _BLOCK.sub("\n\n", text)
        text = _TAG.sub(" ", text)
    if "&" in text:
        text = html.unescape(text)
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _SPACES.sub(" ", text)
    text = _BREAKS.sub("\n\n", text)
    return "\n".join(line.strip() for line in text.split("\n")).strip()


def one_line(value: str | None, limit: int = 300) -> str:
    """Clean text on a single line, cut to ``limit`` characters (titles, subjects)."""
    text = " ".join(clean_text(value).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
