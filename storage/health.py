"""What the database says about the bot's health: counts for ``/metrics`` and ``newsalert status``, and the
running bot's heartbeat row.

Every query here is a count over an indexed column or a small table, so a scrape every few seconds stays cheap;
``articles`` is the one large table and is counted through its primary key.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # sqlite_utils (and numpy with it) is not imported by readers: a health command starts fast
    import sqlite_utils


class Readable(Protocol):
    """A plain ``sqlite3.Connection`` (what :func:`open_read_only` gives) or a ``sqlite_utils.Database``."""

    def execute(self, sql: str, parameters: Any = ..., /) -> sqlite3.Cursor: ...


OUTBOX_STATES = ("pending", "sending", "sent", "failed", "dropped")
WORST_FEEDS = 5


def snapshot(db: Readable) -> dict[str, Any]:
    """Feeds (ok, failing, the worst few), the last poll, articles, outbox rows by state, subscribers."""
    feeds_total, feeds_failing, last_polled = db.execute(
        "SELECT count(*), coalesce(sum(error_count > 0), 0), max(last_polled) FROM feeds"
    ).fetchone()
    worst = [
        {
            "id": row[0],
            "name": row[1],
            "url": row[2],
            "error_count": row[3],
            "last_error": row[4],
            "last_success": row[5],
        }
        for row in db.execute(
            """SELECT id, coalesce(name, title, url), url, error_count, last_error, last_success FROM feeds
               WHERE error_count > 0 ORDER BY error_count DESC, id LIMIT ?""",
            [WORST_FEEDS],
        )
    ]
    outbox = dict.fromkeys(OUTBOX_STATES, 0)
    outbox.update(
        {state: int(n) for state, n in db.execute("SELECT state, count(*) FROM deliveries GROUP BY state")}
    )
    total, active, paused, subscriptions = db.execute(
        """SELECT count(*), coalesce(sum(active), 0), coalesce(sum(active = 1 AND paused = 1), 0),
                  (SELECT count(*) FROM subscriptions)
           FROM subscribers"""
    ).fetchone()
    return {
        "feeds_ok": int(feeds_total - feeds_failing),
        "feeds_failing": int(feeds_failing),
        "worst_feeds": worst,
        "last_polled": last_polled,
        "articles": int(db.execute("SELECT count(*) FROM articles").fetchone()[0]),
        "outbox": outbox,
        "subscribers": {"active": int(active), "paused": int(paused), "inactive": int(total - active)},
        "subscriptions": int(subscriptions),
    }


def write_heartbeat(
    db: sqlite_utils.Database,
    *,
    pid: int,
    started_at: float,
    now: float,
    healthy: bool,
    reason: str,
    telegram_ok_at: float | None,
    poll_ran_at: float | None,
) -> None:
    """Replace the heartbeat row with the running bot's current state (one short transaction)."""
    with db.conn:
        db.execute(
            """INSERT OR REPLACE INTO heartbeat
               (id, pid, started_at, written_at, healthy, reason, telegram_ok_at, poll_ran_at, stopped_at)
               VALUES (1, ?, ?, ?, ?, ?, ?, ?, NULL)""",
            [pid, started_at, now, int(healthy), reason, telegram_ok_at, poll_ran_at],
        )


def mark_stopped(db: sqlite_utils.Database, *, pid: int, now: float) -> None:
    """A clean shutdown: the row stays (when it last ran) but says the bot is gone."""
    with db.conn:
        db.execute("UPDATE heartbeat SET stopped_at = ?, healthy = 0 WHERE id = 1 AND pid = ?", [now, pid])


def read_heartbeat(db: Readable) -> dict[str, Any] | None:
    """The heartbeat row, or None if no bot ever wrote one (or the schema predates it)."""
    try:
        cursor = db.execute("SELECT * FROM heartbeat WHERE id = 1")
    except sqlite3.OperationalError:
        return None
    row = cursor.fetchone()
    if row is None:
        return None
    return dict(zip([d[0] for d in cursor.description], row, strict=True))


def database_bytes(path: str | Path) -> int:
    """The database's size on disk, its write-ahead log included (what a full disk would be made of)."""
    base = Path(path)
    return sum(p.stat().st_size for p in (base, base.with_name(base.name + "-wal")) if p.exists())


def open_read_only(path: str | Path) -> sqlite3.Connection:
    """A connection that can never write, migrate or create the file: for readers outside the bot (status, a
    scrape), which must not change what they look at. Raises sqlite3.Error if the file is missing or unreadable."""
    conn = sqlite3.connect(
        f"{Path(path).resolve().as_uri()}?mode=ro", uri=True, timeout=5, check_same_thread=False
    )
    conn.execute("PRAGMA busy_timeout=5000")
    return conn
