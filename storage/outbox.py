"""The outbox: one ``deliveries`` row per (chat, story), and its life from pending to sent.

States: ``pending`` (waiting for ``next_attempt_at``) → ``sending`` (claimed by the sender; the send is in
flight) → ``sent`` | ``failed`` (gave up) | ``dropped`` (the chat went away or cancelled it). A row is switched to
``sending`` in the same transaction that claims it and to ``sent`` right after Telegram answers, so after a crash
only rows left in ``sending`` are in doubt; :func:`requeue_sending` puts them back at start-up. That is the
whole of the "nothing lost, nothing sent twice except what was in flight" rule.

Every function is one short transaction, so the bot's event loop can call them directly. No telegram import.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import sqlite_utils

PENDING = "pending"
SENDING = "sending"
SENT = "sent"
FAILED = "failed"
DROPPED = "dropped"
INSTANT = "instant"
DIGEST = "digest"
_ERROR_MAX = 500


def _now(now: float | None) -> float:
    return time.time() if now is None else now


def _rows(cursor: Any) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def enqueue(
    db: sqlite_utils.Database,
    chat_id: int,
    story_id: int,
    article_id: int,
    *,
    subscription_id: int | None = None,
    explanation: str = "",
    mode: str = INSTANT,
    next_attempt_at: float | None = None,
    thread_id: int | None = None,
    now: float | None = None,
) -> int | None:
    """Queue one alert (to the forum topic ``thread_id`` if given); the id of the new row, or None if this chat
    already has (or had) this story."""
    now = _now(now)
    with db.conn:
        cursor = db.conn.execute(
            """
            INSERT OR IGNORE INTO deliveries (chat_id, story_id, article_id, subscription_id, explanation, mode,
                                              next_attempt_at, created_at, thread_id)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            (chat_id, story_id, article_id, subscription_id, explanation, mode, next_attempt_at or now, now, thread_id),
        )
    return cursor.lastrowid if cursor.rowcount else None


def claim_due(
    db: sqlite_utils.Database,
    *,
    now: float | None = None,
    limit: int = 100,
    exclude_chats: Iterable[int] = (),
) -> list[dict[str, Any]]:
    """Switch up to ``limit`` due instant rows to ``sending`` (attempts + 1) and return them, ready to render.

    At most one row per chat (its earliest due), earliest due first, so a chat with many alerts gets them one
    at a time and Telegram's per-chat flood limit is not hit; ``exclude_chats`` skips chats the caller sent to
    a moment ago. Rows of
    inactive, paused or muted subscribers wait. Each returned row has the delivery's columns plus ``title``,
    ``url``, ``summary``, ``text`` (capped), ``published``, ``first_seen``, ``feed_name``, ``feed_title``,
    ``feed_url``, ``timezone``, ``story_sources`` (how many feeds carry the story), and how the alert looks:
    ``image_url``, ``link_preview``, ``photos``, ``chat_silent`` and ``sub_silent`` (see ``alerts.appearance``).
    """
    now = _now(now)
    ids = _pick_due(db, now, limit, set(exclude_chats))
    if not ids:
        return []
    with db.conn:
        marks = ",".join("?" * len(ids))
        claimed = [
            row[0]
            for row in db.conn.execute(
                f"UPDATE deliveries SET state = 'sending', attempts = attempts + 1 "
                f"WHERE id IN ({marks}) AND state = 'pending' RETURNING id",
                ids,
            )
        ]
    if not claimed:
        return []
    marks = ",".join("?" * len(claimed))
    rows = _rows(
        db.conn.execute(
            f"""
            SELECT d.*, a.id AS article_exists, a.title, a.url, a.summary, substr(a.text, 1, 20000) AS text,
                   a.published, a.first_seen, a.image_url,
                   f.name AS feed_name, f.title AS feed_title, f.url AS feed_url, f.site_url AS feed_site_url,
                   s.timezone, s.language, s.link_preview, s.photos, s.silent AS chat_silent, s.chat_type,
                   (SELECT x.silent FROM subscriptions x WHERE x.id = d.subscription_id) AS sub_silent,
                   (SELECT count(DISTINCT x.feed_id) FROM articles x WHERE x.story_id = d.story_id) AS story_sources
            FROM deliveries d
            LEFT JOIN articles a ON a.id = d.article_id
            LEFT JOIN feeds f ON f.id = a.feed_id
            JOIN subscribers s ON s.chat_id = d.chat_id
            WHERE d.id IN ({marks})
            ORDER BY d.id
            """,
            claimed,
        )
    )
    # A removed feed takes its articles with it; an alert for one of them has nothing left to show, and left in
    # 'sending' it would be requeued and stuck again after every restart.
    for row in rows:
        if row["article_exists"] is None:
            mark_dropped(db, row["id"], "article removed with its feed")
    return [row for row in rows if row["article_exists"] is not None]


_PICK_PAGE = 500


def _pick_due(db: sqlite_utils.Database, now: float, limit: int, skip_chats: set[int]) -> list[int]:
    """Ids of the earliest due row of up to ``limit`` chats, walking the due index page by page.

    The walk follows ``deliveries_due`` (state, next_attempt_at, rowid), so it never sorts the whole queue and
    costs about the same with 100 or 100,000 rows waiting; the first row met for a chat is its earliest due one.
    A chat with a long queue only costs the rows it has on the pages walked, and the walk is bounded.
    """
    picked: list[int] = []
    seen = set(skip_chats)
    after = (float("-inf"), 0)
    budget = 20 * limit + 2 * _PICK_PAGE
    while len(picked) < limit and budget > 0:
        page = db.conn.execute(
            """
            SELECT d.id, d.chat_id, d.next_attempt_at
            FROM deliveries d JOIN subscribers s ON s.chat_id = d.chat_id
            WHERE d.state = 'pending' AND d.next_attempt_at <= :now
              AND (d.next_attempt_at, d.id) > (:after_time, :after_id)
              AND d.mode = 'instant'
              AND s.active = 1 AND s.paused = 0 AND (s.muted_until IS NULL OR s.muted_until <= :now)
            ORDER BY d.next_attempt_at, d.id
            LIMIT :page
            """,
            {"now": now, "after_time": after[0], "after_id": after[1], "page": _PICK_PAGE},
        ).fetchall()
        for delivery_id, chat_id, _ in page:
            if chat_id not in seen:
                seen.add(chat_id)
                picked.append(delivery_id)
                if len(picked) == limit:
                    break
        if len(page) < _PICK_PAGE:
            break
        after = (page[-1][2], page[-1][0])
        budget -= len(page)
    return picked


def mark_sent(
    db: sqlite_utils.Database,
    delivery_id: int,
    message_id: int,
    *,
    now: float | None = None,
    outlets: int | None = None,
    photo: bool = False,
) -> None:
    """Telegram accepted the alert as ``message_id`` (kept so replies, buttons and edits find the row);
    ``outlets`` is how many other outlets of the story it names (an edit is needed only when that grows);
    ``photo``: it went as a photo with the alert as its caption (an edit changes the caption, not a text)."""
    with db.conn:
        db.conn.execute(
            "UPDATE deliveries SET state = 'sent', message_id = ?, sent_at = ?, last_error = NULL, "
            "outlets_shown = ?, photo = ? WHERE id = ?",
            (message_id, _now(now), outlets, int(photo), delivery_id),
        )


def schedule_retry(
    db: sqlite_utils.Database, delivery_id: int, *, at: float, error: str, count_attempt: bool = True
) -> None:
    """Back to ``pending`` until ``at``. ``count_attempt=False`` (flood control) takes back the claim's attempt,
    so waiting out 429s never brings a row nearer to being given up."""
    with db.conn:
        db.conn.execute(
            "UPDATE deliveries SET state = 'pending', next_attempt_at = ?, last_error = ?, "
            "attempts = attempts - ? WHERE id = ?",
            (at, error[:_ERROR_MAX], 0 if count_attempt else 1, delivery_id),
        )


def expedite_backoffs(db: sqlite_utils.Database, *, now: float | None = None) -> int:
    """Make instant rows that wait out a transient failure (network, 5xx) due now; flood-control (429) and
    token waits are kept. Called when Telegram has answered again after an outage."""
    now = _now(now)
    with db.conn:
        return db.conn.execute(
            "UPDATE deliveries SET next_attempt_at = ? WHERE state = 'pending' AND mode = 'instant' "
            "AND next_attempt_at > ? AND attempts > 0 AND last_error IS NOT NULL "
            "AND last_error NOT LIKE '429%' AND last_error != 'token refused'",
            (now, now),
        ).rowcount


def mark_failed(db: sqlite_utils.Database, delivery_id: int, error: str) -> None:
    """Given up on (a permanent refusal, or too many transient failures)."""
    with db.conn:
        db.conn.execute(
            "UPDATE deliveries SET state = 'failed', last_error = ? WHERE id = ?",
            (error[:_ERROR_MAX], delivery_id),
        )


def mark_dropped(db: sqlite_utils.Database, delivery_id: int, reason: str) -> None:
    """Not to be sent (the chat is gone, or someone cancelled it)."""
    with db.conn:
        db.conn.execute(
            "UPDATE deliveries SET state = 'dropped', last_error = ? WHERE id = ?",
            (reason[:_ERROR_MAX], delivery_id),
        )


def requeue_sending(db: sqlite_utils.Database) -> int:
    """At start-up: rows left in ``sending`` by a crash go back to ``pending`` (they may be sent once more)."""
    with db.conn:
        return db.conn.execute(
            "UPDATE deliveries SET state = 'pending', next_attempt_at = 0 WHERE state = 'sending'"
        ).rowcount


def drop_pending_for_chat(db: sqlite_utils.Database, chat_id: int, reason: str) -> int:
    """Drop every row still waiting for ``chat_id``; returns how many."""
    with db.conn:
        return _drop_pending(db, chat_id, reason)


def _drop_pending(db: sqlite_utils.Database, chat_id: int, reason: str) -> int:
    return db.conn.execute(
        "UPDATE deliveries SET state = 'dropped', last_error = ? WHERE chat_id = ? AND state IN ('pending', 'sending')",
        (reason[:_ERROR_MAX], chat_id),
    ).rowcount


def deactivate_chat(db: sqlite_utils.Database, chat_id: int, reason: str) -> int:
    """The chat blocked the bot or no longer exists: the subscriber becomes inactive and its queue is dropped,
    in one transaction. Returns how many rows were dropped. ``/start`` (or an unblock) sets ``active`` again."""
    with db.conn:
        db.conn.execute("UPDATE subscribers SET active = 0 WHERE chat_id = ?", (chat_id,))
        return _drop_pending(db, chat_id, reason)


def forget_thread(db: sqlite_utils.Database, chat_id: int, thread_id: int) -> None:
    """A forum topic was deleted: its subscriptions and waiting alerts go to the group's general chat instead."""
    with db.conn:
        db.conn.execute(
            "UPDATE subscriptions SET thread_id = NULL WHERE chat_id = ? AND thread_id = ?", (chat_id, thread_id)
        )
        db.conn.execute(
            "UPDATE deliveries SET thread_id = NULL WHERE chat_id = ? AND thread_id = ? "
            "AND state IN ('pending', 'sending')",
            (chat_id, thread_id),
        )


def migrate_chat(db: sqlite_utils.Database, old_chat_id: int, new_chat_id: int) -> None:
    """A group became a supergroup with a new id: move its subscriber row, subscriptions and outbox rows.

    If the new chat already has a subscriber (the bot was used there too) it is kept and the old chat's
    subscriptions are merged in; rows for a story both chats have stay with the new chat.
    """
    with db.conn:
        old = db.conn.execute("SELECT * FROM subscribers WHERE chat_id = ?", (old_chat_id,)).fetchone()
        if old is not None:
            columns = [d[0] for d in db.conn.execute("SELECT * FROM subscribers LIMIT 0").description]
            row = dict(zip(columns, old, strict=True))
            row.update(chat_id=new_chat_id, chat_type="supergroup")
            names = ", ".join(row)
            db.conn.execute(
                f"INSERT OR IGNORE INTO subscribers ({names}) VALUES ({', '.join('?' * len(row))})",
                list(row.values()),
            )
        db.conn.execute(
            "UPDATE OR IGNORE subscriptions SET chat_id = ? WHERE chat_id = ?", (new_chat_id, old_chat_id)
        )
        db.conn.execute(
            "UPDATE OR IGNORE deliveries SET chat_id = ? WHERE chat_id = ?", (new_chat_id, old_chat_id)
        )
        db.conn.execute(
            "UPDATE deliveries SET state = 'dropped', last_error = 'chat migrated' "
            "WHERE chat_id = ? AND state IN ('pending', 'sending')",
            (old_chat_id,),
        )
        db.conn.execute("DELETE FROM subscribers WHERE chat_id = ?", (old_chat_id,))


def get_delivery(db: sqlite_utils.Database, delivery_id: int) -> dict[str, Any] | None:
    """One outbox row by id (e.g. from a button's callback_data)."""
    rows = _rows(db.conn.execute("SELECT * FROM deliveries WHERE id = ?", (delivery_id,)))
    return rows[0] if rows else None


def find_by_message(db: sqlite_utils.Database, chat_id: int, message_id: int) -> dict[str, Any] | None:
    """The outbox row of the alert that became ``message_id`` in ``chat_id`` (for /why, /more as a reply)."""
    rows = _rows(
        db.conn.execute(
            "SELECT * FROM deliveries WHERE chat_id = ? AND message_id = ? ORDER BY id DESC LIMIT 1",
            (chat_id, message_id),
        )
    )
    return rows[0] if rows else None


def latest_sent(db: sqlite_utils.Database, chat_id: int) -> dict[str, Any] | None:
    """The chat's most recent sent alert (what /why and /more mean when they are not a reply)."""
    rows = _rows(
        db.conn.execute(
            "SELECT * FROM deliveries WHERE chat_id = ? AND state = 'sent' ORDER BY sent_at DESC, id DESC LIMIT 1",
            (chat_id,),
        )
    )
    return rows[0] if rows else None


def queue_depth(db: sqlite_utils.Database, *, mode: str | None = INSTANT) -> int:
    """Rows waiting or in flight (instant ones by default; ``mode=None`` counts digests too)."""
    sql = "SELECT count(*) FROM deliveries WHERE state IN ('pending', 'sending')"
    args: tuple[str, ...] = ()
    if mode is not None:
        sql, args = sql + " AND mode = ?", (mode,)
    return int(db.conn.execute(sql, args).fetchone()[0])


def sent_since(db: sqlite_utils.Database, since: float) -> int:
    """How many alerts went out since ``since`` (for /status and the per-hour cap)."""
    return int(
        db.conn.execute(
            "SELECT count(*) FROM deliveries WHERE state = 'sent' AND sent_at >= ?", (since,)
        ).fetchone()[0]
    )


def sent_last_24h(db: sqlite_utils.Database, *, now: float | None = None) -> int:
    return sent_since(db, _now(now) - 86400)


def next_due_at(db: sqlite_utils.Database) -> float | None:
    """When the earliest pending instant row becomes due (None if none): lets the sender sleep until then."""
    row = db.conn.execute(
        "SELECT min(next_attempt_at) FROM deliveries WHERE state = 'pending' AND mode = 'instant'"
    ).fetchone()
    return row[0] if row and row[0] is not None else None
