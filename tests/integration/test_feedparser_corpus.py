"""Robustness: feedparser's 1,700 wild and hostile test feeds (used from /work/shared, never copied).

Every file either parses or fails with a :class:`ParseError` saying why; none crashes or
hangs, and no active content (scripts, event handlers, javascript: links) survives into an
entry.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from monitor.errors import ParseError
from monitor.parse import parse_feed
from tests.conftest import shared_path

ACTIVE = re.compile(r"<\s*(script|iframe|object|embed)\b|\bon[a-z]+\s*=\s*['\"]|javascript:", re.I)


def corpus_files() -> list[Path]:
    root = shared_path("corpus", "feedparser-tests", "tests")
    return sorted(p for p in root.rglob("*") if p.is_file())


def problems_with(path: Path) -> list[str]:
    """What is wrong with how monitor reads one file (nothing, normally)."""
    try:
        feed = parse_feed(path.read_bytes(), url="http://example.org/feed/")
    except ParseError as exc:
        return [] if str(exc).strip() else [f"{path}: ParseError without a message"]
    found = []
    for entry in feed.entries:
        text = "\n".join((entry.title, entry.summary, entry.content))
        if ACTIVE.search(text) or (entry.link and not entry.link.startswith(("http:", "https:"))):
            found.append(f"{path}: active content survived in {entry.guid!r}")
    return found


@pytest.mark.timeout(300)
def test_every_corpus_file_parses_or_fails_cleanly() -> None:
    files = corpus_files()
    assert len(files) > 1000
    failures: list[str] = []
    for path in files:
        try:
            found = problems_with(path)
        except Exception as exc:  # the test's point: report every crash, not the first
            found = [f"{path}: crashed with {type(exc).__name__}: {exc}"]
        failures.extend(found)
    assert not failures, "\n".join(failures[:50])
