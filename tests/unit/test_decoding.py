"""Content-Encoding decoding never produces more than its budget."""

from __future__ import annotations

import gzip
import zlib

import brotli
import pytest

from monitor.errors import FetchError, ResponseTooLargeError
from monitor.fetch.decoding import DecoderChain

TEXT = b"<rss>" + b"news " * 1000 + b"</rss>"


@pytest.mark.parametrize(
    ("encoding", "data"),
    [
        (None, TEXT),
        ("identity", TEXT),
        ("gzip", gzip.compress(TEXT)),
        ("x-gzip", gzip.compress(TEXT)),
        ("deflate", zlib.compress(TEXT)),
        ("br", brotli.compress(TEXT)),
        ("gzip, br", brotli.compress(gzip.compress(TEXT))),
    ],
)
def test_each_coding_is_undone(encoding: str | None, data: bytes) -> None:
    chain = DecoderChain(encoding)
    out = b"".join(chain.decode(data[i : i + 100], 10**6) for i in range(0, len(data), 100))
    assert out == TEXT


@pytest.mark.parametrize(
    ("encoding", "compress"),
    [("gzip", gzip.compress), ("deflate", zlib.compress), ("br", brotli.compress)],
)
def test_output_past_the_budget_raises(encoding: str, compress: object) -> None:
    data = compress(b"\0" * 1_000_000)  # type: ignore[operator]
    with pytest.raises(ResponseTooLargeError):
        DecoderChain(encoding).decode(data, 10_000)


def test_an_unknown_coding_is_refused() -> None:
    with pytest.raises(FetchError, match="unsupported Content-Encoding 'zstd'"):
        DecoderChain("zstd")
