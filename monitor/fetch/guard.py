"""The address guard: which hosts monitor may connect to (server-side request forgery defence).

Feed and article URLs come from outside (configs, OPML files, redirects, links inside feeds),
so every connection is checked where it is made, not only where a URL is read:

* link-local and cloud metadata addresses (169.254.0.0/16, fe80::/10, 100.100.100.200,
  fd00:ec2::254, ...) and addresses nobody should connect to (unspecified, multicast,
  broadcast, reserved) are **always** refused;
* loopback and private ranges (127.0.0.0/8, 10.0.0.0/8, 192.168.0.0/16, fc00::/7, ...) and
  every other non-global address are refused unless ``fetch.allow_private_networks``;
* IPv6 forms that embed an IPv4 address (::ffff:a.b.c.d, 6to4, NAT64) are judged by it.

:class:`GuardedBackend` resolves a host name itself (asynchronously), refuses the connection
when *any* of its addresses is refused, and connects to the checked address, so a DNS answer
cannot change between the check and the connection (DNS rebinding). Every redirect hop opens
its own connection and is checked the same way.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
import time
from collections.abc import Iterable
from typing import Any
from urllib.parse import urlsplit

import httpcore
from httpcore import AsyncNetworkBackend, AsyncNetworkStream

from monitor.errors import BlockedAddressError

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address

#: Refused even when private networks are allowed: metadata services and link-local ranges.
ALWAYS_REFUSED = tuple(
    ipaddress.ip_network(net)
    for net in (
        "169.254.0.0/16",  # IPv4 link-local, AWS/GCP/Azure/OpenStack metadata 169.254.169.254
        "fe80::/10",  # IPv6 link-local
        "100.100.100.200/32",  # Alibaba Cloud metadata
        "fd00:ec2::254/128",  # AWS metadata over IPv6
        "192.0.0.192/32",  # Oracle Cloud metadata
        "168.63.129.16/32",  # Azure host (wireserver)
        "0.0.0.0/8",  # "this network": connects to the local host on Linux
        "::/128",
        "224.0.0.0/4",  # multicast
        "ff00::/8",
        "240.0.0.0/4",  # reserved, and the broadcast address
    )
)
_NAT64 = ipaddress.ip_network("64:ff9b::/96")
#: Positive DNS answers are reused this long (the checked addresses are what we connect to).
DNS_CACHE_SECONDS = 300.0
ALLOWED_SCHEMES = ("http", "https")


def embedded_ipv4(ip: IPAddress) -> IPAddress:
    """The IPv4 address an IPv6 address stands for (mapped, 6to4, NAT64), else ``ip``."""
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return ip.ipv4_mapped
        if ip.sixtofour is not None:
            return ip.sixtofour
        if ip in _NAT64:
            return ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip


def refusal(ip: IPAddress, *, allow_private: bool) -> str | None:
    """Why monitor refuses to connect to ``ip``, or ``None`` when it may."""
    ip = embedded_ipv4(ip)
    if any(ip in net for net in ALWAYS_REFUSED):
        return f"{ip} is a link-local, metadata or reserved address (always refused)"
    if not ip.is_global and not allow_private:
        kind = "loopback" if ip.is_loopback else "private"
        return f"{ip} is a {kind} address (set fetch.allow_private_networks = true to allow it)"
    return None


class AddressGuard:
    """Checks URLs and resolves host names to addresses monitor may connect to."""

    def __init__(self, *, allow_private: bool, cache_seconds: float = DNS_CACHE_SECONDS) -> None:
        self.allow_private = allow_private
        self.cache_seconds = cache_seconds
        self._cache: dict[tuple[str, int], tuple[float, list[str]]] = {}

    def check_url(self, url: str) -> None:
        """Refuse a URL that is not http(s), has no host, or names a refused IP literally."""
        try:
            parts = urlsplit(url)
            host = parts.hostname
        except ValueError as exc:
            raise BlockedAddressError(f"{url}: not a valid URL ({exc})", url=url) from exc
        if parts.scheme.lower() not in ALLOWED_SCHEMES:
            raise BlockedAddressError(
                f"{url}: only http and https URLs are fetched (local files must be "
                "configured as a feed 'path')",
                url=url,
            )
        if not host:
            raise BlockedAddressError(f"{url}: no host in URL", url=url)
        literal = _ip_literal(host)
        if literal is not None:
            self._refuse_if_blocked(literal, url)

    async def resolve(self, host: str, port: int) -> list[str]:
        """The addresses of ``host`` (all checked), for connecting; raises when one is refused."""
        literal = _ip_literal(host)
        if literal is not None:
            self._refuse_if_blocked(literal, host)
            return [str(literal)]
        key = (host.lower(), port)
        cached = self._cache.get(key)
        if cached is not None and cached[0] > time.monotonic():
            return cached[1]
        addresses = await _getaddrinfo(host, port)
        for address in addresses:
            self._refuse_if_blocked(ipaddress.ip_address(address), host)
        self._cache[key] = (time.monotonic() + self.cache_seconds, addresses)
        return addresses

    def _refuse_if_blocked(self, ip: IPAddress, where: str) -> None:
        reason = refusal(ip, allow_private=self.allow_private)
        if reason is not None:
            raise BlockedAddressError(f"{where}: refused: {reason}", url=where)


def _ip_literal(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.strip("[]").split("%", 1)[0])
    except ValueError:
        return None


async def _getaddrinfo(host: str, port: int) -> list[str]:
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise httpcore.ConnectError(f"cannot resolve {host}: {exc}") from exc
    # IPv4 first: most feeds' hosts answer there, and it avoids waiting on broken IPv6 routes.
    addresses = dict.fromkeys(str(info[4][0]).split("%", 1)[0] for info in infos)
    ordered = sorted(addresses, key=lambda a: ":" in a)
    if not ordered:
        raise httpcore.ConnectError(f"cannot resolve {host}: no address")
    return ordered


class GuardedBackend(AsyncNetworkBackend):
    """httpcore's network backend behind the guard: resolve, check, connect to the address."""

    def __init__(self, guard: AddressGuard, inner: AsyncNetworkBackend | None = None) -> None:
        self.guard = guard
        self.inner = inner or httpcore.AnyIOBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> AsyncNetworkStream:
        """Connect to the first reachable, allowed address of ``host``."""
        try:
            async with asyncio.timeout(timeout):
                addresses = await self.guard.resolve(host, port)
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(f"resolving {host} timed out") from exc
        error: Exception | None = None
        for address in addresses:
            try:
                return await self.inner.connect_tcp(
                    address,
                    port,
                    timeout=timeout,
                    local_address=local_address,
                    socket_options=socket_options,
                )
            except (httpcore.ConnectError, httpcore.ConnectTimeout) as exc:
                error = exc
        assert error is not None
        raise error

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> AsyncNetworkStream:
        """Unix sockets are never used for feeds."""
        raise BlockedAddressError(f"{path}: unix sockets are not fetched")

    async def sleep(self, seconds: float) -> None:
        """Delegate to the inner backend."""
        await self.inner.sleep(seconds)
