"""Parsing: clean text, canonical links, RSS/Atom/JSON Feed into entries."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

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


# --- formats ---------------------------------------------------------------------------

RSS091 = b"""<?xml version="1.0"?>
<!DOCTYPE rss PUBLIC "-//Netscape Communications//DTD RSS 0.91//EN"
  "http://my.netscape.com/publish/formats/rss-0.91.dtd">
<rss version="0.91"><channel><title>Old</title><link>https://x.org/</link>
<item><title>Ninety-one</title><link>https://x.org/91</link><description>d</description></item>
</channel></rss>"""

RSS10 = b"""<?xml version="1.0"?>
<rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#" xmlns="http://purl.org/rss/1.0/"
  xmlns:dc="http://purl.org/dc/elements/1.1/">
<channel rdf:about="https://x.org/"><title>RDF</title><link>https://x.org/</link></channel>
<item rdf:about="https://x.org/10"><title>Ten</title><link>https://x.org/10</link>
<dc:date>2024-01-09T10:00:00+01:00</dc:date></item>
</rdf:RDF>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom" xml:lang="fr">
<title>Atom</title><link href="https://x.org/"/><id>urn:x</id><updated>2024-01-09T10:00:00Z</updated>
<entry><title type="html">Caf&amp;eacute; &lt;b&gt;attaqu&#233;&lt;/b&gt;</title><id>urn:x:1</id>
<link rel="alternate" href="/articles/1?utm_source=rss"/>
<updated>2024-01-09T10:00:00Z</updated><published>2024-01-09T09:00:00-05:00</published>
<summary>Short</summary><content type="html">&lt;p&gt;Long &lt;i&gt;content&lt;/i&gt;&lt;/p&gt;</content>
</entry></feed>"""


@pytest.mark.parametrize(
    ("body", "version", "title"),
    [(RSS091, "rss091n", "Ninety-one"), (RSS10, "rss10", "Ten"), (ATOM, "atom10", "Café attaqué")],
)
def test_rss_09x_10_and_atom_are_read(body: bytes, version: str, title: str) -> None:
    feed = parse_feed(body, url="https://x.org/feed", now=NOW)
    assert feed.version == version
    assert feed.entries[0].title == title


def test_atom_entries_are_normalised() -> None:
    (entry,) = parse_feed(ATOM, url="https://x.org/feed.atom", now=NOW).entries
    assert entry.guid == "urn:x:1"
    assert entry.link == "https://x.org/articles/1?utm_source=rss"
    assert (entry.summary, entry.content) == ("Short", "Long content")
    assert entry.published == datetime(2024, 1, 9, 14, tzinfo=UTC)
    assert entry.language == "fr"


def test_rdf_dates_become_utc() -> None:
    assert parse_feed(RSS10, now=NOW).entries[0].published == datetime(2024, 1, 9, 9, tzinfo=UTC)


def test_the_feed_language_applies_to_its_items() -> None:
    body = rss("<language>pt_BR</language><item><title>A</title><guid>g</guid></item>")
    assert parse_feed(body, now=NOW).entries[0].language == "pt-br"


def test_ttl_and_update_period_are_read() -> None:
    assert parse_feed(rss("<ttl>120</ttl>"), now=NOW).ttl_s == 7200
    sy = (
        b'<rss version="2.0" xmlns:sy="http://purl.org/rss/1.0/modules/syndication/"><channel>'
        b"<title>S</title><sy:updatePeriod>daily</sy:updatePeriod>"
        b"<sy:updateFrequency>4</sy:updateFrequency></channel></rss>"
    )
    assert parse_feed(sy, now=NOW).ttl_s == 6 * 3600


# --- items -----------------------------------------------------------------------------


def test_an_item_without_guid_or_link_gets_a_content_hash_id() -> None:
    body = rss("<item><title>A</title><description>x</description></item>")
    again = rss("<item><title>A</title><description>x</description></item>")
    first, second = parse_feed(body, now=NOW).entries[0], parse_feed(again, now=NOW).entries[0]
    assert first.guid.startswith("sha256:") and first.guid == second.guid


def test_relative_links_are_resolved_and_active_links_dropped() -> None:
    body = rss(
        "<item><title>A</title><guid>1</guid><link>/a/1</link></item>"
        "<item><title>B</title><guid>2</guid><link>javascript:alert(1)</link></item>"
    )
    a, b = parse_feed(body, url="https://x.org/feed", now=NOW).entries
    assert a.link == "https://x.org/a/1"
    assert b.link is None


def test_a_missing_date_stays_missing() -> None:
    assert (
        parse_feed(rss("<item><title>A</title><guid>g</guid></item>"), now=NOW).entries[0].published
        is None
    )


def test_duplicate_guids_are_reported_once_with_a_count() -> None:
    item = "<item><title>A</title><guid>same</guid></item>"
    feed = parse_feed(rss(item * 3), now=NOW)
    assert feed.problems == (
        "2 item(s) repeat an id already used in this feed (skipped), e.g. 'same'",
    )


def test_markup_escaped_twice_is_stripped_too() -> None:
    body = rss(
        "<item><title>A</title><guid>g</guid><description>&amp;lt;p&amp;gt;Hi&amp;lt;script&amp;gt;x()&amp;lt;/script&amp;gt;&amp;lt;/p&amp;gt;</description></item>"
    )
    assert parse_feed(body, now=NOW).entries[0].summary == "Hi"


def test_clean_text_is_linear_on_hostile_input() -> None:
    assert clean_text("<script" * 100_000) == ""
    assert clean_text("a < b > c") == "a < b > c"
    assert clean_text("x <!-- never closed") == "x"


# --- what yields nothing, and why --------------------------------------------------------


def test_an_empty_feed_is_a_feed_with_a_note() -> None:
    feed = parse_feed(rss(""), now=NOW)
    assert feed.entries == () and feed.problems == ("the feed lists no items",)


def test_an_empty_document_says_so() -> None:
    with pytest.raises(ParseError, match="empty document"):
        parse_feed(b"  \n", url="https://x.org/feed", now=NOW)


def test_an_html_page_names_the_feeds_it_advertises() -> None:
    page = (
        b"<!DOCTYPE html><html><head><title>News</title>"
        b'<link rel="alternate" type="application/rss+xml" href="/rss.xml">'
        b"</head><body>Hi</body></html>"
    )
    with pytest.raises(
        ParseError, match=r"an HTML page; it links to the feed\(s\) https://x.org/rss.xml"
    ):
        parse_feed(page, url="https://x.org/", now=NOW)


def test_text_that_is_not_xml_is_not_a_feed() -> None:
    with pytest.raises(ParseError, match="not a feed"):
        parse_feed(b"hello, world", now=NOW)


def test_malformed_xml_that_still_yields_items_is_read_and_reported() -> None:
    body = rss(
        "<item><title>Fish & chips</title><guid>1</guid><description>a <b>b</description></item>"
    )
    feed = parse_feed(body, now=NOW)
    assert feed.entries[0].title == "Fish & chips"
    assert any(p.startswith("malformed XML") and "read leniently" in p for p in feed.problems)


# --- charsets --------------------------------------------------------------------------

FRENCH = "<item><title>Café attaqué à Bagdad</title><guid>1</guid></item>"


def test_a_wrong_charset_is_overridden_and_reported() -> None:
    body = rss(FRENCH).decode().encode("cp1252")
    feed = parse_feed(body, content_type="application/rss+xml; charset=utf-8", now=NOW)
    assert feed.entries[0].title == "Café attaqué à Bagdad"
    assert any("charset" in p for p in feed.problems)


def test_a_missing_charset_is_detected() -> None:
    body = rss(FRENCH)  # UTF-8, no charset anywhere, served as text/xml (RFC 3023: us-ascii)
    assert parse_feed(body, content_type="text/xml", now=NOW).entries[0].title == (
        "Café attaqué à Bagdad"
    )


def test_the_xml_declaration_gives_the_charset() -> None:
    body = (
        b'<?xml version="1.0" encoding="iso-8859-1"?>' + rss(FRENCH).decode().encode("latin-1")[21:]
    )
    assert parse_feed(body, now=NOW).entries[0].title == "Café attaqué à Bagdad"


# --- hostile XML -----------------------------------------------------------------------


def billion_laughs() -> bytes:
    entities = ['<!ENTITY a "' + "a" * 80 + '">']
    for prev, name in zip("abcdefg", "bcdefgh", strict=True):
        entities.append(f'<!ENTITY {name} "' + f"&{prev};" * 20 + '">')
    return (
        '<?xml version="1.0"?>\n<!DOCTYPE rss [\n' + "\n".join(entities) + "\n]>\n"
        '<rss version="2.0"><channel><title>&h;</title>'
        "<item><title>laugh</title><guid>1</guid><description>&h;</description></item>"
        "</channel></rss>"
    ).encode()


def test_a_billion_laughs_bomb_expands_nothing() -> None:
    feed = parse_feed(billion_laughs(), now=NOW)
    assert feed.entries[0].title == "laugh"
    assert len(feed.entries[0].summary) < 100


def test_a_quadratic_blowup_is_defused() -> None:
    # feedparser keeps "safe" entities and its lenient parser expands them: this 620 KB
    # document made it build 4 GB of text. The declaration is removed first.
    body = (
        '<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY a "' + "A" * 20_000 + '">\n]>\n'
        '<rss version="2.0"><channel><title>Q</title><item><title>q</title><guid>1</guid>'
        "<description>" + "&a;" * 200_000 + "</description></item></channel></rss>"
    ).encode()
    feed = parse_feed(body, now=NOW)
    assert len(feed.entries[0].summary) <= len(body)
    assert any("entity declaration" in p for p in feed.problems)


def test_short_entities_still_work() -> None:
    body = (
        b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY org "Example Org">\n]>\n'
        b'<rss version="2.0"><channel><title>E</title>'
        b"<item><title>By &org;</title><guid>1</guid></item></channel></rss>"
    )
    feed = parse_feed(body, now=NOW)
    assert feed.entries[0].title == "By Example Org" and feed.problems == ()


def test_external_entities_read_no_local_file(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET")
    body = (
        '<?xml version="1.0"?>\n<!DOCTYPE rss [\n'
        f'<!ENTITY xxe SYSTEM "{secret.as_uri()}">\n]>\n'
        '<rss version="2.0"><channel><title>X</title>'
        "<item><title>t &xxe;</title><guid>1</guid><description>&xxe;</description></item>"
        "</channel></rss>"
    ).encode()
    feed = parse_feed(body, now=NOW)
    assert "TOP-SECRET" not in repr(feed)


def test_a_body_naming_a_local_file_is_not_opened(tmp_path: Path) -> None:
    # feedparser.parse(b"/path") opens the file; monitor hands it a stream instead.
    local = tmp_path / "local.xml"
    local.write_bytes(rss("<item><title>LOCAL</title><guid>1</guid></item>"))
    with pytest.raises(ParseError):
        parse_feed(str(local).encode(), now=NOW)


# --- JSON Feed -------------------------------------------------------------------------


def json_feed(**fields: object) -> bytes:
    return json.dumps(
        {"version": "https://jsonfeed.org/version/1.1", "title": "J", **fields}
    ).encode()


def test_json_feed_items_are_normalised() -> None:
    body = json_feed(
        language="de",
        home_page_url="https://x.org/",
        items=[
            {
                "id": 7,
                "url": "/a?utm_campaign=x",
                "title": "Sieben",
                "content_text": "Text",
                "summary": "Kurz",
                "date_published": "2024-01-09T10:00:00+01:00",
                "authors": [{"name": "A. Writer"}],
            },
            "not an object",
        ],
    )
    feed = parse_feed(body, url="https://x.org/feed.json", now=NOW)
    (entry,) = feed.entries
    assert (entry.guid, entry.link, entry.language) == ("7", "https://x.org/a?utm_campaign=x", "de")
    assert (entry.summary, entry.content, entry.author) == ("Kurz", "Text", "A. Writer")
    assert entry.published == datetime(2024, 1, 9, 9, tzinfo=UTC)
    assert feed.problems == ("1 item(s) are not JSON objects (skipped), e.g. item 1",)


def test_json_that_is_not_a_json_feed_is_refused() -> None:
    with pytest.raises(ParseError, match="not a JSON Feed"):
        parse_feed(b'{"hello": "world"}', now=NOW)
    with pytest.raises(ParseError, match="not valid JSON"):
        parse_feed(b'{"version": ', now=NOW)


def test_a_json_feed_without_version_is_read_with_a_note() -> None:
    feed = parse_feed(json.dumps({"items": [{"id": "1", "title": "x"}]}).encode(), now=NOW)
    assert feed.entries[0].guid == "1" and "no JSON Feed version" in feed.problems[0]


def test_deeply_nested_json_is_a_parse_error() -> None:
    with pytest.raises(ParseError):
        parse_feed(b'{"items": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", now=NOW)
