"""Channels linked from a private chat, and the chat a private chat's commands act on (its "target").

A channel cannot send the bot commands, so an admin of it links it from their private chat (``/channel @name``)
after the bot has checked with Telegram that both are admins there. The channel is then a subscriber like any
other (``chat_type = 'channel'``), keyed by its numeric id: its @name may change and is only remembered, as last
seen, to show it. Never imports ``telegram``.
"""

from __future__ import annotations

import time
from typing import Any

import sqlite_utils

from storage import subscribers


def link_channel(
    db: sqlite_utils.Database,
    channel_id: int,
    user_id: int,
    *,
    title: str | None,
    username: str | None,
    now: float | None = None,
) -> bool:
    """Record that ``user_id`` (an admin, checked by the caller) links the channel, make it active and the target
    of their private chat; True if the channel was not linked by them before."""
    now = time.time() if now is None else now
    subscribers.upsert_subscriber(db, channel_id, chat_type="channel", title=title, now=now)
    subscribers.set_active(db, channel_id, True)
    with db.conn:
        db.execute("UPDATE subscribers SET username = ? WHERE chat_id = ?", [username, channel_id])
        cursor = db.execute(
            "INSERT OR IGNORE INTO channel_links (channel_id, user_id, linked_at) VALUES (?, ?, ?)",
            [channel_id, user_id, now],
        )
        created = cursor.rowcount == 1
        # Linking again after the bot lost the channel starts a new episode: the next loss is told again.
        db.execute(
            "UPDATE channel_links SET lost_told = 0 WHERE channel_id = ? AND user_id = ?", [channel_id, user_id]
        )
    set_target(db, user_id, channel_id)
    return created


def set_target(db: sqlite_utils.Database, chat_id: int, target_id: int | None) -> None:
    """Make ``chat_id``'s commands act on ``target_id`` (None: on the chat itself again)."""
    with db.conn:
        if target_id is None:
            db.execute("DELETE FROM chat_targets WHERE chat_id = ?", [chat_id])
        else:
            db.execute(
                "INSERT OR REPLACE INTO chat_targets (chat_id, target_id) VALUES (?, ?)", [chat_id, target_id]
            )


def get_target(db: sqlite_utils.Database, chat_id: int) -> dict[str, Any] | None:
    """The subscriber row of the channel ``chat_id``'s commands act on, if any (and still linked by it)."""
    rows = list(
        db.query(
            """SELECT s.* FROM chat_targets t
               JOIN channel_links l ON l.channel_id = t.target_id AND l.user_id = t.chat_id
               JOIN subscribers s ON s.chat_id = t.target_id
               WHERE t.chat_id = ?""",
            [chat_id],
        )
    )
    return rows[0] if rows else None


def linked_channels(db: sqlite_utils.Database, user_id: int) -> list[dict[str, Any]]:
    """The channels ``user_id`` linked, with their subscription counts, oldest link first."""
    return list(
        db.query(
            """SELECT s.*, (SELECT count(*) FROM subscriptions x WHERE x.chat_id = s.chat_id) AS subscriptions
               FROM channel_links l JOIN subscribers s ON s.chat_id = l.channel_id
               WHERE l.user_id = ? ORDER BY l.linked_at, s.chat_id""",
            [user_id],
        )
    )


def note_seen(db: sqlite_utils.Database, channel_id: int, *, title: str | None, username: str | None) -> bool:
    """A known channel seen again (a post, getChat): keep its title and @name current; True if either changed."""
    with db.conn:
        cursor = db.execute(
            """UPDATE subscribers SET title = coalesce(?, title), username = ?
               WHERE chat_id = ? AND chat_type = 'channel' AND (title IS NOT coalesce(?, title) OR username IS NOT ?)""",
            [title, username, channel_id, title, username],
        )
    return cursor.rowcount == 1


def take_lost_notices(db: sqlite_utils.Database, channel_id: int) -> list[int]:
    """The admins who linked the channel and were not yet told the bot lost it; they count as told from now."""
    with db.conn:
        rows = db.execute(
            "UPDATE channel_links SET lost_told = 1 WHERE channel_id = ? AND lost_told = 0 RETURNING user_id",
            [channel_id],
        ).fetchall()
    return sorted(int(row[0]) for row in rows)


def restore(db: sqlite_utils.Database, channel_id: int) -> bool:
    """The bot may post in a known channel again (made admin again): alert it, and tell a later loss again."""
    row = subscribers.get_subscriber(db, channel_id)
    if row is None or row["chat_type"] != "channel":
        return False
    with db.conn:
        db.execute("UPDATE channel_links SET lost_told = 0 WHERE channel_id = ?", [channel_id])
    return subscribers.set_active(db, channel_id, True)
