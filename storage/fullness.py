"""A full disk: recognise SQLite's "database or disk is full", and say so once per episode rather than once per
failed write.

When the disk fills, every write fails (each poll tick, each command) until space returns, and then they work
again with nothing to restart: the poll cycle and fan-out are crash-safe already (a feed whose results could not
be stored is polled again; an article not fanned out stays unmatched), and reads keep working. What must not
happen is a log line (or traceback) per attempt: :data:`FULL` logs one warning when writes start failing and one
line when they work again.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
import time

log = logging.getLogger(__name__)


def is_full(error: BaseException) -> bool:
    """Whether ``error`` is SQLite's SQLITE_FULL (no room on the disk, or the file's page limit)."""
    return (
        isinstance(error, sqlite3.OperationalError)
        and getattr(error, "sqlite_errorname", "") == "SQLITE_FULL"
    )


class Fullness:
    """Whether writes are failing for lack of space; shared by every connection of the process."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._since: float | None = None

    @property
    def full(self) -> bool:
        return self._since is not None

    def noticed(self, error: BaseException, where: str) -> None:
        """A write failed with SQLITE_FULL; the first one of an episode is logged."""
        with self._lock:
            if self._since is not None:
                return
            self._since = time.monotonic()
        log.warning(
            "storage is full (%s, first seen in %s): writes wait and are retried, read-only commands still work",
            error,
            where,
        )

    def cleared(self) -> None:
        """A write succeeded: if writes were failing, say they work again."""
        with self._lock:
            if self._since is None:
                return
            lasted, self._since = time.monotonic() - self._since, None
        log.warning("storage has room again after %.0f s: writes work", lasted)


FULL = Fullness()
