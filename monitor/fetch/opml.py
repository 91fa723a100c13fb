"""OPML 2.0 subscription lists: read feeds (with names and categories) and write them."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import format_datetime
from pathlib import Path

import defusedxml.ElementTree as SafeET
from defusedxml import DefusedXmlException

from monitor.errors import SourceError


@dataclass(frozen=True, slots=True)
class OpmlFeed:
    """One feed outline: its URL, name and category path (folders joined by '/')."""

    url: str
    name: str
    category: str | None = None


def read_opml(path: str | Path) -> list[OpmlFeed]:
    """The feeds of an OPML file, in document order; raises :class:`SourceError`."""
    try:
        root = SafeET.parse(str(path)).getroot()
    except (ET.ParseError, DefusedXmlException) as exc:
        raise SourceError(f"{path}: not a valid OPML file: {exc}") from exc
    except OSError as exc:
        raise SourceError(f"{path}: {exc.strerror or exc}") from exc
    body = root.find("body")
    if root.tag != "opml" or body is None:
        raise SourceError(f"{path}: not an OPML file (no <opml><body>)")
    feeds: list[OpmlFeed] = []
    _walk(body, [], feeds)
    return feeds


def _walk(node: ET.Element, folders: list[str], out: list[OpmlFeed]) -> None:
    for outline in node.findall("outline"):
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        label = (outline.get("title") or outline.get("text") or "").strip()
        if url:
            category = outline.get("category") or ("/".join(folders) or None)
            out.append(OpmlFeed(url=url, name=label or url, category=category))
        else:
            _walk(outline, [*folders, label] if label else folders, out)


def write_opml(feeds: list[OpmlFeed], title: str = "monitor feeds") -> str:
    """An OPML 2.0 document of ``feeds``, grouped into folders by category."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    ET.SubElement(head, "dateCreated").text = format_datetime(datetime.now(UTC))
    body = ET.SubElement(root, "body")
    folders: dict[str, ET.Element] = {}
    for feed in feeds:
        parent = body
        if feed.category:
            if feed.category not in folders:
                folders[feed.category] = ET.SubElement(
                    body, "outline", text=feed.category, title=feed.category
                )
            parent = folders[feed.category]
        attrs = {"type": "rss", "text": feed.name, "title": feed.name, "xmlUrl": feed.url}
        if feed.category:
            attrs["category"] = feed.category
        ET.SubElement(parent, "outline", attrs)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
