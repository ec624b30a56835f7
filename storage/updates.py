"""Which Telegram updates were already acted on, so a command redelivered after a crash is not done twice.

Telegram may hand out an update again when the bot stopped before confirming it (PTB confirms with the next
``getUpdates``). Recording the update id in the same database as the command's effects makes that harmless. Ids
are kept for a day: Telegram only redelivers recent updates, and after a week of silence it may start its ids anew.
"""

from __future__ import annotations

import time

import sqlite_utils

KEEP_SECONDS = 86_400


def first_time(db: sqlite_utils.Database, update_id: int, *, now: float | None = None) -> bool:
    """Record ``update_id``; True if it had not been recorded before (so the update should be handled)."""
    now = time.time() if now is None else now
    with db.conn:
        inserted = db.conn.execute(
            "INSERT OR IGNORE INTO handled_updates (update_id, handled_at) VALUES (?, ?)", (update_id, now)
        ).rowcount
        if inserted and update_id % 1000 == 0:
            # Prune now and then rather than on every update.
            db.conn.execute("DELETE FROM handled_updates WHERE handled_at < ?", (now - KEEP_SECONDS,))
    return bool(inserted)


def last_update_id(db: sqlite_utils.Database) -> int:
    """The highest update id recorded (0 if none): a source of made-up updates (``newsalert chat``) continues
    past it, so its first updates after a restart are not mistaken for repeats."""
    row = db.execute("SELECT max(update_id) FROM handled_updates").fetchone()
    return int(row[0] or 0)
