"""Asynchronous HTTP fetching with conditional GET, size cap and timeouts."""

from __future__ import annotations

import hashlib
import time
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import httpx

from monitor import __version__
from monitor.config import FetchSettings
from monitor.errors import FetchError, HTTPStatusError, ResponseTooLargeError
from monitor.records import FetchResult

ACCEPT = (
    "application/rss+xml, application/atom+xml, application/feed+json, application/json;q=0.9, "
    "application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)


def body_hash(body: bytes) -> str:
    """A short hash of a body, to skip parsing a feed whose server ignores conditional GET."""
    return hashlib.blake2b(body, digest_size=16).hexdigest()


def make_client(settings: FetchSettings) -> httpx.AsyncClient:
    """The shared client: timeouts, pool limits, compression and User-Agent from settings."""
    timeout = httpx.Timeout(
        connect=settings.connect_timeout.total_seconds(),
        read=settings.read_timeout.total_seconds(),
        write=settings.read_timeout.total_seconds(),
        pool=settings.total_timeout.total_seconds(),
    )
    limits = httpx.Limits(max_connections=settings.max_concurrency, max_keepalive_connections=8)
    return httpx.AsyncClient(
        timeout=timeout,
        limits=limits,
        headers={"User-Agent": settings.user_agent or f"monitor/{__version__}", "Accept": ACCEPT},
        follow_redirects=False,
    )


class Fetcher:
    """Downloads feeds: one shared client, conditional GET, redirects and a size cap."""

    def __init__(self, settings: FetchSettings, client: httpx.AsyncClient | None = None) -> None:
        self.settings = settings
        self.client = client or make_client(settings)

    async def aclose(self) -> None:
        """Close the underlying client."""
        await self.client.aclose()

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        previous_hash: str | None = None,
    ) -> FetchResult:
        """GET ``url``; raises :class:`FetchError` (with the reason) when it cannot."""
        headers = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        started = time.monotonic()
        permanent = False
        current = url
        for _hop in range(self.settings.max_redirects + 1):
            try:
                async with self.client.stream("GET", current, headers=headers) as response:
                    if response.is_redirect:
                        permanent = permanent or response.status_code in (301, 308)
                        current = str(response.url.join(response.headers.get("location", "")))
                        continue
                    return await self._result(
                        url, current, response, permanent, started, previous_hash
                    )
            except httpx.TimeoutException as exc:
                raise FetchError(f"{current}: timed out ({type(exc).__name__})", url=url) from exc
            except httpx.HTTPError as exc:
                raise FetchError(f"{current}: {type(exc).__name__}: {exc}", url=url) from exc
        raise FetchError(f"{url}: more than {self.settings.max_redirects} redirects", url=url)

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
        if status >= 400:
            raise HTTPStatusError(
                f"{final_url}: HTTP {status} {response.reason_phrase}",
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
        declared = response.headers.get("content-length")
        if declared and declared.isdigit() and int(declared) > cap:
            raise ResponseTooLargeError(f"{url}: body of {declared} bytes exceeds {cap}", url=url)
        chunks: list[bytes] = []
        size = 0
        deadline = time.monotonic() + self.settings.total_timeout.total_seconds()
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > cap:
                raise ResponseTooLargeError(f"{url}: body exceeds {cap} bytes", url=url)
            if time.monotonic() > deadline:
                raise FetchError(f"{url}: download took longer than the total timeout", url=url)
            chunks.append(chunk)
        return b"".join(chunks)


def retry_after_seconds(value: str | None, now: datetime | None = None) -> float | None:
    """A Retry-After header (seconds or HTTP date) as seconds from now."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return max(0.0, (when - (now or datetime.now(UTC))).total_seconds())
