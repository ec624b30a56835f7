"""A real HTTP feed server on 127.0.0.1 for tests, end-to-end checks and benchmarks.

Runs stdlib ``ThreadingHTTPServer`` (HTTP/1.1, keep-alive) in a background thread. Routes are set at runtime, so a
test can change a feed while the bot polls it. Every route answers conditional GETs (ETag / Last-Modified → 304)
and can be gzipped, slowed down, cut off mid-body or made hostile (huge, gzip bomb, entity bomb). Every request is
logged with its headers, so tests can assert what the client sent.

Usage::

    with FeedServer() as server:
        server.set("/feed.xml", xml_bytes)
        url = server.url("/feed.xml")

For benchmarks, :meth:`FeedServer.mirror` serves N copies of a set of real feeds at ``/mirror/<i>.xml``;
:meth:`FeedServer.bump_mirror` makes every copy gain two new items. Run as a script
(``python -m tests.support.feed_server --mirror DIR --copies N``) to serve from a separate process; it prints
its base URL and takes ``POST /_control/bump`` to bump the mirror.
"""

from __future__ import annotations

import argparse
import email.utils
import functools
import gzip
import hashlib
import re
import sys
import threading
import time
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

GZIP_BOMB_INFLATED = 1_500_000_000
_BOMB_CHUNK = 1 << 20
_ITEM_START = re.compile(rb"<(?:[A-Za-z0-9_]+:)?(item|entry)[\s>]")


@dataclass
class Route:
    """How one path answers. ``body`` is served unless ``stream`` produces the body instead."""

    body: bytes = b""
    status: int = 200
    content_type: str = "application/rss+xml"
    headers: dict[str, str] = field(default_factory=dict)
    etag: str | None = None
    last_modified: str | None = None
    conditional: bool = True
    gzip_body: bytes | None = None
    delay: float = 0.0
    hang_after: int | None = None
    drop_requests: int = 0
    redirect_to: str | None = None
    stream: Iterator[bytes] | None = None
    stream_encoding: str | None = None


@dataclass(frozen=True)
class RequestRecord:
    method: str
    path: str
    headers: dict[str, str]
    at: float


def entity_bomb(entity_kb: int = 50, references: int = 20_000) -> bytes:
    """The feed that costs feedparser 6.0.14 ~38 s and ~3 GB: one big internal entity referenced many times."""
    payload = "A" * (entity_kb * 1024)
    refs = "&big;" * references
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY big "{payload}">\n]>\n'
        f'<rss version="2.0"><channel><title>bomb</title><item><title>t</title><description>{refs}</description>'
        f"<guid>bomb-1</guid></item></channel></rss>"
    ).encode()


_bomb_cache: dict[int, tuple[bytes, bytes, bytes, int]] = {}


def gzip_bomb_parts(inflated: int = GZIP_BOMB_INFLATED) -> tuple[bytes, bytes, bytes, int]:
    """(header, repeated block, trailer, repeat count) of a gzip stream of ``inflated`` zero bytes.

    Built from one compressed 1 MiB block repeated (a full flush resets the compressor, so each repetition is
    identical): about 1 KB per MiB, i.e. ~1.5 MB of gzip for 1.5 GB of output, without ever holding 1.5 GB.
    """
    if inflated not in _bomb_cache:
        compressor = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
        zero = bytes(_BOMB_CHUNK)
        block = compressor.compress(zero) + compressor.flush(zlib.Z_FULL_FLUSH)
        count = inflated // _BOMB_CHUNK
        crc = 0
        for _ in range(count):
            crc = zlib.crc32(zero, crc)
        tail = compressor.flush(zlib.Z_FINISH)
        trailer = (
            tail + crc.to_bytes(4, "little") + ((count * _BOMB_CHUNK) & 0xFFFFFFFF).to_bytes(4, "little")
        )
        header = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x02\xff"
        _bomb_cache[inflated] = (header, block, trailer, count)
    return _bomb_cache[inflated]


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, 6, mtime=0)


def _etag_for(body: bytes) -> str:
    return '"' + hashlib.blake2b(body, digest_size=8).hexdigest() + '"'


_WORD = re.compile(r"[^\W\d_]{4,}")


@functools.lru_cache(maxsize=64)
def _vocabulary(feed: bytes) -> tuple[str, ...]:
    """The distinct words of a feed's own text (its language, its topics): what its generated items are made of."""
    text = re.sub(r"<[^>]*>", " ", feed.decode("utf-8", "replace"))
    return tuple(sorted({word.lower() for word in _WORD.findall(text)}))


def _headline_words(vocabulary: tuple[str, ...], copy: int, generation: int, index: int, count: int) -> str:
    """Words that make copy ``copy``'s generated item its own story (10,000 feeds do not all break one headline)."""
    words = []
    seed = (copy * 1_000_003 + generation * 10_007 + index * 101) & 0xFFFFFFFF
    for _ in range(count):
        seed = (seed * 1_103_515_245 + 12_345) & 0x7FFFFFFF  # a tiny deterministic LCG: same copy, same words
        words.append(vocabulary[seed % len(vocabulary)])
    return " ".join(words)


def add_items(
    feed: bytes, generation: int, count: int = 2, tag: str = "bench", copy: int | None = None
) -> bytes:
    """``feed`` with ``count`` new items per generation (newest first) inserted before its first item/entry.

    Items are written in the feed's own element (``item`` for RSS/RDF, ``entry`` for Atom), so they parse as
    ordinary entries. Used by the benchmark's "changed" cycle and by tests that need a feed to grow. With ``copy``
    the items' titles and texts are made of the feed's own words drawn for that copy, so the copies of one feed
    report different stories, as different feeds do.
    """
    match = _ITEM_START.search(feed)
    if match is None:
        return feed
    atom = match.group(1) == b"entry"
    pieces = []
    for gen in range(generation, 0, -1):
        for k in range(count):
            ident = f"urn:{tag}:{gen}:{k}"
            if copy is None:
                title = f"Generated story {gen}-{k}: officials report new developments in the region"
                text = (
                    f"Officials said on day {gen} that talks on item {k} would continue next week. "
                    "Both sides described the meeting as constructive. Observers expect a statement soon."
                )
            else:
                words = _vocabulary(feed) or ("news",)
                title = _headline_words(words, copy, gen, k, 8).capitalize()
                lead = _headline_words(words, copy, gen, k + 50, 14).capitalize()
                text = f"{lead}. {_headline_words(words, copy, gen, k + 90, 12)}."
            when = email.utils.formatdate(1_700_000_000 + gen * 3600 + k, usegmt=True)
            if atom:
                pieces.append(
                    f'<entry><title>{title}</title><link href="https://example.org/{tag}/{gen}/{k}"/>'
                    f"<id>{ident}</id><updated>2023-11-14T22:13:20Z</updated><summary>{text}</summary></entry>\n"
                )
            else:
                pieces.append(
                    f'<item rdf:about="https://example.org/{tag}/{gen}/{k}" xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">'
                    f"<title>{title}</title><link>https://example.org/{tag}/{gen}/{k}</link>"
                    f"<guid>{ident}</guid><description>{text}</description><pubDate>{when}</pubDate></item>\n"
                )
    return feed[: match.start()] + "".join(pieces).encode() + feed[match.start() :]


_LINK_TEXT = re.compile(rb"(<link>\s*)([^<\s]+)(\s*</link>)")
_LINK_HREF = re.compile(rb'(<link\b[^>]*?href=")([^"]+)(")')


def copy_links(feed: bytes, copy: int) -> bytes:
    """``feed`` with every item link made unique to copy ``copy`` (``?copy=N`` added).

    Copies of one feed stand for different feeds in the benchmark; with identical links all 10,000 copies would
    be one story each, a grouping worst case no real set of feeds produces.
    """

    def tag(match: re.Match[bytes]) -> bytes:
        url = match.group(2)
        joiner = b"&amp;" if b"?" in url else b"?"
        return match.group(1) + url + joiner + b"copy=" + str(copy).encode() + match.group(3)

    return _LINK_HREF.sub(tag, _LINK_TEXT.sub(tag, feed))


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - stdlib signature
        return

    def do_HEAD(self) -> None:  # noqa: N802 - stdlib naming
        self.do_GET()

    def do_POST(self) -> None:  # noqa: N802
        owner = self.server.owner
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        if self.path == "/_control/bump":
            owner.bump_mirror()
            self._send_simple(200, f"generation {owner.mirror_generation}\n".encode())
        else:
            self._send_simple(404, b"not found\n")

    def do_GET(self) -> None:  # noqa: N802
        owner = self.server.owner
        owner._log(self)
        path = self.path.split("?", 1)[0]
        route = owner._route(path)
        if route is None:
            self._send_simple(404, b"not found\n")
            return
        if route.drop_requests > 0:
            with owner._lock:
                route.drop_requests -= 1
            self.close_connection = True  # hang up without a word, like a server closing a kept-alive socket
            return
        if route.delay and owner._stopping.wait(route.delay):
            return
        if route.redirect_to is not None:
            self.send_response(route.status)
            self.send_header("Location", route.redirect_to)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        if route.stream is not None:
            self._send_stream(route)
            return
        if route.conditional and route.status == 200 and self._not_modified(route):
            self.send_response(304)
            self._validators(route)
            for key, value in route.headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        accepts_gzip = "gzip" in self.headers.get("Accept-Encoding", "")
        encoded = route.gzip_body if accepts_gzip else None
        payload = encoded if encoded is not None else route.body
        self.send_response(route.status)
        self.send_header("Content-Type", route.content_type)
        if encoded is not None:
            self.send_header("Content-Encoding", "gzip")
        if route.status == 200:
            self._validators(route)
        for key, value in route.headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        if self.command == "HEAD":
            return
        if route.hang_after is not None:
            self.wfile.write(payload[: route.hang_after])
            self.wfile.flush()
            owner._stopping.wait(3600)
            self.close_connection = True
            return
        self.wfile.write(payload)

    def _validators(self, route: Route) -> None:
        if route.etag:
            self.send_header("ETag", route.etag)
        if route.last_modified:
            self.send_header("Last-Modified", route.last_modified)

    def _not_modified(self, route: Route) -> bool:
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            return route.etag is not None and route.etag in [t.strip() for t in if_none_match.split(",")]
        since = self.headers.get("If-Modified-Since")
        if since and route.last_modified:
            try:
                return email.utils.parsedate_to_datetime(since) >= email.utils.parsedate_to_datetime(
                    route.last_modified
                )
            except (TypeError, ValueError):
                return False
        return False

    def _send_stream(self, route: Route) -> None:
        self.send_response(route.status)
        self.send_header("Content-Type", route.content_type)
        if route.stream_encoding:
            self.send_header("Content-Encoding", route.stream_encoding)
        self.send_header("Connection", "close")
        self.end_headers()
        self.close_connection = True
        try:
            for chunk in route.stream or ():
                if self.server.owner._stopping.is_set():
                    return
                self.wfile.write(chunk)
        except (BrokenPipeError, ConnectionResetError):
            return

    def _send_simple(self, status: int, body: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 1024
    owner: FeedServer

    def handle_error(self, request: object, client_address: object) -> None:
        # Clients hanging up mid-answer is what hostile-feed tests do on purpose (body cap, timeouts).
        if not isinstance(sys.exc_info()[1], ConnectionError):
            super().handle_error(request, client_address)  # type: ignore[arg-type]


class FeedServer:
    """A loopback HTTP server whose routes tests set at runtime. Thread-safe."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._lock = threading.Lock()
        self._routes: dict[str, Route] = {}
        self._route_factories: dict[str, tuple[Callable[[], Iterator[bytes]], str | None]] = {}
        self._requests: list[RequestRecord] = []
        self._stopping = threading.Event()
        self._server = _Server((host, port), _Handler)
        self._server.owner = self
        self._thread: threading.Thread | None = None
        self._mirror: list[bytes] = []
        self._mirror_cache: dict[tuple[int, int], Route] = {}
        self._mirror_gzip = False
        self.mirror_generation = 0
        self.log_requests = True

    # -- lifecycle -------------------------------------------------------------------------------------------
    def start(self) -> FeedServer:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="feed-server", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def __enter__(self) -> FeedServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    # -- routes ----------------------------------------------------------------------------------------------
    def set(
        self,
        path: str,
        body: bytes | str,
        *,
        content_type: str = "application/rss+xml",
        status: int = 200,
        headers: dict[str, str] | None = None,
        etag: bool = True,
        last_modified: bool = True,
        gzip: bool = False,
        delay: float = 0.0,
        hang_after: int | None = None,
    ) -> str:
        """Serve ``body`` at ``path`` (replacing what was there) and return its URL.

        The ETag is derived from the body, and Last-Modified is the time of this call, so changing the body
        makes both change.
        """
        data = body.encode() if isinstance(body, str) else body
        route = Route(
            body=data,
            status=status,
            content_type=content_type,
            headers=dict(headers or {}),
            etag=_etag_for(data) if etag else None,
            last_modified=email.utils.formatdate(time.time(), usegmt=True) if last_modified else None,
            gzip_body=_gzip(data) if gzip else None,
            delay=delay,
            hang_after=hang_after,
        )
        with self._lock:
            self._routes[path] = route
        return self.url(path)

    def set_file(self, path: str, file: str | Path, **options: object) -> str:
        return self.set(path, Path(file).read_bytes(), **options)  # type: ignore[arg-type]

    def serve_directory(
        self, prefix: str, directory: str | Path, pattern: str = "*.xml", **options: object
    ) -> dict[str, str]:
        """Serve every matching file of ``directory`` at ``prefix/<name>``; returns {file name: URL}."""
        return {
            file.name: self.set_file(f"{prefix.rstrip('/')}/{file.name}", file, **options)
            for file in sorted(Path(directory).glob(pattern))
        }

    def redirect(self, path: str, to: str, status: int = 302) -> str:
        """``path`` answers ``status`` with ``Location: to`` (a path or absolute URL); a loop is two redirects."""
        with self._lock:
            self._routes[path] = Route(status=status, redirect_to=to)
        return self.url(path)

    def drop(self, path: str, times: int) -> None:
        """The next ``times`` requests for ``path`` (already set) are hung up on without an answer."""
        with self._lock:
            self._routes[path].drop_requests = times

    def error(self, path: str, status: int = 500, headers: dict[str, str] | None = None) -> str:
        """``path`` answers ``status`` (e.g. 500, or 429 with ``{"Retry-After": "120"}``)."""
        return self.set(path, f"error {status}\n", status=status, content_type="text/plain", headers=headers)

    def huge(self, path: str, size: int, chunk: int = 1 << 16) -> str:
        """``path`` streams ``size`` bytes of a never-ending RSS description, with no Content-Length."""

        def body() -> Iterator[bytes]:
            head = b'<?xml version="1.0"?><rss version="2.0"><channel><title>huge</title><item><description>'
            yield head
            sent = len(head)
            block = b"x" * chunk
            while sent < size:
                yield block
                sent += len(block)

        self._set_stream_factory(path, body, encoding=None)
        return self.url(path)

    def gzip_bomb(self, path: str, inflated: int = GZIP_BOMB_INFLATED) -> str:
        """``path`` answers a ~1 KB-per-MiB gzip body that inflates to ``inflated`` zero bytes."""

        def body() -> Iterator[bytes]:
            header, block, trailer, count = gzip_bomb_parts(inflated)
            yield header
            for _ in range(count):
                yield block
            yield trailer

        self._set_stream_factory(path, body, encoding="gzip")
        return self.url(path)

    def _set_stream_factory(
        self, path: str, factory: Callable[[], Iterator[bytes]], encoding: str | None
    ) -> None:
        with self._lock:
            self._route_factories[path] = (factory, encoding)
            self._routes.pop(path, None)

    def remove(self, path: str) -> None:
        with self._lock:
            self._routes.pop(path, None)
            self._route_factories.pop(path, None)

    def _route(self, path: str) -> Route | None:
        with self._lock:
            route = self._routes.get(path)
            factory = self._route_factories.get(path)
        if route is not None:
            return route
        if factory is not None:
            make, encoding = factory
            return Route(stream=make(), stream_encoding=encoding, content_type="application/rss+xml")
        if path.startswith("/mirror/") and self._mirror:
            return self._mirror_route(path)
        return None

    # -- benchmark mirror ------------------------------------------------------------------------------------
    def mirror(self, feeds: list[bytes], *, gzip: bool = False) -> None:
        """Serve ``/mirror/<i>.xml`` for any i as copy i of ``feeds[i % len(feeds)]``."""
        with self._lock:
            self._mirror = list(feeds)
            self._mirror_cache.clear()
            self._mirror_gzip = gzip
            self.mirror_generation = 0

    def mirror_url(self, index: int) -> str:
        return self.url(f"/mirror/{index}.xml")

    def bump_mirror(self) -> None:
        """Every mirrored feed gains two new items (and a new ETag / Last-Modified)."""
        with self._lock:
            self.mirror_generation += 1

    def _mirror_route(self, path: str) -> Route | None:
        name = path[len("/mirror/") :].removesuffix(".xml")
        if not name.isdigit():
            return None
        copy = int(name)
        base = copy % len(self._mirror)
        generation = self.mirror_generation
        key = (base, generation)
        template = self._mirror_cache.get(key)
        if template is None:
            template = Route(
                body=self._mirror[base],
                etag=f'"m{base}-g{generation}"',
                last_modified=email.utils.formatdate(1_700_000_000 + generation * 3600, usegmt=True),
            )
            with self._lock:
                self._mirror_cache[key] = template
        body = copy_links(add_items(template.body, generation, copy=copy), copy)
        return Route(
            body=body,
            etag=template.etag,
            last_modified=template.last_modified,
            gzip_body=_gzip(body) if self._mirror_gzip else None,
        )

    # -- request log -----------------------------------------------------------------------------------------
    def _log(self, handler: BaseHTTPRequestHandler) -> None:
        if not self.log_requests:
            return
        record = RequestRecord(handler.command, handler.path, dict(handler.headers.items()), time.time())
        with self._lock:
            self._requests.append(record)

    def requests(self, path: str | None = None) -> list[RequestRecord]:
        """Requests received so far (for ``path`` only, if given), oldest first."""
        with self._lock:
            records = list(self._requests)
        return [r for r in records if path is None or r.path == path]

    def clear_requests(self) -> None:
        with self._lock:
            self._requests.clear()


def main(argv: list[str] | None = None) -> int:
    """Serve a mirror of real feeds from its own process (so a benchmark's client has the other cores)."""
    parser = argparse.ArgumentParser(description="Serve N copies of real feeds on 127.0.0.1 for benchmarks.")
    parser.add_argument("--mirror", required=True, help="directory of feed XML files")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--gzip", action="store_true", help="gzip every answer (as most news sites do)")
    args = parser.parse_args(argv)
    feeds = [file.read_bytes() for file in sorted(Path(args.mirror).glob("*.xml"))]
    if not feeds:
        print(f"no *.xml files in {args.mirror}", file=sys.stderr)
        return 1
    server = FeedServer(port=args.port)
    server.log_requests = False
    server.mirror(feeds, gzip=args.gzip)
    print(server.base_url, flush=True)
    try:
        server._server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server._server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
