"""Chats that talk to the bot: private users and groups, with their active and paused flags.

A subscriber row is created the first time a chat uses the bot (``/start`` or any command) so that every later
table can reference it. ``active`` is the bot's knowledge of whether Telegram will accept messages for the chat
(a block or a kick clears it, see also ``storage.outbox.deactivate_chat``; ``/start`` or being re-added
sets it); ``paused`` is the user's own choice.
Never imports ``telegram``.
"""

from __future__ import annotations

import time
from typing import Any

import sqlite_utils

from storage import outbox


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
            # No title (a private chat, a channel acted on from one) keeps the one stored.
            db.execute(
                "UPDATE subscribers SET chat_type = ?, title = coalesce(?, title) WHERE chat_id = ? "
                "AND (chat_type IS NOT ? OR title IS NOT coalesce(?, title))",
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


SETTINGS = frozenset(
    {
        "muted_until",
        "timezone",
        "digest",
        "digest_time",
        "quiet_start",
        "quiet_end",
        "link_preview",  # 1: text alerts show the article's link preview
        "photos",  # 1: an article with an image is alerted as a photo
        "silent",  # 1: alerts and digests arrive without a notification sound
    }
)


def update_settings(db: sqlite_utils.Database, chat_id: int, **values: Any) -> dict[str, Any] | None:
    """Set delivery settings (``SETTINGS`` columns only; values already validated); returns the updated row."""
    unknown = set(values) - SETTINGS
    if unknown:
        raise ValueError(f"not a subscriber setting: {', '.join(sorted(unknown))}")
    if values:
        assignments = ", ".join(f"{name} = ?" for name in values)
        with db.conn:
            db.execute(f"UPDATE subscribers SET {assignments} WHERE chat_id = ?", [*values.values(), chat_id])
    return get_subscriber(db, chat_id)


def chat_language(db: sqlite_utils.Database, chat_id: int, offered: str) -> tuple[str, bool]:
    """The language to answer ``chat_id`` in, and whether it is stored.

    A chat with no language yet takes ``offered`` (its user's Telegram language) and keeps it: the first contact
    decides, ``/language`` changes it. A chat with no row yet gets ``offered`` without storing it (False): the
    row is made by the command, and the language stored after it (see ``handlers.language``).
    """
    row = db.execute("SELECT language FROM subscribers WHERE chat_id = ?", [chat_id]).fetchone()
    if row is None:
        return offered, False
    if row[0]:
        return row[0], True
    with db.conn:
        db.execute(
            "UPDATE subscribers SET language = ? WHERE chat_id = ? AND language IS NULL", [offered, chat_id]
        )
    return offered, True


def set_language(
    db: sqlite_utils.Database,
    chat_id: int,
    language: str,
    *,
    chat_type: str = "private",
    title: str | None = None,
) -> bool:
    """Speak ``language`` to the chat from now on (``/language de``); True if it changed."""
    upsert_subscriber(db, chat_id, chat_type=chat_type, title=title)
    with db.conn:
        cursor = db.execute(
            "UPDATE subscribers SET language = ? WHERE chat_id = ? AND language IS NOT ?",
            [language, chat_id, language],
        )
    return cursor.rowcount == 1


def forget_subscriber(db: sqlite_utils.Database, chat_id: int) -> list[int]:
    """Delete a chat and its subscriptions (``/stop``); returns the removed subscription ids for the matcher.

    Alerts not yet sent are dropped too, so "forget me" is not followed by one last message; alerts already sent
    stay in the outbox because they are what keeps a story from being sent twice if the chat comes back.
    """
    outbox.drop_pending_for_chat(db, chat_id, "subscriber left")
    with db.conn:
        ids = [row[0] for row in db.execute("SELECT id FROM subscriptions WHERE chat_id = ?", [chat_id])]
        db.execute("DELETE FROM subscriptions WHERE chat_id = ?", [chat_id])
        db.execute("DELETE FROM subscribers WHERE chat_id = ?", [chat_id])
    return ids


def counts(db: sqlite_utils.Database) -> dict[str, int]:
    """Subscribers by state and the number of subscriptions, for the operator's ``/stats``."""
    row = db.execute(
        """SELECT count(*), coalesce(sum(active), 0), coalesce(sum(active = 1 AND paused = 1), 0),
                  (SELECT count(*) FROM subscriptions)
           FROM subscribers"""
    ).fetchone()
    total, active, paused, subs = (int(v) for v in row)
    return {"active": active, "inactive": total - active, "paused": paused, "subscriptions": subs}
