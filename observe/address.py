"""``host:port`` as the config writes it, read once for the config check and the server alike.

Kept apart from :mod:`observe.http` so that reading the config never imports the HTTP server or the metrics
library (``newsalert status`` runs as a health check and should start fast).
"""

from __future__ import annotations


def parse_address(value: str) -> tuple[str, int]:
    """``"127.0.0.1:9464"`` → ``("127.0.0.1", 9464)``; ``"[::1]:9464"`` for IPv6. Port 0 picks a free port.

    Raises ValueError with a short reason for anything else, so a config loader can name its key.
    """
    host, sep, port_text = value.rpartition(":")
    if not sep or not host:
        raise ValueError(f'expected "host:port", got {value!r}')
    if host.startswith("[") and host.endswith("]"):
        host = host[1:-1]
    elif ":" in host:
        raise ValueError(f'an IPv6 address goes in brackets, e.g. "[::1]:9464", got {value!r}')
    if not host or any(c.isspace() for c in host):
        raise ValueError(f'expected "host:port", got {value!r}')
    if not port_text.isdigit() or not 0 <= int(port_text) <= 65535:
        raise ValueError(f"the port must be a number from 0 to 65535, got {port_text!r}")
    return host, int(port_text)
