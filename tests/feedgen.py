"""Feeds and articles written by tests: RSS documents, attack reports, filler news."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

#: A Friday; stories are a week apart so that each is an incident of its own.
FIRST_DAY = datetime(2024, 1, 5, 9, tzinfo=UTC)


@dataclass(frozen=True)
class Story:
    """One article: guid, link, title, text, publication time."""

    guid: str
    link: str
    title: str
    text: str
    published: datetime

    def as_article(self) -> dict[str, str]:
        """The story as a JSON Lines archive record."""
        return {
            "url": self.link,
            "title": self.title,
            "published": self.published.isoformat(),
            "text": self.text,
        }


def attack(n: int, *, site: str = "news.example.org") -> Story:
    """Rockets at the US Embassy in Baghdad, week ``n``: a relevant incident of its own."""
    day = FIRST_DAY + timedelta(days=7 * n)
    return Story(
        guid=f"attack-{n}",
        link=f"https://{site}/attacks/{n}",
        title=f"Rockets fired at US Embassy in Baghdad (week {n})",
        text=f"Several rockets were fired at the US Embassy in Baghdad early on {day:%A}, "
        "officials said.",
        published=day,
    )


def filler(n: int, *, site: str = "news.example.org") -> Story:
    """A story that reports no attack."""
    day = FIRST_DAY + timedelta(days=n % 90, hours=n % 7)
    return Story(
        guid=f"filler-{n}",
        link=f"https://{site}/markets/{n}",
        title=f"Markets rally for the {n}th session",
        text=f"Stocks rose on {day:%A} as investors weighed earnings; bond yields eased.",
        published=day,
    )


def rss(title: str, stories: list[Story], *, ttl: int | None = None) -> bytes:
    """An RSS 2.0 document of ``stories``."""
    items = "".join(
        f"<item><title>{escape(s.title)}</title><link>{escape(s.link)}</link>"
        f'<guid isPermaLink="false">{escape(s.guid)}</guid>'
        f"<pubDate>{format_datetime(s.published)}</pubDate>"
        f"<description>{escape(s.text)}</description></item>"
        for s in stories
    )
    ttl_tag = f"<ttl>{ttl}</ttl>" if ttl else ""
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>{escape(title)}</title><link>https://news.example.org/</link>"
        f"<description>test feed</description>{ttl_tag}{items}</channel></rss>"
    ).encode()


def write_jsonl(path: Path, stories: list[Story], extra_lines: tuple[str, ...] = ()) -> Path:
    """A JSON Lines archive of ``stories`` (plus raw ``extra_lines``)."""
    lines = [json.dumps(s.as_article()) for s in stories] + list(extra_lines)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def opml(outlines: list[tuple[str, str]]) -> str:
    """An OPML document of (title, xmlUrl) outlines."""
    body = "".join(
        f'<outline type="rss" text={quoteattr(t)} xmlUrl={quoteattr(u)}/>' for t, u in outlines
    )
    return (
        '<?xml version="1.0"?><opml version="2.0"><head><title>t</title></head>'
        f"<body>{body}</body></opml>"
    )
