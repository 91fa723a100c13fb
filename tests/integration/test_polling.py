"""Polling feeds end to end: a real HTTP server, a real database, the feed's recorded health."""

from __future__ import annotations

import logging
import sys
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from monitor.fetch.client import Fetcher
from monitor.fetch.fulltext import extractor
from monitor.pipeline import Pipeline
from monitor.polling import Poller
from monitor.store.database import Database
from monitor.store.models import Feed, Item, utcnow
from tests.conftest import make_settings
from tests.servers import HTTPTestServer, Request, Response

SETTINGS = make_settings(
    fetch={"allow_private_networks": True, "read_timeout": "1s", "total_timeout": "3s"},
    polling={
        "default_interval": "10m",
        "backoff_base": "1m",
        "backoff_max": "4h",
        "unhealthy_after": 3,
    },
)


def rss(*items: str, extra: str = "") -> bytes:
    body = "".join(
        f"<item><title>{title}</title><guid>{title}</guid><link>https://news.example/{title}</link>"
        f"<pubDate>Tue, 09 Jan 2024 10:00:00 GMT</pubDate><description>About {title}.</description></item>"
        for title in items
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>{extra}{body}</channel></rss>'.encode()


def add_feed(db: Database, **fields: Any) -> Feed:
    with db.session() as session:
        feed = Feed(name=fields.pop("name", "wire"), created_at=utcnow(), **fields)
        session.add(feed)
    return feed


def reload(db: Database, feed: Feed) -> Feed:
    with db.session() as session:
        row = session.get(Feed, feed.id)
        assert row is not None
        return row


def items(db: Database) -> list[Item]:
    with db.session() as session:
        return list(session.exec(select(Item).order_by(Item.id)).all())


async def poll(db: Database, feed: Feed, settings: Any = SETTINGS) -> Any:
    poller = Poller(Pipeline(settings, db))
    async with Fetcher(settings.fetch) as fetcher:
        return await poller.poll_feed(fetcher, reload(db, feed), alerts="none")


# --- conditional GET and unchanged bodies -----------------------------------------------


async def test_a_second_poll_is_a_conditional_get_that_parses_nothing(
    sqlite_db: Database, http_server: HTTPTestServer
) -> None:
    def answer(request: Request) -> Response:
        if request.headers.get("if-none-match") == '"1"':
            return Response(304)
        return Response(200, rss("a", "b"), {"ETag": '"1"', "Content-Type": "application/rss+xml"})

    http_server.route("/feed", answer)
    feed = add_feed(sqlite_db, url=http_server.url("/feed"))
    first = await poll(sqlite_db, feed)
    assert first.ok and first.stats.new == 2
    row = reload(sqlite_db, feed)
    assert (row.etag, row.items_seen, row.title, row.healthy, row.last_status) == (
        '"1"',
        2,
        "Wire",
        True,
        200,
    )
    assert timedelta(minutes=10) <= row.next_poll_at - row.last_success_at <= timedelta(minutes=11)

    second = await poll(sqlite_db, feed)
    assert second.ok and second.not_modified and second.stats.read == 0
    assert http_server.hits("/feed")[1].headers["if-none-match"] == '"1"'
    assert reload(sqlite_db, feed).items_seen == 2 and len(items(sqlite_db)) == 2


async def test_a_server_without_validators_is_not_parsed_again_when_unchanged(
    sqlite_db: Database, http_server: HTTPTestServer
) -> None:
    http_server.route("/feed", Response(200, rss("a")))
    feed = add_feed(sqlite_db, url=http_server.url("/feed"))
    await poll(sqlite_db, feed)
    again = await poll(sqlite_db, feed)
    assert again.not_modified and again.stats.read == 0
    http_server.route("/feed", Response(200, rss("a", "b")))
    changed = await poll(sqlite_db, feed)
    assert (changed.stats.read, changed.stats.new) == (2, 1)


async def test_a_local_path_feed_is_polled_like_a_url(sqlite_db: Database, tmp_path: Path) -> None:
    path = tmp_path / "feed.xml"
    path.write_bytes(rss("a"))
    feed = add_feed(sqlite_db, path=str(path))
    assert (await poll(sqlite_db, feed)).stats.new == 1
    assert (await poll(sqlite_db, feed)).not_modified


# --- failures, back-off and health ------------------------------------------------------


async def test_repeated_failures_back_off_and_flag_the_feed_until_it_recovers(
    sqlite_db: Database, http_server: HTTPTestServer
) -> None:
    http_server.route("/feed", Response(500, b"oops"))
    feed = add_feed(sqlite_db, url=http_server.url("/feed"))
    delays = []
    for _ in range(3):
        outcome = await poll(sqlite_db, feed)
        row = reload(sqlite_db, feed)
        delays.append(row.next_poll_at - row.last_error_at)
    assert not outcome.ok and "HTTP 500" in (outcome.error or "")
    assert (row.consecutive_failures, row.healthy, row.last_status) == (3, False, 500)
    assert "HTTP 500" in (row.last_error or "")
    assert delays[0] <= timedelta(minutes=1) < delays[1] <= timedelta(minutes=2) < delays[2]

    http_server.route("/feed", Response(200, rss("a")))
    assert (await poll(sqlite_db, feed)).ok
    row = reload(sqlite_db, feed)
    assert (row.consecutive_failures, row.healthy) == (0, True)
    assert "HTTP 500" in (row.last_error or ""), "the last error stays visible, with its time"


async def test_429_retry_after_sets_the_next_poll(
    sqlite_db: Database, http_server: HTTPTestServer
) -> None:
    http_server.route("/feed", Response(429, headers={"Retry-After": "3600"}))
    feed = add_feed(sqlite_db, url=http_server.url("/feed"))
    await poll(sqlite_db, feed)
    row = reload(sqlite_db, feed)
    assert row.next_poll_at - row.last_error_at == timedelta(hours=1)
    assert row.healthy, "one 429 is not ill health"


async def test_410_gone_flags_the_feed_at_once_and_retries_at_the_ceiling(
    sqlite_db: Database, http_server: HTTPTestServer
) -> None:
    http_server.route("/feed", Response(410))
    feed = add_feed(sqlite_db, url=http_server.url("/feed"))
    await poll(sqlite_db, feed)
    row = reload(sqlite_db, feed)
    assert not row.healthy and row.next_poll_at - row.last_error_at == timedelta(hours=4)


async def test_a_page_that_is_not_a_feed_is_a_failure_saying_why(
    sqlite_db: Database, http_server: HTTPTestServer
) -> None:
    page = (
        b'<html><head><link rel="alternate" type="application/atom+xml" href="/atom"></head></html>'
    )
    http_server.route("/", Response(200, page, {"Content-Type": "text/html"}))
    feed = add_feed(sqlite_db, url=http_server.url("/"))
    outcome = await poll(sqlite_db, feed)
    assert not outcome.ok and f"links to the feed(s) {http_server.url('/atom')}" in (
        outcome.error or ""
    )
    assert reload(sqlite_db, feed).body_hash is None, "a body that failed is parsed again next time"


async def test_a_private_feed_is_refused_by_default(
    sqlite_db: Database, http_server: HTTPTestServer
) -> None:
    http_server.route("/feed", Response(200, rss("a")))
    feed = add_feed(sqlite_db, url=http_server.url("/feed"))
    outcome = await poll(sqlite_db, feed, make_settings())
    assert not outcome.ok and "allow_private_networks" in (outcome.error or "")
    assert http_server.requests == []


# --- what the items become ---------------------------------------------------------------


async def test_a_permanent_redirect_updates_the_stored_url(
    sqlite_db: Database, http_server: HTTPTestServer
) -> None:
    http_server.route("/old", Response(301, headers={"Location": "/new"}))
    http_server.route("/tmp", Response(302, headers={"Location": "/new"}))
    http_server.route("/new", Response(200, rss("a")))
    moved = add_feed(sqlite_db, name="moved", url=http_server.url("/old"))
    visiting = add_feed(sqlite_db, name="visiting", url=http_server.url("/tmp"))
    await poll(sqlite_db, moved)
    await poll(sqlite_db, visiting)
    assert reload(sqlite_db, moved).url == http_server.url("/new")
    assert reload(sqlite_db, visiting).url == http_server.url("/tmp")


async def test_a_malformed_feed_with_items_is_ingested_and_its_problem_reported(
    sqlite_db: Database, http_server: HTTPTestServer, caplog: pytest.LogCaptureFixture
) -> None:
    broken = rss("a").replace(b"About a.", b"Fish & chips <b>unclosed")
    http_server.route("/feed", Response(200, broken))
    feed = add_feed(sqlite_db, url=http_server.url("/feed"))
    with caplog.at_level(logging.INFO):
        outcome = await poll(sqlite_db, feed)
    assert outcome.ok and outcome.stats.new == 1
    assert any("malformed XML" in p for p in outcome.problems)
    assert "malformed XML" in caplog.text


async def test_undated_items_of_a_live_poll_get_the_fetch_time(
    sqlite_db: Database, http_server: HTTPTestServer
) -> None:
    body = rss("a").replace(b"<pubDate>Tue, 09 Jan 2024 10:00:00 GMT</pubDate>", b"")
    http_server.route("/feed", Response(200, body))
    feed = add_feed(sqlite_db, url=http_server.url("/feed"))
    before = utcnow()
    await poll(sqlite_db, feed)
    (item,) = items(sqlite_db)
    assert item.published is not None and item.published >= before - timedelta(seconds=1)


async def test_many_feeds_are_polled_together_and_their_states_written_in_batches(
    db: Database, http_server: HTTPTestServer
) -> None:
    for n in range(30):
        http_server.route(f"/f{n}", Response(200 if n % 3 else 503, rss(f"item{n}")))
    feeds = [add_feed(db, name=f"f{n}", url=http_server.url(f"/f{n}")) for n in range(30)]
    poller = Poller(Pipeline(SETTINGS, db))
    async with Fetcher(SETTINGS.fetch) as fetcher:
        outcomes = await poller.poll(fetcher, [reload(db, f) for f in feeds], alerts="none")
    assert sum(o.ok for o in outcomes) == 20
    rows = [reload(db, f) for f in feeds]
    assert all(r.next_poll_at is not None and r.last_polled_at is not None for r in rows)
    assert sum(r.consecutive_failures for r in rows) == 10
    assert sum(r.items_seen for r in rows) == 20


# --- full text ----------------------------------------------------------------------------

ARTICLE = (
    "<html><head><title>Rockets hit base</title></head><body><nav>Home | World</nav>"
    "<article><h1>Rockets hit base</h1>"
    + "".join(
        f"<p>Paragraph {n}: several rockets struck the base early on Friday, officials said, "
        "and the damage is still being assessed by the engineers on site.</p>"
        for n in range(8)
    )
    + "</article><footer>Copyright</footer></body></html>"
).encode()


def full_text_feed(server: HTTPTestServer) -> bytes:
    link = server.url("/article")
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Short</title>'
        f"<item><title>Rockets hit base</title><guid>r1</guid><link>{link}</link>"
        "<description>Rockets hit a base.</description></item></channel></rss>"
    ).encode()


async def test_summary_only_items_get_the_article_text(
    sqlite_db: Database, http_server: HTTPTestServer
) -> None:
    http_server.route("/feed", Response(200, full_text_feed(http_server)))
    http_server.route(
        "/article", Response(200, ARTICLE, {"Content-Type": "text/html; charset=utf-8"})
    )
    feed = add_feed(sqlite_db, url=http_server.url("/feed"), fetch_full_text=True)
    await poll(sqlite_db, feed)
    (item,) = items(sqlite_db)
    assert "Paragraph 7: several rockets struck the base" in item.content
    assert "Copyright" not in item.content
    assert http_server.hits("/article")[0].headers["accept"].startswith("text/html")

    # The feed changes; the known item's article is not fetched again.
    http_server.route(
        "/feed", Response(200, full_text_feed(http_server).replace(b"Short", b"Short2"))
    )
    await poll(sqlite_db, feed)
    assert len(http_server.hits("/article")) == 1


async def test_without_trafilatura_the_summary_is_kept_and_logged_once(
    sqlite_db: Database,
    http_server: HTTPTestServer,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setitem(sys.modules, "trafilatura", None)  # what an absent package looks like
    extractor.cache_clear()
    http_server.route("/feed", Response(200, full_text_feed(http_server)))
    feed = add_feed(sqlite_db, url=http_server.url("/feed"), fetch_full_text=True)
    try:
        with caplog.at_level(logging.WARNING):
            await poll(sqlite_db, feed)
            extractor()
    finally:
        extractor.cache_clear()
    (item,) = items(sqlite_db)
    assert item.summary == "Rockets hit a base." and item.content == ""
    assert caplog.text.count("trafilatura is not installed") == 1
    assert http_server.hits("/article") == []


# --- what feed servers send, end to end ---------------------------------------------------

FRENCH = (
    '<?xml version="1.0"?><rss version="2.0"><channel><title>Fr</title>'
    "<item><title>Café attaqué à Bagdad</title><guid>fr1</guid></item></channel></rss>"
)
BOMB = (
    '<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY a "' + "A" * 20_000 + '">\n'
    '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">\n]>\n'
    '<rss version="2.0"><channel><title>B</title><item><title>bomb</title><guid>1</guid>'
    "<description>" + "&a;" * 50_000 + "&b;" * 1000 + "</description></item></channel></rss>"
).encode()
JSON_FEED = (
    b'{"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": ['
    b'{"id": "j1", "url": "https://j.example/1", "title": "One", "content_text": "Body"}]}'
)
CASES = {
    "wrong charset": (
        FRENCH.encode("cp1252"),
        {"Content-Type": "text/xml; charset=utf-8"},
        1,
        "charset",
    ),
    "missing charset": (FRENCH.encode(), {"Content-Type": "text/xml"}, 1, None),
    "empty feed": (rss(), {}, 0, "the feed lists no items"),
    "duplicate guids": (rss("a", "a", "b"), {}, 2, "repeat an id"),
    "entity bomb": (BOMB, {}, 1, "entity declaration"),
    "JSON Feed": (JSON_FEED, {"Content-Type": "application/feed+json"}, 1, None),
}


@pytest.mark.parametrize("case", CASES)
async def test_what_a_feed_server_sends(
    sqlite_db: Database, http_server: HTTPTestServer, case: str
) -> None:
    body, headers, new, problem = CASES[case]
    http_server.route("/feed", Response(200, body, headers))
    feed = add_feed(sqlite_db, url=http_server.url("/feed"))
    outcome = await poll(sqlite_db, feed)
    assert outcome.ok and outcome.stats.new == new
    if problem:
        assert any(problem in p for p in outcome.problems), outcome.problems
    if "charset" in case:
        assert items(sqlite_db)[0].title == "Café attaqué à Bagdad"
    if case == "entity bomb":
        assert len(items(sqlite_db)[0].summary) <= len(BOMB)


async def test_an_article_link_to_the_metadata_service_is_not_fetched(
    sqlite_db: Database, http_server: HTTPTestServer, caplog: pytest.LogCaptureFixture
) -> None:
    body = full_text_feed(http_server).replace(
        http_server.url("/article").encode(), b"http://169.254.169.254/latest/meta-data/"
    )
    http_server.route("/feed", Response(200, body))
    feed = add_feed(sqlite_db, url=http_server.url("/feed"), fetch_full_text=True)
    with caplog.at_level(logging.INFO):
        assert (await poll(sqlite_db, feed)).ok
    (item,) = items(sqlite_db)
    assert item.summary == "Rockets hit a base." and item.content == ""
    assert "always refused" in caplog.text
