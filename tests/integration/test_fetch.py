"""The fetcher against a real HTTP server on 127.0.0.1: what a poll sends and what it accepts."""

from __future__ import annotations

import asyncio
import gzip
import itertools
import threading
import time
import zlib
from collections.abc import Iterator
from typing import Any

import brotli
import pytest

from monitor.config import FetchSettings
from monitor.errors import BlockedAddressError, FetchError, HTTPStatusError, ResponseTooLargeError
from monitor.fetch.client import Fetcher
from tests.servers import HTTPTestServer, Request, Response

FEED = b'<?xml version="1.0"?><rss version="2.0"><channel><title>T</title></channel></rss>'


def settings(**overrides: Any) -> FetchSettings:
    """Fetch settings for tests: loopback allowed, short timeouts."""
    values: dict[str, Any] = {
        "allow_private_networks": True,
        "connect_timeout": "2s",
        "read_timeout": "1s",
        "total_timeout": "3s",
    }
    return FetchSettings.model_validate(values | overrides)


async def fetch(url: str, config: FetchSettings | None = None, **kwargs: Any) -> Any:
    async with Fetcher(config or settings()) as fetcher:
        return await fetcher.fetch(url, **kwargs)


# --- conditional GET -------------------------------------------------------------------


def conditional(request: Request) -> Response:
    if request.headers.get("if-none-match") == '"v1"':
        return Response(304, headers={"ETag": '"v1"'})
    headers = {"ETag": '"v1"', "Last-Modified": "Tue, 09 Jan 2024 10:00:00 GMT"}
    return Response(200, FEED, {"Content-Type": "application/rss+xml", **headers})


async def test_conditional_get_round_trip(http_server: HTTPTestServer) -> None:
    http_server.route("/feed", conditional)
    first = await fetch(http_server.url("/feed"))
    assert (first.status, first.body, first.etag) == (200, FEED, '"v1"')
    assert first.last_modified == "Tue, 09 Jan 2024 10:00:00 GMT"
    second = await fetch(
        http_server.url("/feed"), etag=first.etag, last_modified=first.last_modified
    )
    assert second.not_modified and second.body is None
    sent = http_server.hits("/feed")[1].headers
    assert sent["if-none-match"] == '"v1"'
    assert sent["if-modified-since"] == "Tue, 09 Jan 2024 10:00:00 GMT"


async def test_a_server_without_validators_is_recognised_by_the_body_hash(
    http_server: HTTPTestServer,
) -> None:
    http_server.route("/feed", Response(200, FEED))
    first = await fetch(http_server.url("/feed"))
    again = await fetch(http_server.url("/feed"), previous_hash=first.body_hash)
    assert not first.unchanged and again.unchanged


async def test_requests_carry_a_descriptive_user_agent_and_accept_compression(
    http_server: HTTPTestServer,
) -> None:
    http_server.route("/feed", Response(200, FEED))
    await fetch(http_server.url("/feed"))
    headers = http_server.hits("/feed")[0].headers
    assert headers["user-agent"].startswith("monitor/")
    assert "+http" in headers["user-agent"]
    assert headers["accept-encoding"] == "gzip, deflate, br"
    assert "application/rss+xml" in headers["accept"]


# --- redirects -------------------------------------------------------------------------


@pytest.mark.parametrize(("status", "permanent"), [(301, True), (308, True), (302, False)])
async def test_redirects_are_followed_and_permanent_ones_reported(
    http_server: HTTPTestServer, status: int, permanent: bool
) -> None:
    http_server.route("/old", Response(status, headers={"Location": "/new"}))
    http_server.route("/new", Response(200, FEED))
    result = await fetch(http_server.url("/old"))
    assert result.body == FEED
    assert result.final_url == http_server.url("/new")
    assert result.permanent_redirect is permanent


async def test_a_chain_with_one_temporary_hop_is_not_permanent(
    http_server: HTTPTestServer,
) -> None:
    http_server.route("/a", Response(301, headers={"Location": "/b"}))
    http_server.route("/b", Response(302, headers={"Location": "/c"}))
    http_server.route("/c", Response(200, FEED))
    result = await fetch(http_server.url("/a"))
    assert result.final_url == http_server.url("/c") and not result.permanent_redirect


async def test_a_redirect_loop_is_detected(http_server: HTTPTestServer) -> None:
    http_server.route("/a", Response(302, headers={"Location": "/b"}))
    http_server.route("/b", Response(302, headers={"Location": "/a"}))
    with pytest.raises(FetchError, match="redirect loop"):
        await fetch(http_server.url("/a"))
    assert len(http_server.requests) == 2


async def test_redirects_are_capped(http_server: HTTPTestServer) -> None:
    for n in range(10):
        http_server.route(f"/r{n}", Response(302, headers={"Location": f"/r{n + 1}"}))
    with pytest.raises(FetchError, match="more than 3 redirects"):
        await fetch(http_server.url("/r0"), settings(max_redirects=3))
    assert len(http_server.requests) == 4


async def test_a_redirect_to_a_local_file_is_refused(http_server: HTTPTestServer) -> None:
    http_server.route("/a", Response(302, headers={"Location": "file:///etc/passwd"}))
    with pytest.raises(BlockedAddressError, match="only http and https"):
        await fetch(http_server.url("/a"))


# --- errors ----------------------------------------------------------------------------


@pytest.mark.parametrize("status", [404, 410, 500])
async def test_error_statuses_raise_with_the_status(
    http_server: HTTPTestServer, status: int
) -> None:
    http_server.route("/feed", Response(status, b"nope"))
    with pytest.raises(HTTPStatusError, match=f"HTTP {status}") as caught:
        await fetch(http_server.url("/feed"))
    assert caught.value.status == status and caught.value.retry_after is None


@pytest.mark.parametrize("status", [429, 503])
async def test_retry_after_is_read_from_429_and_503(
    http_server: HTTPTestServer, status: int
) -> None:
    http_server.route("/feed", Response(status, headers={"Retry-After": "120"}))
    with pytest.raises(HTTPStatusError) as caught:
        await fetch(http_server.url("/feed"))
    assert caught.value.retry_after == 120.0


async def test_a_refused_connection_is_a_fetch_error() -> None:
    with pytest.raises(FetchError, match="ConnectError"):
        await fetch("http://127.0.0.1:9/feed")


# --- slow, endless and compressed bodies -----------------------------------------------


async def test_a_server_that_never_answers_times_out(http_server: HTTPTestServer) -> None:
    http_server.route("/feed", Response(200, FEED, delay=5))
    started = time.monotonic()
    with pytest.raises(FetchError, match="timed out"):
        await fetch(http_server.url("/feed"), settings(read_timeout="0.5s"))
    assert time.monotonic() - started < 3


def drip() -> Iterator[bytes]:
    yield b"<rss>"
    yield from itertools.repeat(b" ")


async def test_a_server_that_drips_a_byte_at_a_time_is_stopped_by_the_total_timeout(
    http_server: HTTPTestServer,
) -> None:
    # Each byte arrives well within the read timeout; only the total timeout can stop it.
    http_server.route("/feed", Response(stream=drip, chunk_delay=0.1))
    started = time.monotonic()
    with pytest.raises(FetchError, match="total timeout"):
        await fetch(http_server.url("/feed"), settings(read_timeout="1s", total_timeout="1s"))
    assert time.monotonic() - started < 3


def endless() -> Iterator[bytes]:
    return itertools.repeat(b"x" * 65536)


async def test_an_endless_body_is_aborted_at_the_size_cap(http_server: HTTPTestServer) -> None:
    http_server.route("/feed", Response(stream=endless))
    with pytest.raises(ResponseTooLargeError, match="exceeds 200000 bytes"):
        await fetch(http_server.url("/feed"), settings(max_response_bytes=200_000))


async def test_a_declared_length_over_the_cap_is_refused_before_reading(
    http_server: HTTPTestServer,
) -> None:
    http_server.route("/feed", Response(200, b"x" * 5000))
    with pytest.raises(ResponseTooLargeError, match="body of 5000 bytes"):
        await fetch(http_server.url("/feed"), settings(max_response_bytes=2048))


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [
        ("gzip", gzip.compress),
        ("deflate", zlib.compress),
        ("deflate", lambda b: zlib.compress(b)[2:-4]),  # raw deflate, as some servers send
        ("br", brotli.compress),
    ],
)
async def test_compressed_bodies_are_decoded(
    http_server: HTTPTestServer, encoding: str, compress: Any
) -> None:
    http_server.route("/feed", Response(200, compress(FEED), {"Content-Encoding": encoding}))
    assert (await fetch(http_server.url("/feed"))).body == FEED


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [("gzip", gzip.compress), ("br", lambda data: brotli.compress(data, quality=4))],
)
async def test_a_compression_bomb_is_aborted_at_the_size_cap(
    http_server: HTTPTestServer, encoding: str, compress: Any
) -> None:
    bomb = compress(b"\0" * 50_000_000)  # 50 MB in 77 bytes (brotli), 50 KB (gzip)
    http_server.route("/feed", Response(200, bomb, {"Content-Encoding": encoding}))
    with pytest.raises(ResponseTooLargeError):
        await fetch(http_server.url("/feed"), settings(max_response_bytes=1_000_000))


async def test_a_corrupt_compressed_body_is_a_fetch_error(http_server: HTTPTestServer) -> None:
    http_server.route("/feed", Response(200, b"not gzip at all", {"Content-Encoding": "gzip"}))
    with pytest.raises(FetchError, match="corrupt compressed body"):
        await fetch(http_server.url("/feed"))


# --- concurrency -----------------------------------------------------------------------


class Gauge:
    """Counts requests in progress on the server and remembers the peak."""

    def __init__(self) -> None:
        self.now = self.peak = 0
        self.lock = threading.Lock()

    def handler(self, request: Request) -> Response:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        time.sleep(0.1)
        with self.lock:
            self.now -= 1
        return Response(200, FEED)


async def test_requests_to_one_host_are_bounded(http_server: HTTPTestServer) -> None:
    gauge = Gauge()
    http_server.route("/feed", gauge.handler)
    async with Fetcher(settings(max_per_host=2, max_concurrency=10)) as fetcher:
        await asyncio.gather(*(fetcher.fetch(http_server.url("/feed")) for _ in range(8)))
    assert gauge.peak == 2


async def test_requests_overall_are_bounded() -> None:
    servers = [HTTPTestServer(f"127.0.0.{n}") for n in range(1, 5)]
    gauge = Gauge()
    for server in servers:
        server.route("/feed", gauge.handler)
        server.start()
    try:
        urls = [server.url("/feed") for server in servers]  # four hosts
        async with Fetcher(settings(max_per_host=4, max_concurrency=3)) as fetcher:
            await asyncio.gather(*(fetcher.fetch(u) for u in urls * 3))
    finally:
        for server in servers:
            server.stop()
    assert gauge.peak == 3


# --- the address guard -----------------------------------------------------------------


async def test_loopback_feeds_are_refused_unless_private_networks_are_allowed(
    http_server: HTTPTestServer,
) -> None:
    http_server.route("/feed", Response(200, FEED))
    for url in (
        http_server.url("/feed"),
        http_server.url("/feed").replace("127.0.0.1", "localhost"),
    ):
        with pytest.raises(BlockedAddressError, match="loopback address"):
            await fetch(url, settings(allow_private_networks=False))
    assert http_server.requests == [], "nothing may reach the server"


async def test_a_redirect_to_the_metadata_service_is_refused_even_when_private_is_allowed(
    http_server: HTTPTestServer,
) -> None:
    metadata = "http://169.254.169.254/latest/meta-data/"
    http_server.route("/feed", Response(302, headers={"Location": metadata}))
    with pytest.raises(
        BlockedAddressError, match=r"169\.254\.169\.254 is a link-local.*always refused"
    ):
        await fetch(http_server.url("/feed"))


@pytest.mark.parametrize(
    "url",
    [
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/latest/meta-data/",
        "http://100.100.100.200/latest/meta-data/",
        "http://[fe80::1]/",
        "http://[::ffff:169.254.169.254]/",
        "http://0.0.0.0:8080/",
    ],
)
async def test_metadata_and_link_local_addresses_are_always_refused(url: str) -> None:
    with pytest.raises(BlockedAddressError, match="always refused"):
        await fetch(url)
