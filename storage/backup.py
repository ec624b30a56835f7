"""Copy the live database to a file with SQLite's online backup API, while the bot keeps running.

Copying the file (and its -wal) with ``cp`` while the bot writes can give a torn, unusable copy. The backup API
copies pages in steps and restarts by itself when another connection writes between steps, so the copy is a
consistent snapshot. The copy goes to ``PATH.partial`` first and is renamed at the end: a backup stopped halfway
never leaves a file that looks finished.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

# Pages per step: small enough that a writer in the bot waits at most a few milliseconds for the read lock.
_PAGES_PER_STEP = 256


def backup_database(source: str | Path, destination: str | Path) -> int:
    """Write a consistent copy of ``source`` to ``destination`` and return its size in bytes.

    Raises :class:`sqlite3.Error` or :class:`OSError` when either file cannot be used.
    """
    source, destination = Path(source), Path(destination)
    if not source.exists():
        raise FileNotFoundError(f"no database at {source}")
    partial = destination.with_name(destination.name + ".partial")
    partial.unlink(missing_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    try:
        dst = sqlite3.connect(str(partial))
        try:
            src.backup(dst, pages=_PAGES_PER_STEP, sleep=0.005)
            # A standalone copy: no -wal beside it is needed to read it.
            dst.execute("PRAGMA journal_mode=DELETE")
        finally:
            dst.close()
    finally:
        src.close()
    os.replace(partial, destination)
    return destination.stat().st_size
