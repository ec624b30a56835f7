"""Copy the live database to a file while the bot keeps writing to it.

``cp`` of a WAL database while the bot writes can give a torn copy. SQLite's online backup API in small steps
restarts whenever another connection writes between steps, so against a busy bot it may never finish. ``VACUUM
INTO`` instead reads the whole database inside one read transaction: in WAL mode that never blocks the bot's
writers, and the copy is the consistent snapshot the transaction saw (also compacted). It is written to
``PATH.partial`` and renamed at the end, so a copy stopped halfway never looks finished.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path


def backup_database(source: str | Path, destination: str | Path, *, replace: bool = False) -> int:
    """Write a consistent copy of ``source`` to ``destination``; returns its size in bytes.

    Refuses (:class:`FileExistsError`) to overwrite ``destination`` unless ``replace``. Raises
    :class:`sqlite3.Error` or :class:`OSError` when either file cannot be used.
    """
    source, destination = Path(source), Path(destination)
    if not source.is_file():
        raise FileNotFoundError(f"no database at {source}")
    if destination.exists() and not replace:
        raise FileExistsError(f"{destination} already exists (use --force to replace it)")
    if not destination.parent.is_dir():
        raise FileNotFoundError(f"no directory {destination.parent}")
    partial = destination.with_name(destination.name + ".partial")
    partial.unlink(missing_ok=True)
    # Read-only: a backup can never change the live database, even if the bot is not running.
    conn = sqlite3.connect(f"{source.resolve().as_uri()}?mode=ro", uri=True, timeout=30)
    try:
        conn.execute("PRAGMA busy_timeout=30000")
        conn.execute("VACUUM INTO ?", (str(partial),))
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    finally:
        conn.close()
    os.replace(partial, destination)
    return destination.stat().st_size
