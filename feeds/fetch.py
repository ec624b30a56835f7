"""Fetch feeds over HTTP politely and defensively.

Polite: conditional GET (ETag / Last-Modified) so an unchanged feed costs the server a 304 and us no parsing, a
User-Agent that names the bot, a global limit on concurrent requests, and the server's own hints (Retry-After,
Cache-Control max-age) passed back to the scheduler. Defensive: a total deadline per fetch (httpx timeouts are per
read, so a server dripping one byte every few seconds would otherwise hold us forever), at most five redirects
followed by hand so every hop can be checked against private addresses, and a body cap counted on *decoded*
bytes: we decompress ourselves in bounded steps, so a 1.5 MB gzip body that inflates to 1.5 GB stops at the cap
without ever holding more than a chunk of it.

:meth:`Fetcher.fetch` never raises for network trouble: every outcome is a :class:`FetchResult`.
"""

from __future__ import annotations

import asyncio
import email.utils
import re
import ssl
import time
import zlib
from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit

import httpx

from feeds.netguard import BlockedAddressError, Resolver, check_host
from feeds.pinning import GUARD, pinned_transport

USER_AGENT = "newsalert/0.1 (Telegram news alert bot; +https://github.com/newsalert/newsalert)"
ACCEPT = "application/rss+xml, application/atom+xml, application/rdf+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
MAX_REDIRECTS = 5
LANE_SIZE = 4
_REDIRECT_CODES = frozenset({301, 302, 303, 307, 308})
_DECODE_STEP = 256 * 1024
# Bodies of redirects, 304s and errors are read (up to this much) so the connection can be reused; a longer one
# closes the connection instead.
_DRAIN_LIMIT = 64 * 1024
_MAX_AGE = re.compile(r"(?:^|,)\s*(?:s-maxage|max-age)\s*=\s*\"?(\d+)", re.IGNORECASE)


@dataclass
class FetchResult:
    """What one fetch produced. ``body`` is set only for a 200 whose body fit under the cap."""

    url: str
    status: int | None = None
    body: bytes | None = None
    etag: str | None = None
    last_modified: str | None = None
    content_type: str | None = None
    retry_after: float | None = None
    max_age: float | None = None
    error: str | None = None
    elapsed: float = 0.0

    @property
    def not_modified(self) -> bool:
        return self.status == 304 and self.error is None

    @property
    def ok(self) -> bool:
        return self.error is None


class _BodyTooLarge(Exception):
    pass


class _Decoder:
    """Content-Encoding decoder that never produces more than ``limit`` bytes, however well the input compresses."""

    def __init__(self, encoding: str, limit: int) -> None:
        self.limit = limit
        self.size = 0
        self.parts: list[bytes] = []
        encoding = encoding.strip().lower()
        if encoding in ("", "identity"):
            self._zlib: zlib._Decompress | None = None
        elif encoding in ("gzip", "x-gzip"):
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS | 16)
        elif encoding == "deflate":
            self._zlib = zlib.decompressobj(zlib.MAX_WBITS)
        else:
            raise ValueError(f"unsupported Content-Encoding {encoding!r}")
        self._gzip = encoding in ("gzip", "x-gzip")
        self._deflate_unknown = encoding == "deflate"

    def _emit(self, data: bytes) -> None:
        self.size += len(data)
        if self.size > self.limit:
            raise _BodyTooLarge
        self.parts.append(data)

    def feed(self, data: bytes) -> None:
        if self._zlib is None:
            self._emit(data)
            return
        if self._deflate_unknown:
            # "deflate" is zlib-wrapped by the spec but raw deflate from many servers; decide on the first bytes.
            self._deflate_unknown = False
            if data and (data[0] & 0x0F) != 8:
                self._zlib = zlib.decompressobj(-zlib.MAX_WBITS)
        while data:
            chunk = self._zlib.decompress(data, min(_DECODE_STEP, self.limit - self.size + 1))
            self._emit(chunk)
            data = self._zlib.unconsumed_tail
            if self._zlib.eof:
                rest = self._zlib.unused_data
                if self._gzip and rest.lstrip(b"\x00"):
                    self._zlib = zlib.decompressobj(zlib.MAX_WBITS | 16)  # concatenated gzip members
                    data = rest
                else:
                    break

    def result(self) -> bytes:
        if self._zlib is not None and not self._zlib.eof and self.size:
            self._emit(self._zlib.flush())
        return b"".join(self.parts)


def _retry_after(value: str | None, now: float) -> float | None:
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when is None:
        return None
    return max(0.0, when.timestamp() - now)


def _max_age(value: str | None) -> float | None:
    if not value or "no-store" in value.lower():
        return None
    match = _MAX_AGE.search(value)
    return float(match.group(1)) if match else None


def _describe(exc: BaseException) -> str:
    if isinstance(exc, httpx.TimeoutException | TimeoutError):
        return "timed out"
    if isinstance(exc, httpx.ConnectError):
        return f"cannot connect: {exc}" if str(exc) else "cannot connect"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"broken HTTP response: {exc}"
    if isinstance(exc, httpx.HTTPError):
        return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    return f"{type(exc).__name__}: {exc}"


class _Lane:
    """One httpx client and the slots it may use."""

    def __init__(self, client: httpx.AsyncClient, slots: int) -> None:
        self.client = client
        self.slots = asyncio.Semaphore(slots)


_ssl_context: ssl.SSLContext | None = None


def _shared_ssl_context() -> ssl.SSLContext:
    """One verifying SSL context per process: loading the CA bundle costs ~60 ms, every poll cycle would pay it."""
    global _ssl_context
    if _ssl_context is None:
        _ssl_context = httpx.create_ssl_context()
    return _ssl_context


async def _drain(response: httpx.Response) -> None:
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) <= _DRAIN_LIMIT:
        await response.aread()


class Fetcher:
    """HTTP clients shared by a poll cycle (connection reuse) with a global concurrency limit.

    Use as ``async with Fetcher(...) as fetcher: await fetcher.fetch(url, ...)``.

    The concurrency is split over several clients ("lanes") of at most :data:`LANE_SIZE` connections each:
    httpcore's pool re-scans every connection for every waiting request, so one client with 50 busy connections
    spent most of a poll cycle's CPU in that scan (measured on loopback: 1.5 ms of CPU a 304 in lanes of 10, 1.0 ms in lanes of 5 or fewer).
    """

    def __init__(
        self,
        *,
        timeout: float = 20.0,
        max_body_bytes: int = 5_000_000,
        max_concurrency: int = 50,
        user_agent: str = USER_AGENT,
        resolver: Resolver | None = None,
    ) -> None:
        self.timeout = float(timeout)
        self.max_body_bytes = int(max_body_bytes)
        lanes = max(1, -(-max_concurrency // LANE_SIZE))
        per_lane = [
            max_concurrency // lanes + (1 if i < max_concurrency % lanes else 0) for i in range(lanes)
        ]
        self._resolver = resolver
        self._lanes = [
            _Lane(
                httpx.AsyncClient(
                    transport=pinned_transport(
                        limits=httpx.Limits(max_connections=slots, max_keepalive_connections=slots),
                        ssl_context=_shared_ssl_context(),
                        resolver=resolver,
                    ),
                    timeout=httpx.Timeout(self.timeout),
                    follow_redirects=False,
                    headers={"User-Agent": user_agent, "Accept": ACCEPT, "Accept-Encoding": "gzip, deflate"},
                    trust_env=True,
                ),
                slots,
            )
            for slots in per_lane
        ]
        self._next_lane = 0

    async def __aenter__(self) -> Fetcher:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        for lane in self._lanes:
            await lane.client.aclose()

    def _lane(self) -> _Lane:
        """A lane with a free slot if there is one (round robin), else the next in turn to wait on."""
        count = len(self._lanes)
        for step in range(count):
            lane = self._lanes[(self._next_lane + step) % count]
            if not lane.slots.locked():
                self._next_lane = (self._next_lane + step + 1) % count
                return lane
        lane = self._lanes[self._next_lane]
        self._next_lane = (self._next_lane + 1) % count
        return lane

    async def fetch(
        self,
        url: str,
        *,
        etag: str | None = None,
        last_modified: str | None = None,
        allow_private: bool = True,
    ) -> FetchResult:
        """Fetch ``url`` once (waiting for a concurrency slot first); the deadline starts when the slot is ours."""
        lane = self._lane()
        async with lane.slots:
            started = time.monotonic()
            result = FetchResult(url=url)
            guard = GUARD.set(not allow_private)
            try:
                async with asyncio.timeout(self.timeout):
                    await self._fetch(lane.client, result, url, etag, last_modified, allow_private)
            except TimeoutError:
                result.error = f"timed out after {self.timeout:g} s"
                result.body = None
            except BlockedAddressError as exc:
                result.error = str(exc)
            except _BodyTooLarge:
                result.error = f"response body larger than {self.max_body_bytes} bytes"
                result.body = None
            except (httpx.HTTPError, OSError, ValueError, zlib.error) as exc:
                result.error = _describe(exc)
                result.body = None
            finally:
                GUARD.reset(guard)
            result.elapsed = time.monotonic() - started
            return result

    async def _fetch(
        self,
        client: httpx.AsyncClient,
        result: FetchResult,
        url: str,
        etag: str | None,
        last_modified: str | None,
        allow_private: bool,
    ) -> None:
        headers: dict[str, str] = {}
        if etag:
            headers["If-None-Match"] = etag
        if last_modified:
            headers["If-Modified-Since"] = last_modified
        for _hop in range(MAX_REDIRECTS + 1):
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                result.error = f"refused to fetch {url!r}: not an http(s) URL"
                return
            if not allow_private:
                await check_host(
                    parts.hostname, parts.port or (443 if parts.scheme == "https" else 80), self._resolver
                )
            response = await self._send(client, url, headers)
            try:
                result.url = url
                result.status = response.status_code
                location = response.headers.get("location")
                if response.status_code in _REDIRECT_CODES and location:
                    await _drain(response)
                    url = urljoin(url, location.strip())
                    continue
                await self._read(result, response)
                return
            finally:
                await response.aclose()
        result.error = f"too many redirects (more than {MAX_REDIRECTS})"

    @staticmethod
    async def _send(client: httpx.AsyncClient, url: str, headers: dict[str, str]) -> httpx.Response:
        """Send the GET, once more if the connection dropped before any answer.

        A kept-alive connection the server has just closed fails like that; browsers and curl retry such an
        idempotent request once, and so do we (a server that keeps hanging up still fails on the second try).
        """
        try:
            return await client.send(client.build_request("GET", url, headers=headers), stream=True)
        except (httpx.RemoteProtocolError, httpx.ReadError):
            return await client.send(client.build_request("GET", url, headers=headers), stream=True)

    async def _read(self, result: FetchResult, response: httpx.Response) -> None:
        now = time.time()
        status = response.status_code
        result.retry_after = _retry_after(response.headers.get("retry-after"), now)
        result.max_age = _max_age(response.headers.get("cache-control"))
        if status == 304:
            await _drain(response)
            return
        if status != 200:
            reason = response.reason_phrase or ""
            result.error = f"HTTP {status} {reason}".strip()
            await _drain(response)
            return
        declared = response.headers.get("content-length", "")
        encoding = response.headers.get("content-encoding", "")
        if (
            declared.isdigit()
            and int(declared) > self.max_body_bytes
            and encoding.lower() in ("", "identity")
        ):
            raise _BodyTooLarge
        decoder = _Decoder(encoding, self.max_body_bytes)
        async for chunk in response.aiter_raw():
            decoder.feed(chunk)
        result.body = decoder.result()
        result.etag = response.headers.get("etag")
        result.last_modified = response.headers.get("last-modified")
        result.content_type = response.headers.get("content-type")
