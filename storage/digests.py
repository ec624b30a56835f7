"""Outbox queries for digests: the ``deliveries`` rows with ``mode = 'digest'``, sent many to a message.

Fan-out gives a row ``mode = 'digest'`` and a ``next_attempt_at`` at the moment it should go out (the daily or
hourly digest, the end of quiet hours, or the next hour when the per-hour cap overflowed). Every row of a chat
that is due then goes out together, so a chat's digest is claimed whole: one transaction switches all its due rows
to ``sending`` (the same states as instant alerts, see :mod:`storage.outbox`), and the rows of each message are
marked ``sent`` in one transaction right after Telegram accepts it. After a crash only rows of the message in
flight can be sent again; :func:`storage.outbox.requeue_sending` at start-up covers digest rows too.

No telegram import; every function is one short transaction, so the bot's event loop can call them directly.
"""

from __future__ import annotations

import time
from collections.abc import Collection, Iterable, Sequence
from typing import Any

import sqlite_utils

_ERROR_MAX = 500
_CHUNK = 500

# Due digest rows of chats that may receive something now (active, not paused, not muted); muted or paused chats
# keep their rows until that ends, as instant alerts do.
_READY = "s.active = 1 AND s.paused = 0 AND (s.muted_until IS NULL OR s.muted_until <= :now)"


def _now(now: float | None) -> float:
    return time.time() if now is None else now


def _rows(cursor: Any) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _chunks(ids: Sequence[int]) -> Iterable[Sequence[int]]:
    for start in range(0, len(ids), _CHUNK):
        yield ids[start : start + _CHUNK]


def due_chats(
    db: sqlite_utils.Database, *, now: float | None = None, limit: int = 100, exclude: Collection[int] = ()
) -> list[int]:
    """Chats with at least one digest row due, the longest-waiting first (at most ``limit``, none of ``exclude``)."""
    params: dict[str, Any] = {"now": _now(now), "limit": limit}
    skip = ""
    if exclude:
        skip = "AND d.chat_id NOT IN (SELECT value FROM json_each(:skip))"
        params["skip"] = "[" + ",".join(str(int(c)) for c in exclude) + "]"
    # DISTINCT walking the due index stops after ``limit`` chats (a GROUP BY would read every due row first:
    # 120 ms instead of 20 ms with 100,000 rows due at once).
    cursor = db.conn.execute(
        f"""SELECT DISTINCT d.chat_id
            FROM deliveries d JOIN subscribers s ON s.chat_id = d.chat_id
            WHERE d.state = 'pending' AND d.next_attempt_at <= :now AND d.mode = 'digest' AND {_READY} {skip}
            ORDER BY d.next_attempt_at
            LIMIT :limit""",
        params,
    )
    return [int(row[0]) for row in cursor.fetchall()]


def claim_chat(db: sqlite_utils.Database, chat_id: int, *, now: float | None = None) -> list[dict[str, Any]]:
    """Switch every due digest row of ``chat_id`` to ``sending`` (attempts + 1) in one transaction; return them.

    Each row has the delivery's columns plus the article (``title``, ``url``, ``published``, ``first_seen``), its
    feed (``feed_name``, ``feed_title``, ``feed_url``, ``feed_site_url``), ``story_sources`` (how many feeds
    carry the story), ``subscription_raw`` (the subscription's text now, if it still exists) and the
    subscriber's delivery settings (``timezone``, ``digest``, ``digest_time``, ``quiet_start``, ``quiet_end``,
    ``chat_silent``).
    A row whose article is gone (its feed was removed) has ``title`` None: see :func:`substitute_article`.
    """
    now = _now(now)
    with db.conn:
        claimed = [
            row[0]
            for row in db.conn.execute(
                # The unary + keeps SQLite on the chat's index: the due index would walk every chat's due rows.
                f"""UPDATE deliveries SET state = 'sending', attempts = attempts + 1
                    WHERE chat_id = :chat AND +state = 'pending' AND mode = 'digest' AND +next_attempt_at <= :now
                      AND EXISTS (SELECT 1 FROM subscribers s WHERE s.chat_id = :chat AND {_READY})
                    RETURNING id""",
                {"now": now, "chat": chat_id},
            )
        ]
    rows: list[dict[str, Any]] = []
    for chunk in _chunks(sorted(claimed)):
        marks = ",".join("?" * len(chunk))
        rows += _rows(
            db.conn.execute(
                f"""
                SELECT d.*, a.title, a.url, a.published, a.first_seen,
                       f.name AS feed_name, f.title AS feed_title, f.url AS feed_url, f.site_url AS feed_site_url,
                       (SELECT count(DISTINCT x.feed_id) FROM articles x WHERE x.story_id = d.story_id)
                           AS story_sources,
                       sub.raw AS subscription_raw,
                       s.timezone, s.language, s.digest, s.digest_time, s.quiet_start, s.quiet_end,
                       s.silent AS chat_silent
                FROM deliveries d
                JOIN subscribers s ON s.chat_id = d.chat_id
                LEFT JOIN articles a ON a.id = d.article_id
                LEFT JOIN feeds f ON f.id = a.feed_id
                LEFT JOIN subscriptions sub ON sub.id = d.subscription_id
                WHERE d.id IN ({marks})
                ORDER BY d.id
                """,
                list(chunk),
            )
        )
    return rows


def substitute_article(db: sqlite_utils.Database, story_id: int) -> dict[str, Any] | None:
    """Another article of the same story, with its feed columns (for a row whose own article was removed)."""
    rows = _rows(
        db.conn.execute(
            """SELECT a.id AS article_id, a.title, a.url, a.published, a.first_seen,
                      f.name AS feed_name, f.title AS feed_title, f.url AS feed_url, f.site_url AS feed_site_url
               FROM articles a JOIN feeds f ON f.id = a.feed_id
               WHERE a.story_id = ? ORDER BY a.first_seen, a.id LIMIT 1""",
            (story_id,),
        )
    )
    return rows[0] if rows else None


def _update(db: sqlite_utils.Database, sql: str, head: Sequence[Any], ids: Sequence[int]) -> int:
    """Run ``sql`` (ending in ``id IN ({marks})``) for ``ids`` in one transaction; how many rows changed."""
    changed = 0
    with db.conn:
        for chunk in _chunks(list(ids)):
            marks = ",".join("?" * len(chunk))
            changed += db.conn.execute(sql.format(marks=marks), [*head, *chunk]).rowcount
    return changed


def mark_sent(
    db: sqlite_utils.Database, ids: Sequence[int], message_id: int, *, now: float | None = None
) -> int:
    """Telegram accepted the message holding these rows as ``message_id``: all of them ``sent`` at once.

    Only rows still ``sending`` change (a migration may have dropped one meanwhile). The message id is kept on
    each row, so a reply to a digest message finds its rows with :func:`storage.outbox.find_by_message`.
    """
    return _update(
        db,
        "UPDATE deliveries SET state = 'sent', message_id = ?, sent_at = ?, last_error = NULL "
        "WHERE state = 'sending' AND id IN ({marks})",
        (message_id, _now(now)),
        ids,
    )


def schedule_retry(
    db: sqlite_utils.Database, ids: Sequence[int], *, at: float, error: str, count_attempt: bool = True
) -> int:
    """Back to ``pending`` until ``at``; ``count_attempt=False`` (flood control, shutdown) takes back the claim's
    attempt, so waiting never brings a row nearer to being given up."""
    return _update(
        db,
        "UPDATE deliveries SET state = 'pending', next_attempt_at = ?, last_error = ?, attempts = attempts - ? "
        "WHERE state = 'sending' AND id IN ({marks})",
        (at, error[:_ERROR_MAX], 0 if count_attempt else 1),
        ids,
    )


def mark_failed(db: sqlite_utils.Database, ids: Sequence[int], error: str) -> int:
    """Given up on (a permanent refusal, or too many transient failures)."""
    return _update(
        db,
        "UPDATE deliveries SET state = 'failed', last_error = ? WHERE state = 'sending' AND id IN ({marks})",
        (error[:_ERROR_MAX],),
        ids,
    )


def mark_dropped(db: sqlite_utils.Database, ids: Sequence[int], reason: str) -> int:
    """Not to be sent (nothing left to show for it)."""
    return _update(
        db,
        "UPDATE deliveries SET state = 'dropped', last_error = ? WHERE state = 'sending' AND id IN ({marks})",
        (reason[:_ERROR_MAX],),
        ids,
    )


def next_due_at(db: sqlite_utils.Database) -> float | None:
    """When the earliest pending digest row is due (None if none): for status pages and schedulers."""
    row = db.conn.execute(
        "SELECT min(next_attempt_at) FROM deliveries WHERE state = 'pending' AND mode = 'digest'"
    ).fetchone()
    return row[0] if row and row[0] is not None else None


def retime_held(
    db: sqlite_utils.Database, chat_id: int, *, release_at: float | None, now: float | None = None
) -> int:
    """Move a chat's waiting digest rows to ``release_at`` after its delivery settings changed; ``None`` makes
    them instant alerts due now. Without this, someone who turns a daily digest off would still wait for 08:00."""
    now = _now(now)
    with db.conn:
        if release_at is None:
            cursor = db.conn.execute(
                "UPDATE deliveries SET mode = 'instant', next_attempt_at = ? "
                "WHERE chat_id = ? AND mode = 'digest' AND state = 'pending'",
                (now, chat_id),
            )
        else:
            cursor = db.conn.execute(
                "UPDATE deliveries SET next_attempt_at = ? WHERE chat_id = ? AND mode = 'digest' AND state = 'pending'",
                (release_at, chat_id),
            )
    return cursor.rowcount
