"""The one exception tree of monitor.

Library errors (httpx, feedparser, SQLAlchemy, smtplib, pydantic) are translated into
these where they enter, with ``raise ... from exc``, so callers only handle ours::

    MonitorError
    ├── ConfigError            bad or missing configuration (names the key and the problem)
    ├── SourceError            a backfill/feeds source that cannot be read (names the source)
    ├── FetchError             a feed or page could not be fetched
    │   ├── BlockedAddressError    the URL resolves to a refused address (SSRF guard)
    │   ├── ResponseTooLargeError  the body went over the configured size cap
    │   └── HTTPStatusError        the server answered with an error status
    ├── ParseError             the bytes are not a feed we can read (no items and why)
    ├── LexiconError           a detection data file is invalid (names the file and entry)
    ├── StorageError           the database refused or is unreachable
    │   └── InstanceLockedError    another process already runs on this SQLite database
    └── DeliveryError          an alert could not be delivered (retryable or not)
"""

from __future__ import annotations


class MonitorError(Exception):
    """Base class of every error monitor raises on purpose."""


class ConfigError(MonitorError):
    """The configuration is invalid; the message names the key and what is wrong."""


class LexiconError(MonitorError):
    """A detection lexicon (monitor/detect/data/*.toml) is invalid: names file and entry."""


class SourceError(MonitorError):
    """A source given on the command line or in the config cannot be read."""


class FetchError(MonitorError):
    """A feed or article could not be fetched."""

    def __init__(self, message: str, *, url: str | None = None) -> None:
        super().__init__(message)
        self.url = url


class BlockedAddressError(FetchError):
    """The URL resolves to an address monitor refuses to contact."""


class ResponseTooLargeError(FetchError):
    """The response body exceeded the configured size cap."""


class HTTPStatusError(FetchError):
    """The server answered with an error status."""

    def __init__(
        self, message: str, *, url: str | None = None, status: int, retry_after: float | None = None
    ) -> None:
        super().__init__(message, url=url)
        self.status = status
        self.retry_after = retry_after


class ParseError(MonitorError):
    """The bytes could not be read as a feed."""


class StorageError(MonitorError):
    """The database refused an operation or cannot be reached."""


class InstanceLockedError(StorageError):
    """Another monitor process already runs on this (SQLite) database."""


class DeliveryError(MonitorError):
    """An alert could not be delivered through a channel."""

    def __init__(self, message: str, *, retryable: bool = True) -> None:
        super().__init__(message)
        self.retryable = retryable
