"""What every feed format shares once read: stable ids, safe links, sane dates, languages.

The format readers (:mod:`monitor.parse.feeds`, :mod:`monitor.parse.jsonfeed`) pull raw
fields out; the helpers here turn them into the values an :class:`~monitor.records.Entry`
holds, and a :class:`Problems` collects what was wrong, once per kind, for the operator.
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from urllib.parse import urljoin, urlsplit

from monitor.parse.urls import canonical_link
from monitor.records import Entry

#: A date further ahead than this is a feed's mistake (or a time zone slip): fetch time is used.
FUTURE_TOLERANCE = timedelta(hours=2)
MAX_GUID = 500
_LANGUAGE = re.compile(r"^[a-z]{2,3}(?:-[a-z0-9]{1,8})*$")


@dataclass
class Problems:
    """Problems met while reading one feed, counted by kind so a feed gives a few lines."""

    messages: list[str] = field(default_factory=list)
    counts: Counter[str] = field(default_factory=Counter)
    examples: dict[str, str] = field(default_factory=dict)

    def add(self, message: str) -> None:
        """A problem with the feed as a whole."""
        if message not in self.messages:
            self.messages.append(message)

    def item(self, kind: str, example: str) -> None:
        """A problem with one item; reported as 'N item(s) <kind>, e.g. <example>'."""
        self.counts[kind] += 1
        self.examples.setdefault(kind, example)

    def as_tuple(self) -> tuple[str, ...]:
        """Every problem, one line each."""
        items = [
            f"{n} item(s) {kind}, e.g. {self.examples[kind]}" for kind, n in self.counts.items()
        ]
        return (*self.messages, *items)


def stable_id(guid: object, link: str | None, title: str, text: str) -> str:
    """The item's id: its guid, else its canonical link, else a hash of title and text."""
    value = str(guid).strip() if guid is not None else ""
    if value:
        return value if len(value) <= MAX_GUID else "sha256:" + _sha(value)
    canonical = canonical_link(link)
    if canonical:
        return canonical if len(canonical) <= MAX_GUID else "sha256:" + _sha(canonical)
    return "sha256:" + _sha(f"{title}\n{text}")


def _sha(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:40]


def safe_link(value: object, base: str | None = None) -> str | None:
    """An absolute http(s) link (relative ones resolved against ``base``), else ``None``.

    Anything else (``javascript:``, ``data:``, ``file:``) is dropped, so no active or local
    link survives into what monitor stores and sends.
    """
    if not isinstance(value, str) or not value.strip():
        return None
    link = value.strip()
    try:
        if base and not urlsplit(link).scheme:
            link = urljoin(base, link)
        parts = urlsplit(link)
    except ValueError:
        return None
    scheme = parts.scheme.lower()
    if scheme not in ("http", "https") or not parts.hostname:
        return None
    return scheme + link[len(parts.scheme) :]


def sane_date(
    value: datetime | None, now: datetime, problems: Problems, title: str
) -> datetime | None:
    """``value``, or the fetch time when it lies in the future (and the problem is noted)."""
    if value is not None and value > now + FUTURE_TOLERANCE:
        problems.item("dated in the future (fetch time used)", f"{title[:60]!r} {value:%Y-%m-%d}")
        return now
    return value


def language_tag(*candidates: object) -> str | None:
    """The first usable language tag among ``candidates``, lower-cased (``en``, ``pt-br``)."""
    for value in candidates:
        if not isinstance(value, str):
            continue
        tag = value.strip().replace("_", "-").lower()[:35]
        if _LANGUAGE.match(tag):
            return tag
    return None


def unique(entries: Iterable[Entry], problems: Problems) -> tuple[Entry, ...]:
    """Entries with repeated ids dropped (the first, usually newest, copy is kept)."""
    seen: set[str] = set()
    out = []
    for entry in entries:
        if entry.guid in seen:
            problems.item("repeat an id already used in this feed (skipped)", repr(entry.guid[:80]))
            continue
        seen.add(entry.guid)
        out.append(entry)
    return tuple(out)
