"""Refuse to fetch from loopback, private, link-local and other non-public addresses.

Feeds added from Telegram are untrusted: without this check anyone could make the bot request
``http://169.254.169.254/`` or a service on the operator's LAN and learn something from the error it reports.
Every address a host name resolves to is checked (an attacker controls their own DNS and may return several), and
the fetcher checks again after every redirect.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from collections.abc import Awaitable, Callable


class BlockedAddressError(Exception):
    """The URL points at an address we refuse to contact; the message names the address."""


def is_public_address(address: str) -> bool:
    """True if ``address`` (an IP literal) is globally routable unicast."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return False
    if isinstance(ip, ipaddress.IPv6Address):
        # ::ffff:127.0.0.1 and 64:ff9b::/96 (NAT64) carry an IPv4 address that is what really gets contacted.
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif ip in ipaddress.ip_network("64:ff9b::/96"):
            ip = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    return ip.is_global and not ip.is_multicast


Resolver = Callable[[str, int], Awaitable[list[str]]]
"""``resolver(host, port)`` returns the IP literals ``host`` resolves to (tests inject one; no real DNS there)."""


async def system_resolver(host: str, port: int) -> list[str]:
    """The operating system's answer for ``host`` (getaddrinfo, in the loop's thread pool)."""
    loop = asyncio.get_running_loop()
    try:
        infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except OSError as exc:
        raise BlockedAddressError(f"cannot resolve {host}: {exc.strerror or exc}") from None
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


async def resolve_addresses(host: str, port: int, resolver: Resolver | None = None) -> list[str]:
    """IP literals for ``host``: itself if it is one, else what ``resolver`` (default: the system's) answers."""
    host = host.strip("[]")
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
        return [host]
    except ValueError:
        return await (resolver or system_resolver)(host, port)


def validate_addresses(host: str, addresses: list[str]) -> None:
    """Raise :class:`BlockedAddressError` unless there are addresses and every one is public."""
    if not addresses:
        raise BlockedAddressError(f"cannot resolve {host}")
    for address in addresses:
        if not is_public_address(address):
            raise BlockedAddressError(f"refused: {host} resolves to non-public address {address}")


async def check_host(host: str, port: int, resolver: Resolver | None = None) -> None:
    """Resolve ``host`` and raise :class:`BlockedAddressError` unless every address it has is public.

    This early check gives a clear answer before any request is built; the connection itself is pinned to a
    checked address by :class:`feeds.pinning.PinnedBackend`, which is what stops DNS rebinding.
    """
    validate_addresses(host.strip("[]"), await resolve_addresses(host, port, resolver))
