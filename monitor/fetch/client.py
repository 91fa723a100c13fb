"""Asynchronous HTTP fetching: one shared client, polite limits, conditional GET, hard caps.

Every request goes through :class:`Fetcher`, which

* bounds requests in flight overall (``fetch.max_concurrency``) and per host
  (``fetch.max_per_host``);
* sends ``If-None-Match`` / ``If-Modified-Since`` and turns a 304 into ``not_modified``;
  when the server ignores them, a body hash equal to the previous one sets ``unchanged``;
* follows redirects itself, up to ``fetch.max_redirects``, detecting loops and checking
  every hop against the address guard (:mod:`monitor.fetch.guard`); a chain made only of
  permanent redirects (301/308) reports its final URL so the stored one can be updated;
* applies connect and read timeouts per request and a total timeout per fetch, so a server
  that drips one byte at a time cannot hold a poll;
* aborts a download as soon as its body, decompressed, goes over ``fetch.max_response_bytes``.

Library errors become :class:`FetchError` (or a subclass) naming the URL.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from types import TracebackType
from urllib.parse import urlsplit

import httpcore
import httpx

from monitor.config import FetchSettings
from monitor.errors import FetchError, HTTPStatusError, ResponseTooLargeError
from monitor.fetch.decoding import ACCEPT_ENCODING, DecoderChain
from monitor.fetch.guard import AddressGuard, GuardedBackend
from monitor.records import FetchResult

FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/rdf+xml;q=0.9, "
    "application/json;q=0.9, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)
PAGE_ACCEPT = "text/html, application/xhtml+xml;q=0.9, */*;q=0.5"
#: Idle connections kept open. Small on purpose: httpcore's pool gets slower under heavy
#: reuse (encode/httpcore#1035) and feeds are spread over many hosts anyway (PERF.md).
KEEPALIVE_CONNECTIONS = 8
_PERMANENT = (301, 308)
_REDIRECTS = (301, 302, 303, 307, 308)


def body_hash(body: bytes) -> str:
    """A short hash of a body, to skip parsing a feed whose server ignores conditional GET."""
    return hashlib.blake2b(body, digest_size=16).hexdigest()


class GuardedTransport(httpx.AsyncHTTPTransport):
    """httpx's transport on a connection pool whose every connection passes the guard."""

    def __init__(self, guard: AddressGuard, limits: httpx.Limits) -> None:
        # The parent's __init__ only builds ``_pool``; build it here with the guarded backend
        # (httpx has no public hook for a network backend).
        self._pool = httpcore.AsyncConnectionPool(
            ssl_context=httpx.create_ssl_context(trust_env=False),
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=GuardedBackend(guard),
        )


def make_client(settings: FetchSettings, guard: AddressGuard | None = None) -> httpx.AsyncClient:
    """The shared client: guarded transport, timeouts, pool limits and default headers."""
    guard = guard or AddressGuard(allow_private=settings.allow_private_networks)
    timeout = httpx.Timeout(
        connect=settings.connect_timeout.total_seconds(),
        read=settings.read_timeout.total_seconds(),
        write=settings.read_timeout.total_seconds(),
        pool=settings.total_timeout.total_seconds(),
    )
    limits = httpx.Limits(
        max_connections=settings.max_concurrency,
        max_keepalive_connections=min(KEEPALIVE_CONNECTIONS, settings.max_concurrency),
    )
    return httpx.AsyncClient(
        transport=GuardedTransport(guard, limits),
        timeout=timeout,
        headers={
            "User-Agent": settings.user_agent,
            "Accept": FEED_ACCEPT,
            "Accept-Encoding": ACCEPT_ENCODING,
        },
        follow_redirects=False,
        trust_env=False,
    )


class Fetcher:
    """Downloads feeds and pages within the configured limits (see the module docstring)."""

    def __init__(
        self,
        settings: FetchSettings,
        client: httpx.AsyncClient | None = None,
        guard: AddressGuard | None = None,
    ) -> None:
        self.settings = settings
        self.guard = guard or AddressGuard(allow_private=settings.allow_private_networks)
        self.client = client or make_client(settings, self.guard)
        self._overall = asyncio.Semaphore(settings.max_concurrency)
        self._hosts: dict[str, asyncio.Semaphore] = {}

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the underlying client and its connections."""
        await self.client.aclose()

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        previous_hash: str | None = None,
    ) -> FetchResult:
        """GET a feed, conditionally; raises :class:`FetchError` (with the reason) when it cannot."""
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        return await self._get(url, headers, previous_hash)

    async def fetch_page(self, url: str) -> FetchResult:
        """GET an article page (HTML), within the same limits and guard as feeds."""
        result = await self._get(url, {"Accept": PAGE_ACCEPT}, None)
        media = (result.content_type or "").split(";", 1)[0].strip().lower()
        if media and "html" not in media and "xml" not in media:
            raise FetchError(f"{url}: not an HTML page ({media})", url=url)
        return result

    async def _get(
        self, url: str, headers: dict[str, str], previous_hash: str | None
    ) -> FetchResult:
        total = self.settings.total_timeout.total_seconds()
        async with self._overall:
            started = time.monotonic()
            try:
                async with asyncio.timeout(total):
                    return await self._follow(url, headers, previous_hash, started)
            except TimeoutError as exc:
                raise FetchError(
                    f"{url}: gave up after the total timeout of {total:g}s", url=url
                ) from exc

    async def _follow(
        self, url: str, headers: dict[str, str], previous_hash: str | None, started: float
    ) -> FetchResult:
        current, seen, permanent = url, {url}, True
        for _hop in range(self.settings.max_redirects + 1):
            self.guard.check_url(current)
            async with self._host_slot(current), self._send(url, current, headers) as response:
                if response.status_code not in _REDIRECTS:
                    return await self._result(
                        url, current, response, permanent and current != url, started, previous_hash
                    )
                permanent = permanent and response.status_code in _PERMANENT
                current = _location(url, response)
                if current in seen:
                    raise FetchError(f"{url}: redirect loop at {current}", url=url)
                seen.add(current)
        raise FetchError(f"{url}: more than {self.settings.max_redirects} redirects", url=url)

    @asynccontextmanager
    async def _host_slot(self, url: str) -> AsyncIterator[None]:
        host = (urlsplit(url).hostname or "").lower()
        slot = self._hosts.get(host)
        if slot is None:
            slot = self._hosts[host] = asyncio.Semaphore(self.settings.max_per_host)
        async with slot:
            yield

    @asynccontextmanager
    async def _send(
        self, url: str, current: str, headers: Mapping[str, str]
    ) -> AsyncIterator[httpx.Response]:
        try:
            request = self.client.build_request("GET", current, headers=headers)
            response = await self.client.send(request, stream=True)
        except httpx.TimeoutException as exc:
            raise FetchError(f"{current}: timed out ({_describe(exc)})", url=url) from exc
        except (httpx.HTTPError, httpx.InvalidURL) as exc:
            raise FetchError(f"{current}: {_describe(exc)}", url=url) from exc
        try:
            yield response
        except httpx.TimeoutException as exc:
            raise FetchError(f"{current}: timed out reading the body", url=url) from exc
        except httpx.HTTPError as exc:
            raise FetchError(f"{current}: {_describe(exc)}", url=url) from exc
        finally:
            await response.aclose()

    async def _result(
        self,
        url: str,
        final_url: str,
        response: httpx.Response,
        permanent: bool,
        started: float,
        previous_hash: str | None,
    ) -> FetchResult:
        status = response.status_code
        common = {
            "url": url,
            "status": status,
            "final_url": final_url if final_url != url else None,
            "permanent_redirect": permanent,
            "etag": response.headers.get("etag"),
            "last_modified": response.headers.get("last-modified"),
            "content_type": response.headers.get("content-type"),
        }
        if status == 304:
            return FetchResult(not_modified=True, elapsed_s=time.monotonic() - started, **common)
        if not 200 <= status < 300:
            raise HTTPStatusError(
                f"{final_url}: HTTP {status} {response.reason_phrase}".rstrip(),
                url=url,
                status=status,
                retry_after=retry_after_seconds(response.headers.get("retry-after")),
            )
        body = await self._read_capped(response, final_url)
        digest = body_hash(body)
        return FetchResult(
            body=body,
            body_hash=digest,
            unchanged=digest == previous_hash,
            elapsed_s=time.monotonic() - started,
            **common,
        )

    async def _read_capped(self, response: httpx.Response, url: str) -> bytes:
        cap = self.settings.max_response_bytes
        declared = response.headers.get("content-length", "")
        if declared.isdigit() and int(declared) > cap:
            raise ResponseTooLargeError(f"{url}: body of {declared} bytes exceeds {cap}", url=url)
        decoder = DecoderChain(response.headers.get("content-encoding"))
        chunks: list[bytes] = []
        size = 0
        try:
            async for raw in response.aiter_raw():
                chunk = decoder.decode(raw, cap - size)
                size += len(chunk)
                if size > cap:
                    raise ResponseTooLargeError(f"{url}: body exceeds {cap} bytes", url=url)
                chunks.append(chunk)
        except FetchError as exc:
            if exc.url is None:
                raise type(exc)(f"{url}: {exc}", url=url) from exc
            raise
        return b"".join(chunks)


def _location(url: str, response: httpx.Response) -> str:
    location = response.headers.get("location", "").strip()
    if not location:
        raise FetchError(f"{response.url}: redirect without a Location header", url=url)
    try:
        return str(response.url.join(location))
    except httpx.InvalidURL as exc:
        raise FetchError(f"{response.url}: bad redirect Location {location!r}", url=url) from exc


def _describe(exc: Exception) -> str:
    text = str(exc).strip()
    return f"{type(exc).__name__}: {text}" if text else type(exc).__name__


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """A Retry-After header (seconds or HTTP date) as seconds from now."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
