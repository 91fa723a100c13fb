"""Content-Encoding decoding with an output budget, so a compression bomb cannot fill memory.

httpx decodes each network chunk in one call with no limit on what comes out: 64 KB of
brotli can expand to gigabytes before any size check runs. These decoders never produce
more than the remaining budget plus one buffer; past it they raise.
"""

from __future__ import annotations

import zlib
from typing import Protocol

import brotli

from monitor.errors import FetchError, ResponseTooLargeError

#: What monitor asks servers for (and can decode).
ACCEPT_ENCODING = "gzip, deflate, br"


class Decoder(Protocol):
    """Decodes one content coding, producing at most ``budget + 1`` bytes per call."""

    def decode(self, data: bytes, budget: int) -> bytes: ...


class IdentityDecoder:
    """No content coding."""

    def decode(self, data: bytes, budget: int) -> bytes:
        """Return ``data`` as is."""
        return data


class ZlibDecoder:
    """gzip, or deflate (zlib-wrapped, or raw as some servers send it)."""

    def __init__(self, gzip: bool) -> None:
        self._gzip = gzip
        self._obj = zlib.decompressobj(16 + zlib.MAX_WBITS if gzip else zlib.MAX_WBITS)
        self._first = True

    def decode(self, data: bytes, budget: int) -> bytes:
        """Decompress ``data``; raises :class:`ResponseTooLargeError` past ``budget``."""
        try:
            out = self._obj.decompress(data, budget + 1)
        except zlib.error:
            if self._gzip or not self._first:
                raise
            # "deflate" without the zlib header: retry as a raw stream.
            self._obj = zlib.decompressobj(-zlib.MAX_WBITS)
            out = self._obj.decompress(data, budget + 1)
        self._first = False
        if len(out) > budget or self._obj.unconsumed_tail:
            raise ResponseTooLargeError("decompressed body exceeds the size cap")
        return out


class BrotliDecoder:
    """brotli (``br``)."""

    def __init__(self) -> None:
        self._obj = brotli.Decompressor()

    def decode(self, data: bytes, budget: int) -> bytes:
        """Decompress ``data``; raises :class:`ResponseTooLargeError` past ``budget``."""
        out = self._obj.process(data, output_buffer_limit=budget + 1)
        if len(out) > budget or not self._obj.can_accept_more_data():
            raise ResponseTooLargeError("decompressed body exceeds the size cap")
        return out


class DecoderChain:
    """The codings of a Content-Encoding header, undone in reverse order."""

    def __init__(self, content_encoding: str | None) -> None:
        names = [n.strip().lower() for n in (content_encoding or "").split(",") if n.strip()]
        self._decoders = [_decoder(name) for name in reversed(names)]

    def decode(self, data: bytes, budget: int) -> bytes:
        """Decode one raw chunk; raises :class:`FetchError` for corrupt data."""
        try:
            for decoder in self._decoders:
                data = decoder.decode(data, budget)
        except (zlib.error, brotli.error) as exc:
            raise FetchError(f"corrupt compressed body: {exc}") from exc
        return data


def _decoder(name: str) -> Decoder:
    if name in ("gzip", "x-gzip"):
        return ZlibDecoder(gzip=True)
    if name == "deflate":
        return ZlibDecoder(gzip=False)
    if name == "br":
        return BrotliDecoder()
    if name == "identity":
        return IdentityDecoder()
    raise FetchError(f"unsupported Content-Encoding {name!r}")
