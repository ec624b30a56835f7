"""A small HTTP server in its own thread: ``/metrics`` (Prometheus text format) and ``/healthz``.

It runs beside the bot's event loop, never on it: a scrape that reads the database or a slow client cannot delay
an alert, and a busy event loop cannot make the endpoint hang (``/healthz`` then reports what it last knew, which
is itself stale and so unhealthy). The standard library's threading server is enough for a scraper every few
seconds and an orchestrator's probe.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

log = logging.getLogger(__name__)

# (healthy, the reason in one line): what /healthz answers, 200 "ok" or 503 with the reason.
HealthCheck = Callable[[], tuple[bool, str]]


class _Handler(BaseHTTPRequestHandler):
    server: _Server

    def do_GET(self) -> None:  # noqa: N802 - the name http.server calls
        path = self.path.split("?", 1)[0]
        if path == "/metrics":
            self._answer(200, generate_latest(self.server.registry), CONTENT_TYPE_LATEST)
        elif path == "/healthz":
            try:
                healthy, reason = self.server.health()
            except (
                Exception
            ) as error:  # a bug in the check must read as unhealthy, not as a dropped connection
                log.error("health check crashed: %r", error)
                healthy, reason = False, f"health check failed: {type(error).__name__}"
            body = "ok\n" if healthy else f"{reason}\n"
            self._answer(200 if healthy else 503, body.encode(), "text/plain; charset=utf-8")
        else:
            self._answer(404, b"not found: try /healthz or /metrics\n", "text/plain; charset=utf-8")

    def _answer(self, status: int, body: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002 - the signature http.server calls
        """Scrapes every few seconds would drown the log; errors still reach :meth:`log_error`."""

    def log_error(self, format: str, *args: object) -> None:  # noqa: A002
        log.info("metrics endpoint: " + format, *args)


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], registry: CollectorRegistry, health: HealthCheck) -> None:
        self.address_family = _family(address[0])
        super().__init__(address, _Handler)
        self.registry = registry
        self.health = health


def _family(host: str) -> int:
    return socket.AF_INET6 if ":" in host else socket.AF_INET


class ObserveServer:
    """``/metrics`` from ``registry`` and ``/healthz`` from ``health``, served on ``host:port`` from a thread."""

    def __init__(self, host: str, port: int, registry: CollectorRegistry, health: HealthCheck) -> None:
        self._server = _Server((host, port), registry, health)
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.2}, name="observe-http", daemon=True
        )

    @property
    def host(self) -> str:
        return str(self._server.server_address[0])

    @property
    def port(self) -> int:
        """The port it listens on (the one picked when the config said 0)."""
        return int(self._server.server_address[1])

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Stop answering and close the socket (waits at most for the request being answered)."""
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
