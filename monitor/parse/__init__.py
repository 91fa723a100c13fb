"""Parse: fetched bytes -> ``ParsedFeed`` of clean, normalised ``Entry`` records."""

from monitor.parse.feeds import parse_feed

__all__ = ["parse_feed"]
