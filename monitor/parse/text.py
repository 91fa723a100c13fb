"""HTML (or plain text) -> clean text: tags removed, entities decoded, whitespace normalised.

No markup survives: script-like blocks are dropped with their content, every other tag is
removed, and text that was HTML-escaped twice (``&lt;p&gt;``) is unescaped and stripped
again. Every step is linear in the input, so a hostile feed cannot make it crawl.
"""

from __future__ import annotations

import html
import re

_BLOCKS = ("script", "style", "noscript", "iframe", "object", "embed", "svg", "math", "template")
_OPEN = re.compile(r"<(" + "|".join(_BLOCKS) + r")\b|<!--", re.IGNORECASE)
_BREAK = re.compile(
    r"<\s*/?\s*(?:br|p|div|li|h[1-6]|tr|blockquote|section|article|hr|ul|ol|table)\b[^<>]*>",
    re.IGNORECASE,
)
#: A tag: '<' then a letter, '/', '!' or '?' (so "a < b > c" is left alone), up to '>'.
_TAG = re.compile(r"<[A-Za-z/!?][^<>]*>")
#: A tag cut off by the end of the text.
_OPEN_TAIL = re.compile(r"<[A-Za-z/!?][^<>]*$")
_CDATA = re.compile(r"<!\[CDATA\[(.*?)\]\]>", re.DOTALL)
_SPACES = re.compile(r"[ \t\f\v\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_BREAKS = re.compile(r"\s*\n\s*(?:\n\s*)+")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\u200e\u200f\u2028\u2029\ufeff]")


def clean_text(value: str | None) -> str:
    """Plain text from an HTML fragment or text; paragraphs separated by blank lines."""
    if not value:
        return ""
    text = _strip_markup(value)
    if "&" in text:
        text = html.unescape(text)
        if "<" in text and _TAG.search(text):
            # The markup was escaped twice: what unescaping revealed is markup too.
            text = html.unescape(_strip_markup(text))
    text = _CONTROL.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _SPACES.sub(" ", text)
    text = _BREAKS.sub("\n\n", text)
    return "\n".join(line.strip() for line in text.split("\n")).strip()


def one_line(value: str | None, limit: int = 300) -> str:
    """Clean text on a single line, cut to ``limit`` characters (titles, subjects)."""
    text = " ".join(clean_text(value).split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _strip_markup(text: str) -> str:
    if "<" not in text:
        return text
    text = _CDATA.sub(r"\1", text)
    text = _drop_blocks(text)
    text = _BREAK.sub("\n\n", text)
    text = _TAG.sub(" ", text)
    return _OPEN_TAIL.sub("", text)


def _drop_blocks(text: str) -> str:
    """Remove comments and script-like elements with their content (an unclosed one: the rest)."""
    lower = text.lower()
    out: list[str] = []
    pos = 0
    while match := _OPEN.search(text, pos):
        out.append(text[pos : match.start()])
        if match.group(1):
            close = lower.find("</" + match.group(1).lower(), match.end())
            end = lower.find(">", close) + 1 if close >= 0 else 0
        else:
            close = lower.find("-->", match.end())
            end = close + 3 if close >= 0 else 0
        if end <= 0:
            return " ".join(out)
        out.append(" ")
        pos = end
    out.append(text[pos:])
    return "".join(out)
