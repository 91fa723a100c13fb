"""Configured feeds are synced into the database at start, on SQLite and PostgreSQL."""

from __future__ import annotations

from monitor.config import FeedConfig
from monitor.store import repository as repo
from monitor.store.database import Database


def feed_config(url: str) -> FeedConfig:
    return FeedConfig(name="wire", url=url)


def test_a_permanent_redirect_survives_a_restart_until_the_config_changes(db: Database) -> None:
    with db.session() as session:
        repo.sync_config_feeds(session, [feed_config("https://old.example/feed")])
    with db.session() as session:  # what polling records after a 301 to a new address
        feed = repo.feed_by_name(session, "wire")
        assert feed is not None
        feed.url, feed.etag = "https://new.example/feed", '"v1"'
        session.add(feed)
    with db.session() as session:  # the daemon restarts on the same configuration
        repo.sync_config_feeds(session, [feed_config("https://old.example/feed")])
    with db.session() as session:
        feed = repo.feed_by_name(session, "wire")
        assert feed is not None
        assert (feed.url, feed.etag) == ("https://new.example/feed", '"v1"')
    with db.session() as session:  # the operator points the config somewhere else
        repo.sync_config_feeds(session, [feed_config("https://other.example/rss")])
    with db.session() as session:
        feed = repo.feed_by_name(session, "wire")
        assert feed is not None
        assert (feed.url, feed.etag) == ("https://other.example/rss", None)


def test_a_feed_dropped_from_the_config_is_disabled_not_deleted(db: Database) -> None:
    with db.session() as session:
        repo.sync_config_feeds(session, [feed_config("https://old.example/feed")])
    with db.session() as session:
        repo.sync_config_feeds(session, [])
    with db.session() as session:
        feed = repo.feed_by_name(session, "wire")
        assert feed is not None and not feed.enabled
