"""The address guard: which addresses monitor refuses to connect to, and why."""

from __future__ import annotations

import ipaddress

import pytest

from monitor.errors import BlockedAddressError
from monitor.fetch.guard import AddressGuard, refusal

ALWAYS = [
    "169.254.169.254",  # AWS, GCP, Azure, OpenStack metadata
    "169.254.0.1",
    "fe80::1",
    "100.100.100.200",  # Alibaba Cloud
    "fd00:ec2::254",  # AWS over IPv6
    "192.0.0.192",  # Oracle Cloud
    "168.63.129.16",  # Azure host
    "0.0.0.0",
    "::",
    "224.0.0.1",
    "255.255.255.255",
    "::ffff:169.254.169.254",  # IPv4-mapped
    "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
    "64:ff9b::a9fe:a9fe",  # NAT64 of 169.254.169.254
]
PRIVATE = [
    "127.0.0.1",
    "127.8.9.10",
    "::1",
    "10.1.2.3",
    "172.16.0.1",
    "192.168.1.1",
    "fc00::1",
    "100.64.0.1",
    "::ffff:127.0.0.1",
    "198.18.0.1",
]
PUBLIC = ["93.184.216.34", "8.8.8.8", "2606:4700::1111"]


@pytest.mark.parametrize("address", ALWAYS)
def test_link_local_and_metadata_addresses_are_always_refused(address: str) -> None:
    reason = refusal(ipaddress.ip_address(address), allow_private=True)
    assert reason is not None and "always refused" in reason


@pytest.mark.parametrize("address", PRIVATE)
def test_loopback_and_private_addresses_need_allow_private_networks(address: str) -> None:
    ip = ipaddress.ip_address(address)
    assert "allow_private_networks" in (refusal(ip, allow_private=False) or "")
    assert refusal(ip, allow_private=True) is None


@pytest.mark.parametrize("address", PUBLIC)
def test_public_addresses_are_allowed(address: str) -> None:
    assert refusal(ipaddress.ip_address(address), allow_private=False) is None


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file:///etc/passwd", "only http and https"),
        ("gopher://x.org/", "only http and https"),
        ("http:///feed", "no host"),
        ("http://10.0.0.1/feed", "private address"),
        ("http://[::1]:8080/feed", "loopback address"),
        ("http://[fd00:ec2::254]/", "always refused"),
    ],
)
def test_urls_are_checked_before_any_connection(url: str, message: str) -> None:
    with pytest.raises(BlockedAddressError, match=message):
        AddressGuard(allow_private=False).check_url(url)


async def test_a_name_is_judged_by_every_address_it_resolves_to() -> None:
    guard = AddressGuard(allow_private=False)
    with pytest.raises(BlockedAddressError, match=r"localhost: refused: .* loopback"):
        await guard.resolve("localhost", 80)
    assert "127.0.0.1" in await AddressGuard(allow_private=True).resolve("localhost", 80)


async def test_ip_literals_resolve_to_themselves() -> None:
    assert await AddressGuard(allow_private=True).resolve("127.0.0.1", 80) == ["127.0.0.1"]
