"""Edits of sent alerts, one ``alert_edits`` row per alert whose story gained a report after it was queued.

An alert is sent once per (chat, story); when more outlets report the story, the sent message is edited to say so
("also reported by ..."), at most once per interval per message. This module keeps what that needs:

* :func:`note_report` (called by the fan-out, in its transaction) marks every instant alert of the story as
  ``waiting`` for an edit, due at once if it was never edited, else when the interval since its last edit ends;
* :func:`claim_due` switches due rows of sent alerts to ``editing`` and returns what the edit renders from;
* :func:`finish`, :func:`retry` and :func:`stop` record Telegram's answer.

``changes`` counts the reports noted and ``claimed_changes`` what an edit in flight shows, so a report noted while
an edit is in flight leaves the row ``waiting`` for the next one instead of being lost. States: ``waiting`` →
``editing`` → ``done`` (or ``stopped``: the message was deleted, cannot be edited, or the edit failed for good).
Every function is one short transaction; no telegram import.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

import sqlite_utils

WAITING = "waiting"
EDITING = "editing"
DONE = "done"
STOPPED = "stopped"
_ERROR_MAX = 500


def _now(now: float | None) -> float:
    return time.time() if now is None else now


def _rows(cursor: Any) -> list[dict[str, Any]]:
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def note_report(
    db: sqlite_utils.Database, story_id: int, article_id: int, *, interval: float, now: float | None = None
) -> int:
    """A report (``article_id``) joined ``story_id``: every instant alert of the story about another article waits
    for an edit. Runs inside the caller's transaction (no commit here); returns how many alerts it touched.

    A row already waiting keeps its due time (the interval is per message, not per report); a finished row is
    due when ``interval`` has passed since its last edit; a stopped one stays stopped. Inactive chats (blocked)
    get none.
    """
    now = _now(now)
    return db.conn.execute(
        """
        INSERT INTO alert_edits (delivery_id, state, due_at)
        SELECT d.id, 'waiting', :now FROM deliveries d JOIN subscribers s ON s.chat_id = d.chat_id
        WHERE d.story_id = :story AND d.article_id != :article AND d.mode = 'instant'
          AND d.state IN ('pending', 'sending', 'sent') AND s.active = 1
        ON CONFLICT (delivery_id) DO UPDATE SET
            changes = changes + 1,
            due_at = CASE WHEN state = 'done' THEN MAX(:now, COALESCE(last_edit_at, 0) + :interval)
                          ELSE due_at END,
            state = CASE WHEN state = 'done' THEN 'waiting' ELSE state END
        WHERE state != 'stopped'
        """,
        {"now": now, "story": story_id, "article": article_id, "interval": interval},
    ).rowcount


def _stop_unsent(db: sqlite_utils.Database, now: float) -> None:
    """Due rows of alerts that will never be sent (failed, dropped) have nothing to edit. Run when nothing could
    be claimed, so it walks only the few due rows left over, never a burst still being edited."""
    db.conn.execute(
        "UPDATE alert_edits SET state = 'stopped', last_error = 'alert not sent' "
        "WHERE state = 'waiting' AND due_at <= ? "
        "AND EXISTS (SELECT 1 FROM deliveries d WHERE d.id = alert_edits.delivery_id "
        "AND d.state IN ('failed', 'dropped'))",
        (now,),
    )


def claim_due(
    db: sqlite_utils.Database, *, now: float | None = None, limit: int = 10, exclude_chats: Iterable[int] = ()
) -> list[dict[str, Any]]:
    """Switch up to ``limit`` due edits (one per chat, none in ``exclude_chats``) to ``editing``; return them.

    Only alerts that were sent (they have a message id) of active subscribers are claimed; an alert still queued
    waits, and is rendered with every outlet when it goes. Each row has the delivery's columns (``id`` is the
    delivery's), the article and feed columns an alert renders from (as :func:`storage.outbox.claim_due`), the
    subscriber's ``timezone``, and ``claimed_changes``.
    """
    now = _now(now)
    skip = set(exclude_chats)
    with db.conn:
        candidates = db.conn.execute(
            """
            SELECT e.delivery_id, d.chat_id FROM alert_edits e
            JOIN deliveries d ON d.id = e.delivery_id
            JOIN subscribers s ON s.chat_id = d.chat_id
            WHERE e.state = 'waiting' AND e.due_at <= ? AND d.state = 'sent' AND d.message_id IS NOT NULL
              AND s.active = 1
            ORDER BY e.due_at, e.delivery_id
            LIMIT ?
            """,
            (now, 20 * limit + len(skip)),
        ).fetchall()
        picked: list[int] = []
        for delivery_id, chat_id in candidates:
            if chat_id not in skip and len(picked) < limit:
                skip.add(chat_id)
                picked.append(delivery_id)
        if not picked:
            _stop_unsent(db, now)
            return []
        marks = ",".join("?" * len(picked))
        db.conn.execute(
            f"UPDATE alert_edits SET state = 'editing', claimed_changes = changes, attempts = attempts + 1 "
            f"WHERE delivery_id IN ({marks})",
            picked,
        )
    return _rows(
        db.conn.execute(
            f"""
            SELECT d.*, e.claimed_changes, e.attempts AS edit_attempts,
                   a.title, a.url, a.summary, substr(a.text, 1, 20000) AS text, a.published, a.first_seen,
                   f.name AS feed_name, f.title AS feed_title, f.url AS feed_url, f.site_url AS feed_site_url,
                   s.timezone, s.chat_type, s.language,
                   (SELECT count(DISTINCT x.feed_id) FROM articles x WHERE x.story_id = d.story_id) AS story_sources
            FROM alert_edits e
            JOIN deliveries d ON d.id = e.delivery_id
            JOIN subscribers s ON s.chat_id = d.chat_id
            LEFT JOIN articles a ON a.id = d.article_id
            LEFT JOIN feeds f ON f.id = a.feed_id
            WHERE e.delivery_id IN ({marks})
            ORDER BY e.delivery_id
            """,
            picked,
        )
    )


def finish(
    db: sqlite_utils.Database,
    delivery_id: int,
    *,
    outlets: int,
    interval: float,
    edited: bool = True,
    now: float | None = None,
) -> None:
    """The message shows ``outlets`` other outlets now. ``edited`` says Telegram changed it (so the interval starts
    again); a report noted since the claim leaves the row waiting for the next edit."""
    now = _now(now)
    with db.conn:
        db.conn.execute("UPDATE deliveries SET outlets_shown = ? WHERE id = ?", (outlets, delivery_id))
        db.conn.execute(
            """UPDATE alert_edits SET
                   last_edit_at = CASE WHEN :edited THEN :now ELSE last_edit_at END,
                   state = CASE WHEN changes > claimed_changes THEN 'waiting' ELSE 'done' END,
                   due_at = MAX(:now, COALESCE(CASE WHEN :edited THEN :now ELSE last_edit_at END, 0) + :interval),
                   attempts = 0, last_error = NULL
               WHERE delivery_id = :id""",
            {"now": now, "edited": int(edited), "interval": interval, "id": delivery_id},
        )


def retry(
    db: sqlite_utils.Database, delivery_id: int, *, at: float, error: str, count_attempt: bool = True
) -> None:
    """Back to ``waiting`` until ``at`` (429, network trouble, a chat gone for now); ``count_attempt=False`` takes
    back the claim's attempt, so flood control never brings an edit nearer to being given up."""
    with db.conn:
        db.conn.execute(
            "UPDATE alert_edits SET state = 'waiting', due_at = ?, last_error = ?, attempts = attempts - ? "
            "WHERE delivery_id = ?",
            (at, error[:_ERROR_MAX], 0 if count_attempt else 1, delivery_id),
        )


def stop(db: sqlite_utils.Database, delivery_id: int, reason: str) -> None:
    """Never edit this alert again (the user deleted it, Telegram will not edit it, or it failed for good)."""
    with db.conn:
        db.conn.execute(
            "UPDATE alert_edits SET state = 'stopped', last_error = ? WHERE delivery_id = ?",
            (reason[:_ERROR_MAX], delivery_id),
        )


def requeue_editing(db: sqlite_utils.Database) -> int:
    """At start-up: edits a crash left in flight wait again (an edit made twice is harmless: "not modified")."""
    with db.conn:
        return db.conn.execute(
            "UPDATE alert_edits SET state = 'waiting', claimed_changes = 0 WHERE state = 'editing'"
        ).rowcount


def get_edit(db: sqlite_utils.Database, delivery_id: int) -> dict[str, Any] | None:
    """The edit row of one alert, if its story ever grew."""
    rows = _rows(db.conn.execute("SELECT * FROM alert_edits WHERE delivery_id = ?", (delivery_id,)))
    return rows[0] if rows else None


def story_outlets(db: sqlite_utils.Database, story_id: int, *, limit: int = 200) -> list[dict[str, Any]]:
    """The feeds that reported a story, each once, in the order their first report arrived.

    Each dict has ``feed_id``, ``feed_name``, ``feed_title``, ``feed_url``, ``feed_site_url`` and ``url`` (that
    feed's first report of the story), so :func:`alerts.messages.source_name` can name it.
    """
    return _rows(
        db.conn.execute(
            """
            SELECT a.feed_id, f.name AS feed_name, f.title AS feed_title, f.url AS feed_url,
                   f.site_url AS feed_site_url, a.url, MIN(a.first_seen) AS first_seen
            FROM articles a JOIN feeds f ON f.id = a.feed_id
            WHERE a.story_id = ?
            GROUP BY a.feed_id
            ORDER BY first_seen, MIN(a.id)
            LIMIT ?
            """,
            (story_id, limit),
        )
    )
