"""OPML 2.0: names and categories survive a round trip; hostile files are refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from monitor.errors import SourceError
from monitor.fetch.opml import OpmlFeed, read_opml, write_opml

FEEDS = [
    OpmlFeed("https://a.example/rss", "Agence A", "Middle East/Iraq"),
    OpmlFeed("https://b.example/atom.xml?x=1&y=2", "B & Co <news>", "Middle East/Iraq"),
    OpmlFeed("https://c.example/feed.json", "Café C", "Wires"),
    OpmlFeed("https://d.example/feed", "Uncategorised", None),
]


def test_write_then_read_gives_the_same_feeds(tmp_path: Path) -> None:
    path = tmp_path / "feeds.opml"
    path.write_text(write_opml(FEEDS), encoding="utf-8")
    assert read_opml(path) == FEEDS


def test_nested_folders_become_a_category_path(tmp_path: Path) -> None:
    path = tmp_path / "reader.opml"
    path.write_text(
        """<?xml version="1.0"?><opml version="1.0"><head><title>x</title></head><body>
        <outline text="News"><outline text="World">
          <outline type="rss" text="W" xmlUrl="https://w.example/rss"/>
        </outline></outline>
        <outline type="rss" title="Top" text="ignored" xmlUrl=" https://t.example/rss "/>
        </body></opml>"""
    )
    assert read_opml(path) == [
        OpmlFeed("https://w.example/rss", "W", "News/World"),
        OpmlFeed("https://t.example/rss", "Top", None),
    ]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("<opml><body><outline", "not a valid OPML file"),
        ("<html><body/></html>", "not an OPML file"),
        (
            '<?xml version="1.0"?><!DOCTYPE opml [<!ENTITY a "aaaa">]><opml><body/></opml>',
            "not a valid OPML file",
        ),
    ],
)
def test_bad_files_are_refused_with_the_reason(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "bad.opml"
    path.write_text(content)
    with pytest.raises(SourceError, match=message):
        read_opml(path)


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    with pytest.raises(SourceError, match=r"nowhere\.opml"):
        read_opml(tmp_path / "nowhere.opml")
