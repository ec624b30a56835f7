"""The ``feeds`` table: which feeds we poll, when each is due, and how healthy it is.

A feed is never dropped for failing: its ``error_count`` grows, its next check backs off (see
:mod:`feeds.schedule`), and it keeps being probed. Admins hear about a failing feed once, when it has failed
:data:`FAILING_AFTER` times in a row, and once more when it recovers; ``failing_notified`` remembers which of the
two was said last so a restart does not repeat it.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any, Protocol

import sqlite_utils

from feeds.schedule import first_check_at
from feeds.urls import normalize_feed_url
from storage.articles import transaction

DEFAULT_INTERVAL = 300
FAILING_AFTER = 3
MAX_ERROR_CHARS = 300


class FeedLike(Protocol):
    """What sync_config_feeds needs of a feed entry (bot.config.FeedConfig has it)."""

    @property
    def url(self) -> str: ...

    @property
    def name(self) -> str | None: ...

    @property
    def interval_seconds(self) -> int | None: ...


def _rows(db: sqlite_utils.Database, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
    cursor = db.execute(sql, list(params))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def find_feed_by_url(db: sqlite_utils.Database, url: str) -> dict[str, Any] | None:
    """The feed with this URL (after normalisation), or None."""
    rows = _rows(db, "SELECT * FROM feeds WHERE url = ?", [normalize_feed_url(url)])
    return rows[0] if rows else None


def add_feed(
    db: sqlite_utils.Database,
    url: str,
    name: str | None = None,
    interval: int | None = None,
    now: float | None = None,
    *,
    default_interval: int = DEFAULT_INTERVAL,
    trusted: bool = False,
) -> int:
    """Add a feed (or return the id of the feed that already has this URL, unchanged) and return its id.

    Raises :class:`feeds.urls.FeedUrlError` for a URL we will not poll. The first check is spread over the
    feed's interval (its own, else ``default_interval``: pass ``[polling] interval_seconds``), at most five
    minutes, so an OPML import of thousands of feeds does not fire all at once. ``trusted`` marks a feed the
    operator added (config file, CLI), which may point at private addresses; adding it again as trusted upgrades it.
    """
    now = time.time() if now is None else now
    url = normalize_feed_url(url)
    if interval is not None and interval <= 0:
        raise ValueError("interval must be a positive number of seconds")
    with db.conn:
        cursor = db.execute(
            """INSERT OR IGNORE INTO feeds (url, name, interval, next_check_at, added_at, trusted)
               VALUES (?, ?, ?, ?, ?, ?)""",
            [url, name, interval, first_check_at(now, url, interval or default_interval), now, int(trusted)],
        )
        if cursor.rowcount:
            return int(cursor.lastrowid)  # type: ignore[arg-type]
        if trusted:
            db.execute("UPDATE feeds SET trusted = 1 WHERE url = ?", [url])
    row = db.execute("SELECT id FROM feeds WHERE url = ?", [url]).fetchone()
    return int(row[0])


def remove_feed(db: sqlite_utils.Database, feed_id: int) -> bool:
    """Delete a feed and its articles; False if there was no such feed."""
    with db.conn:
        cursor = db.execute("DELETE FROM feeds WHERE id = ?", [feed_id])
    return cursor.rowcount > 0


_LIST_SQL = """
    SELECT f.*, (SELECT count(*) FROM articles a WHERE a.feed_id = f.id) AS articles,
           CASE WHEN f.error_count > 0 THEN 'error' WHEN f.last_polled IS NULL THEN 'new' ELSE 'ok' END AS status
    FROM feeds f
"""


def get_feed(db: sqlite_utils.Database, feed_id: int) -> dict[str, Any] | None:
    """One feed row with its ``articles`` count and ``status`` ("ok"/"error"/"new"), or None."""
    rows = _rows(db, _LIST_SQL + " WHERE f.id = ?", [feed_id])
    return rows[0] if rows else None


def list_feeds(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Every feed, by id, with its ``articles`` count and ``status``.

    "error" means failing right now, "new" never polled (nothing is known of it yet, so it is neither ok nor
    failing), "ok" polled and answering.
    """
    return _rows(db, _LIST_SQL + " ORDER BY f.id")


def due_feeds(
    db: sqlite_utils.Database, now: float | None = None, limit: int | None = None
) -> list[dict[str, Any]]:
    """Feeds whose next check is due, the most overdue first."""
    now = time.time() if now is None else now
    sql = "SELECT * FROM feeds WHERE next_check_at <= ? ORDER BY next_check_at, id"
    params: list[Any] = [now]
    if limit is not None:
        sql += " LIMIT ?"
        params.append(limit)
    return _rows(db, sql, params)


def check_all_now(db: sqlite_utils.Database, now: float | None = None) -> None:
    """Make every feed due now (``newsalert chat`` on start: its user wants to see the feeds work, or fail, at once,
    not over the spread-out first checks)."""
    now = time.time() if now is None else now
    with db.conn:
        db.execute("UPDATE feeds SET next_check_at = min(next_check_at, ?)", [now])


def all_feeds(db: sqlite_utils.Database) -> list[dict[str, Any]]:
    """Every feed row (no counts): what ``poll --once`` checks."""
    return _rows(db, "SELECT * FROM feeds ORDER BY id")


def sync_config_feeds(
    db: sqlite_utils.Database,
    feeds: Iterable[FeedLike],
    now: float | None = None,
    *,
    default_interval: int = DEFAULT_INTERVAL,
) -> list[int]:
    """Make sure every feed of the config file is in the database, with the config's name and interval.

    Feeds not in the config are left alone: they were added with the CLI or from Telegram. Returns the ids of the
    config's feeds, in config order. Pass ``default_interval=[polling] interval_seconds`` so new feeds without an
    interval of their own are first checked within it.
    """
    now = time.time() if now is None else now
    ids = []
    for feed in feeds:
        feed_id = add_feed(
            db,
            feed.url,
            name=feed.name,
            interval=feed.interval_seconds,
            now=now,
            default_interval=default_interval,
            trusted=True,
        )
        with db.conn:
            db.execute(
                "UPDATE feeds SET name = coalesce(?, name), interval = ? WHERE id = ?",
                [feed.name, feed.interval_seconds, feed_id],
            )
        ids.append(feed_id)
    return ids


def record_success(
    db: sqlite_utils.Database,
    feed_id: int,
    *,
    now: float,
    next_check_at: float,
    etag: str | None = None,
    last_modified: str | None = None,
    title: str | None = None,
    site_url: str | None = None,
    not_modified: bool = False,
    commit: bool = True,
) -> bool:
    """Store a good poll (a 200 or a 304). Returns True if this ended a failing streak admins were told about.

    On a 304 the stored validators are kept (servers need not repeat them); on a 200 they are replaced, and a
    server that stopped sending an ETag has its old one forgotten so we do not send a stale one forever.
    With ``commit=False`` the update joins the caller's transaction.
    """
    row = db.execute("SELECT failing_notified FROM feeds WHERE id = ?", [feed_id]).fetchone()
    if row is None:
        return False
    recovered = bool(row[0])
    with transaction(db, commit):
        _store_success(db, feed_id, now, next_check_at, etag, last_modified, title, site_url, not_modified)
    return recovered


def _store_success(
    db: sqlite_utils.Database,
    feed_id: int,
    now: float,
    next_check_at: float,
    etag: str | None,
    last_modified: str | None,
    title: str | None,
    site_url: str | None,
    not_modified: bool,
) -> None:
    if not_modified:
        db.execute(
            """UPDATE feeds SET error_count = 0, last_error = NULL, last_polled = ?, last_success = ?,
                   next_check_at = ?, failing_notified = 0,
                   etag = coalesce(?, etag), last_modified = coalesce(?, last_modified)
               WHERE id = ?""",
            [now, now, next_check_at, etag, last_modified, feed_id],
        )
    else:
        db.execute(
            """UPDATE feeds SET error_count = 0, last_error = NULL, last_polled = ?, last_success = ?,
                   next_check_at = ?, failing_notified = 0, etag = ?, last_modified = ?,
                   title = coalesce(nullif(?, ''), title), site_url = coalesce(?, site_url)
               WHERE id = ?""",
            [now, now, next_check_at, etag, last_modified, title, site_url, feed_id],
        )


def record_failure(
    db: sqlite_utils.Database,
    feed_id: int,
    *,
    now: float,
    error: str,
    next_check_at: float,
    commit: bool = True,
) -> bool:
    """Store a failed poll. Returns True if this failure makes the feed count as failing (tell admins once).

    With ``commit=False`` the update joins the caller's transaction.
    """
    error = " ".join(error.split())[:MAX_ERROR_CHARS]
    with transaction(db, commit):
        db.execute(
            """UPDATE feeds SET error_count = error_count + 1, last_error = ?, last_polled = ?, next_check_at = ?
               WHERE id = ?""",
            [error, now, next_check_at, feed_id],
        )
        cursor = db.execute(
            "UPDATE feeds SET failing_notified = 1 WHERE id = ? AND error_count >= ? AND failing_notified = 0",
            [feed_id, FAILING_AFTER],
        )
    return cursor.rowcount > 0
