"""Connect to the address that was checked, not to whatever DNS answers the second time.

:func:`feeds.netguard.check_host` resolves a name and checks the answers; httpx used to resolve it again when it
opened the connection. An attacker's DNS server can answer a public address to the first lookup and 127.0.0.1
to the second (DNS rebinding), and the guard would wave the request through. :class:`PinnedBackend` is an httpcore
network backend that does the lookup itself at connect time, checks every answer when the guard is on, and opens
the TCP connection to the first checked address. httpcore still sends ``Host`` and the TLS SNI/certificate check
from the URL's host name (it passes the origin host to ``start_tls``), so virtual hosts and HTTPS keep working.

Whether the guard is on is a per-request choice (``Fetcher.fetch(allow_private=...)``), carried to the connect
call through :data:`GUARD` because httpcore gives the backend no other way to see it.
"""

from __future__ import annotations

import contextvars
import ssl
import typing

import httpcore
import httpx
from httpcore._backends.auto import AutoBackend

from feeds.netguard import BlockedAddressError, Resolver, resolve_addresses, validate_addresses

GUARD: contextvars.ContextVar[bool] = contextvars.ContextVar("newsalert_private_address_guard", default=False)


class PinnedBackend(httpcore.AsyncNetworkBackend):
    """httpcore backend that resolves with ``resolver`` and connects to the checked IP literal."""

    def __init__(self, resolver: Resolver | None = None) -> None:
        self._resolver = resolver
        self._inner = AutoBackend()

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        addresses = await resolve_addresses(host, port, self._resolver)
        if GUARD.get():
            validate_addresses(host, addresses)
        if not addresses:
            raise BlockedAddressError(f"cannot resolve {host}")
        return await self._inner.connect_tcp(
            addresses[0], port, timeout=timeout, local_address=local_address, socket_options=socket_options
        )

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: typing.Iterable[httpcore.SOCKET_OPTION] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return await self._inner.connect_unix_socket(path, timeout=timeout, socket_options=socket_options)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


def pinned_transport(
    *, limits: httpx.Limits, ssl_context: ssl.SSLContext, resolver: Resolver | None = None
) -> httpx.AsyncHTTPTransport:
    """An httpx transport whose connections go through :class:`PinnedBackend`.

    httpx 0.28 takes no network backend, so the transport's pool is rebuilt with one (the same settings httpx
    would use). Requests sent through an environment proxy use httpx's own proxy transport instead: the proxy
    resolves the name then, and the early :func:`~feeds.netguard.check_host` is the only guard.
    """
    transport = httpx.AsyncHTTPTransport(verify=ssl_context, limits=limits)
    transport._pool = httpcore.AsyncConnectionPool(
        ssl_context=ssl_context,
        max_connections=limits.max_connections,
        max_keepalive_connections=limits.max_keepalive_connections,
        keepalive_expiry=limits.keepalive_expiry,
        network_backend=PinnedBackend(resolver),
    )
    return transport
