"""Parsing: clean text, canonical links, RSS/Atom/JSON Feed into entries."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from monitor.errors import ParseError
from monitor.parse import parse_feed
from monitor.parse.text import clean_text
from monitor.parse.urls import canonical_link

NOW = datetime(2024, 1, 10, 12, tzinfo=UTC)


def test_clean_text_drops_markup_and_scripts_and_decodes_entities() -> None:
    html = "<p>Rockets &amp; mortars</p><script>alert('x')</script><p>hit&nbsp;the base</p>"
    assert clean_text(html) == "Rockets & mortars\n\nhit the base"


def test_canonical_link_strips_tracking_and_fragments() -> None:
    url = "HTTPS://News.Example.org:443/a/b/?utm_source=x&id=7&fbclid=y#top"
    assert canonical_link(url) == "https://news.example.org/a/b?id=7"
    assert canonical_link("javascript:alert(1)") is None


def rss(items: str) -> bytes:
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>{items}</channel></rss>'.encode()


def test_rss_items_become_entries_with_utc_dates() -> None:
    feed = parse_feed(
        rss(
            "<item><title>A</title><link>https://x.org/a</link><guid>g1</guid>"
            "<pubDate>Tue, 09 Jan 2024 10:00:00 +0200</pubDate><description>&lt;b&gt;Hi&lt;/b&gt;</description></item>"
        ),
        now=NOW,
    )
    (entry,) = feed.entries
    assert (entry.guid, entry.title, entry.summary) == ("g1", "A", "Hi")
    assert entry.published == datetime(2024, 1, 9, 8, tzinfo=UTC)


def test_an_item_without_guid_is_identified_by_its_canonical_link() -> None:
    feed = parse_feed(
        rss("<item><title>A</title><link>https://x.org/a?utm_medium=rss</link></item>"), now=NOW
    )
    assert feed.entries[0].guid == "https://x.org/a"


def test_duplicate_guids_inside_one_feed_are_kept_once() -> None:
    item = "<item><title>A</title><guid>same</guid></item>"
    assert len(parse_feed(rss(item * 3), now=NOW).entries) == 1


def test_a_date_in_the_future_is_replaced_by_the_fetch_time() -> None:
    feed = parse_feed(
        rss(
            "<item><title>A</title><guid>g</guid><pubDate>Sat, 01 Jan 2033 00:00:00 GMT</pubDate></item>"
        ),
        now=NOW,
    )
    assert feed.entries[0].published == NOW
    assert any("future" in p for p in feed.problems)


def test_json_feed_is_read() -> None:
    body = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1.1",
            "title": "J",
            "items": [
                {
                    "id": "1",
                    "url": "https://x.org/1",
                    "title": "One",
                    "content_html": "<p>Body</p>",
                    "date_published": "2024-01-09T10:00:00Z",
                }
            ],
        }
    ).encode()
    feed = parse_feed(body, now=NOW)
    assert feed.version == "json1.1"
    assert feed.entries[0].content == "Body"


def test_an_html_page_is_not_a_feed() -> None:
    with pytest.raises(ParseError, match="not a feed"):
        parse_feed(b"<html><body><p>Hello</p></body></html>", url="https://x.org/", now=NOW)
