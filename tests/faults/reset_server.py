"""A loopback HTTP server that cuts every connection with a TCP reset, for the feed fault suite.

The feed server in ``tests/support`` can hang, redirect, stream and bomb, but never resets: a reset needs the socket
closed with ``SO_LINGER`` 0 at a chosen point. Here each connection reads the request, sends the status line,
headers and the first bytes of a feed (``Content-Length`` promising more), then resets.
"""

from __future__ import annotations

import contextlib
import socket
import struct
import threading

_PARTIAL = (
    b"HTTP/1.1 200 OK\r\nContent-Type: application/rss+xml\r\nContent-Length: 5000\r\n\r\n"
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>Cut</title><item><title>Half'
)


class ResetServer:
    """``with ResetServer() as server: server.url("/feed.xml")`` — every request ends in a reset mid-body."""

    def __init__(self) -> None:
        self._sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self._sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self._sock.bind(("127.0.0.1", 0))
        self._sock.listen(64)
        self._sock.settimeout(0.1)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="reset-server", daemon=True)
        self.requests = 0

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self._sock.getsockname()[1]}{path}"

    def __enter__(self) -> ResetServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with conn:
                conn.settimeout(2)
                with contextlib.suppress(OSError):
                    request = b""
                    while b"\r\n\r\n" not in request:
                        chunk = conn.recv(4096)
                        if not chunk:
                            break
                        request += chunk
                    self.requests += 1
                    conn.sendall(_PARTIAL)
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
