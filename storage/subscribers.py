"""Chats that talk to the bot: private users and groups, with their active and paused flags.

A subscriber row is created the first time a chat uses the bot (``/start`` or any command) so that every later
table can reference it. ``active`` is the bot's knowledge of whether Telegram will accept messages for the chat
(a block or a kick clears it; ``/start`` or being re-added sets it); ``paused`` is the user's own choice.
Never imports ``telegram``.
"""

from __future__ import annotations

import time
from typing import Any

import sqlite_utils


def get_subscriber(db: sqlite_utils.Database, chat_id: int) -> dict[str, Any] | None:
    """The subscriber row for ``chat_id``, or None if the chat never used the bot (or asked to be forgotten)."""
    rows = list(db.query("SELECT * FROM subscribers WHERE chat_id = ?", [chat_id]))
    return rows[0] if rows else None


def upsert_subscriber(
    db: sqlite_utils.Database,
    chat_id: int,
    *,
    chat_type: str = "private",
    title: str | None = None,
    now: float | None = None,
) -> tuple[dict[str, Any], bool]:
    """Create the row for a chat, or refresh its type and title; returns ``(row, created)``.

    The active and paused flags of an existing row are left alone: only an explicit ``/start`` (see
    :func:`set_active`) undoes a block, so a stray command from a chat the bot cannot write to changes nothing.
    """
    now = time.time() if now is None else now
    with db.conn:
        cursor = db.execute(
            "INSERT OR IGNORE INTO subscribers (chat_id, chat_type, title, created_at) VALUES (?, ?, ?, ?)",
            [chat_id, chat_type, title, now],
        )
        created = cursor.rowcount == 1
        if not created:
            db.execute(
                "UPDATE subscribers SET chat_type = ?, title = ? WHERE chat_id = ? "
                "AND (chat_type IS NOT ? OR title IS NOT ?)",
                [chat_type, title, chat_id, chat_type, title],
            )
    row = get_subscriber(db, chat_id)
    assert row is not None
    return row, created


def set_active(db: sqlite_utils.Database, chat_id: int, active: bool) -> bool:
    """Mark a chat reachable or not; returns True if the flag changed (so callers can act only on a change)."""
    with db.conn:
        cursor = db.execute(
            "UPDATE subscribers SET active = ? WHERE chat_id = ? AND active != ?",
            [int(active), chat_id, int(active)],
        )
    return cursor.rowcount == 1


def set_paused(db: sqlite_utils.Database, chat_id: int, paused: bool) -> bool:
    """Pause or resume a chat's alerts; returns True if the flag changed."""
    with db.conn:
        cursor = db.execute(
            "UPDATE subscribers SET paused = ? WHERE chat_id = ? AND paused != ?",
            [int(paused), chat_id, int(paused)],
        )
    return cursor.rowcount == 1


def forget_subscriber(db: sqlite_utils.Database, chat_id: int) -> list[int]:
    """Delete a chat and its subscriptions (``/stop``); returns the removed subscription ids for the matcher.

    Alerts not yet sent are dropped too, so "forget me" is not followed by one last message; alerts already sent
    stay in the outbox because they are what keeps a story from being sent twice if the chat comes back.
    """
    with db.conn:
        ids = [row[0] for row in db.execute("SELECT id FROM subscriptions WHERE chat_id = ?", [chat_id])]
        db.execute("DELETE FROM subscriptions WHERE chat_id = ?", [chat_id])
        db.execute("DELETE FROM subscribers WHERE chat_id = ?", [chat_id])
        db.execute(
            "UPDATE deliveries SET state = 'dropped', last_error = 'subscriber left' "
            "WHERE chat_id = ? AND state = 'pending'",
            [chat_id],
        )
    return ids


def migrate_subscriber(db: sqlite_utils.Database, old_chat_id: int, new_chat_id: int) -> list[int] | None:
    """Move a group that became a supergroup to its new chat id, keeping its settings and subscriptions.

    Subscription ids do not change, so a live matcher needs no update except for the returned ids: queries the new
    chat already had, whose old duplicates were deleted. Returns None if the old chat is unknown, so a second call
    (Telegram reports a migration in both chats) does nothing.
    """
    with db.conn:
        old = db.execute("SELECT 1 FROM subscribers WHERE chat_id = ?", [old_chat_id]).fetchone()
        if old is None:
            return None
        db.execute(
            """INSERT OR IGNORE INTO subscribers
               (chat_id, chat_type, title, active, created_at, paused, muted_until, timezone, digest,
                digest_time, quiet_start, quiet_end)
               SELECT ?, 'supergroup', title, active, created_at, paused, muted_until, timezone, digest,
                      digest_time, quiet_start, quiet_end
               FROM subscribers WHERE chat_id = ?""",
            [new_chat_id, old_chat_id],
        )
        # A query the new chat already has stays with the new chat; the old duplicate goes with the old row.
        db.execute(
            "UPDATE OR IGNORE subscriptions SET chat_id = ? WHERE chat_id = ?", [new_chat_id, old_chat_id]
        )
        dropped = [
            row[0] for row in db.execute("SELECT id FROM subscriptions WHERE chat_id = ?", [old_chat_id])
        ]
        db.execute("DELETE FROM subscriptions WHERE chat_id = ?", [old_chat_id])
        db.execute("DELETE FROM subscribers WHERE chat_id = ?", [old_chat_id])
    return dropped
