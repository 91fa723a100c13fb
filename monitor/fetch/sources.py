"""Backfill sources: feed URLs, feed files, directories, OPML files and JSON Lines archives."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from monitor.errors import SourceError
from monitor.fetch.opml import read_opml
from monitor.parse.text import clean_text, one_line
from monitor.parse.urls import canonical_link
from monitor.records import Entry

JSONL_SUFFIXES = (".jsonl", ".ndjson")
OPML_SUFFIXES = (".opml",)
FEED_SUFFIXES = (".xml", ".rss", ".atom", ".rdf", ".json", ".feed")


@dataclass(frozen=True, slots=True)
class Source:
    """One readable source: a feed at a URL, a feed file, or a JSON Lines archive."""

    kind: Literal["url", "file", "jsonl"]
    location: str
    name: str
    category: str | None = None


def expand_sources(specs: list[str]) -> Iterator[Source]:
    """Turn command-line sources into readable ones (directories and OPML expanded).

    Raises :class:`SourceError` for a path that does not exist or cannot be read.
    """
    for spec in specs:
        if spec.startswith(("http://", "https://")):
            yield Source("url", spec, spec)
            continue
        path = Path(spec)
        if path.is_dir():
            files = sorted(p for p in path.rglob("*") if p.is_file() and _readable_suffix(p))
            if not files:
                raise SourceError(f"{path}: directory holds no feed, OPML or JSON Lines file")
            yield from expand_sources([str(p) for p in files])
        elif path.is_file():
            yield from _file_sources(path)
        else:
            raise SourceError(f"{spec}: no such file, directory or http(s) URL")


def _opml_source(opml: Path, location: str, category: str | None) -> Source:
    """An OPML outline's feed: a URL, or a file path relative to the OPML file."""
    if location.startswith(("http://", "https://")):
        return Source("url", location, location, category)
    local = Path(location.removeprefix("file://"))
    resolved = str((opml.parent / local).resolve())
    kind: Literal["jsonl", "file"] = "jsonl" if local.suffix.lower() in JSONL_SUFFIXES else "file"
    return Source(kind, resolved, resolved, category)


def _readable_suffix(path: Path) -> bool:
    return path.suffix.lower() in (*JSONL_SUFFIXES, *OPML_SUFFIXES, *FEED_SUFFIXES)


def _file_sources(path: Path) -> Iterator[Source]:
    suffix = path.suffix.lower()
    resolved = str(path.resolve())
    if suffix in OPML_SUFFIXES:
        for feed in read_opml(path):
            yield _opml_source(path, feed.url, feed.category)
    elif suffix in JSONL_SUFFIXES:
        yield Source("jsonl", resolved, resolved)
    else:
        yield Source("file", resolved, resolved)


def read_jsonl(
    path: str | Path,
    *,
    batch_size: int = 500,
    on_problem: Callable[[str], None] | None = None,
) -> Iterator[list[Entry]]:
    """Articles of a JSON Lines file (``{"url","title","published","text"}``), in batches.

    Lines are streamed, so memory stays bounded whatever the file's size. A line that is
    not a usable article is skipped and reported to ``on_problem`` as ``path:line: why``;
    a file that cannot be read raises :class:`SourceError`.
    """
    batch: list[Entry] = []
    try:
        with Path(path).open(encoding="utf-8") as handle:
            for number, line in enumerate(handle, 1):
                if not line.strip():
                    continue
                try:
                    batch.append(article_entry(_json_object(line, path, number)))
                except SourceError as exc:
                    if on_problem is None:
                        raise
                    on_problem(str(exc))
                    continue
                if len(batch) >= batch_size:
                    yield batch
                    batch = []
    except OSError as exc:
        raise SourceError(f"{path}: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise SourceError(f"{path}: not UTF-8 text: {exc}") from exc
    if batch:
        yield batch


def _json_object(line: str, path: str | Path, number: int) -> dict[str, object]:
    try:
        data = json.loads(line)
    except json.JSONDecodeError as exc:
        raise SourceError(f"{path}:{number}: not JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise SourceError(f"{path}:{number}: expected a JSON object")
    if not (data.get("title") or data.get("text") or data.get("content")):
        raise SourceError(f"{path}:{number}: an article needs a title or a text")
    return data


def article_entry(data: dict[str, object]) -> Entry:
    """An ``Entry`` from an archived article (url, title, published, text, optional id)."""
    url = str(data.get("url") or data.get("link") or data.get("source_url") or "") or None
    title = one_line(str(data.get("title") or ""))
    text = clean_text(str(data.get("text") or data.get("content") or ""))
    guid = (
        str(data.get("id") or data.get("guid") or "")
        or canonical_link(url)
        or ("sha256:" + hashlib.sha256(f"{title}\n{text}".encode()).hexdigest()[:40])
    )
    return Entry(
        guid=guid, link=url, title=title, content=text, published=_published(data.get("published"))
    )


def _published(value: object) -> datetime | None:
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        # A bare date is the publication day; noon keeps it on that day in every zone.
        parsed = parsed.replace(hour=12) if len(value.strip()) == 10 else parsed
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)
