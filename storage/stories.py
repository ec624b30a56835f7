"""Group articles into stories: one story per event, however many feeds report it and however they word it.

The grouping itself is :mod:`stories` (pure domain logic: a story model over IDF-weighted terms, names,
quantities and time). This module keeps the queries around it: it feeds the grouper the new articles in the order
they were stored, writes the decision to ``articles.story_id`` and ``stories``, and keeps one grouper per open
database. That grouper holds the window (the last 48 hours of grouped articles) in memory: it is built from the
stored window on first use, caught up with articles another process grouped, and updated as articles are grouped.
Outbox rows are unique per (chat, story), so this grouping is what turns twenty outlets' reports of one clash into
one alert.

An article also joins a story when it has the same canonical URL as one of the story's articles
(``matching.similar.url_key``).
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import sqlite_utils

from matching.similar import url_key
from stories import WINDOW_SECONDS, Grouper, Report, make_report

LEAD_CHARS = 1500  # comfortably more text than the grouper reads of a lead
_CHUNK = 500
_COLUMNS = f"""id, feed_id, url, title, substr(COALESCE(NULLIF(text, ''), summary), 1, {LEAD_CHARS}) AS lead,
               published, first_seen, story_id"""


def _chunks(values: Sequence[int], size: int = _CHUNK) -> Iterator[Sequence[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _rows(db: sqlite_utils.Database, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    cursor = db.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _load_articles(db: sqlite_utils.Database, ids: Sequence[int]) -> list[dict[str, Any]]:
    """The given articles, in id order (the order they were stored)."""
    found: list[dict[str, Any]] = []
    for chunk in _chunks(ids):
        marks = ",".join("?" * len(chunk))
        found.extend(_rows(db, f"SELECT {_COLUMNS} FROM articles WHERE id IN ({marks})", chunk))
    found.sort(key=lambda row: row["id"])
    return found


def _report(article: dict[str, Any]) -> Report:
    """Title and lead (the cleaned text when the feed gave one, else the summary) as the grouper reads them."""
    return make_report(
        article["id"],
        article["feed_id"],
        article["first_seen"],
        article["title"] or "",
        article["lead"] or "",
        published=article["published"],
        url_key=url_key(article["url"] or ""),
    )


class _State:
    """The grouper of one open database and the highest article id it has seen grouped."""

    def __init__(self) -> None:
        self.grouper = Grouper()
        self.synced_id = 0

    def catch_up(self, db: sqlite_utils.Database, cutoff: float) -> int:
        """Add the window's articles grouped since ``synced_id`` (all of them at first: the rebuild)."""
        added = 0
        while True:
            rows = _rows(
                db,
                f"""SELECT {_COLUMNS} FROM articles
                    WHERE id > ? AND story_id IS NOT NULL AND first_seen >= ? ORDER BY id LIMIT 5000""",
                [self.synced_id, cutoff],
            )
            for article in rows:
                self.grouper.add(_report(article), article["story_id"])
                added += 1
            if len(rows) < 5000:
                break
            self.synced_id = rows[-1]["id"]
        top = db.execute("SELECT MAX(id) FROM articles WHERE story_id IS NOT NULL").fetchone()[0]
        self.synced_id = max(self.synced_id, top or 0)
        return added


_STATES: weakref.WeakKeyDictionary[sqlite_utils.Database, _State] = weakref.WeakKeyDictionary()


def _state(db: sqlite_utils.Database, now: float) -> _State:
    state = _STATES.get(db)
    if state is None:
        state = _STATES[db] = _State()
    state.catch_up(db, now - WINDOW_SECONDS)
    state.grouper.expire(now)
    return state


def _existing(db: sqlite_utils.Database, story_id: int | None) -> int | None:
    """``story_id`` if that story still exists (a retention job may have removed it), else None."""
    if story_id is None:
        return None
    return story_id if db.execute("SELECT 1 FROM stories WHERE id = ?", [story_id]).fetchone() else None


def _create_story(db: sqlite_utils.Database, article: dict[str, Any]) -> int:
    cursor = db.execute(
        "INSERT INTO stories (first_seen, last_seen, title, url) VALUES (?, ?, ?, ?)",
        [article["first_seen"], article["first_seen"], article["title"] or "", article["url"]],
    )
    return int(cursor.lastrowid or 0)


def _assign(
    db: sqlite_utils.Database, grouper: Grouper, article: dict[str, Any], joined: dict[int, float]
) -> int:
    """Place one article; returns its story id. A story it joins is noted in ``joined`` (story id -> the latest
    report's time) for :func:`assign_stories` to write once for the batch."""
    report = _report(article)
    story_id = _existing(db, grouper.place(report))
    if story_id is None:
        story_id = _create_story(db, article)
    else:
        joined[story_id] = max(joined.get(story_id, article["first_seen"]), article["first_seen"])
    grouper.add(report, story_id)
    return story_id


def assign_stories(db: sqlite_utils.Database, article_ids: Iterable[int], now: float | None = None) -> None:
    """Set ``articles.story_id`` for the given new articles, joining a story of the last 48 h or starting one.

    Articles are handled in id order, so two reports of one story in the same batch group together and the result
    is deterministic. Articles that already have a story are left as they are (a retry after a crash is harmless).
    Runs in one transaction. CPU-bound (well under a millisecond an article): call it from a worker thread in async
    code.
    """
    now = time.time() if now is None else now
    ids = sorted(set(article_ids))
    with db.conn:
        state = _state(db, now)
        placed: list[tuple[int, int]] = []
        joined: dict[int, float] = {}
        for article in _load_articles(db, ids):
            if article["story_id"] is None:
                placed.append((_assign(db, state.grouper, article, joined), article["id"]))
                state.synced_id = max(state.synced_id, article["id"])
        # Written once for the batch, in the same transaction: one statement for all rows, not one a row.
        db.conn.executemany("UPDATE articles SET story_id = ? WHERE id = ?", placed)
        db.conn.executemany(
            "UPDATE stories SET last_seen = MAX(last_seen, ?) WHERE id = ?",
            [(seen, story_id) for story_id, seen in joined.items()],
        )


def assign_pending_stories(db: sqlite_utils.Database, now: float | None = None, limit: int = 5000) -> int:
    """Group articles that were stored but never grouped (a crash between insert and grouping); returns how many.

    Call at start-up or before fan-out so no article is left without a story.
    """
    ids = [
        row[0]
        for row in db.execute("SELECT id FROM articles WHERE story_id IS NULL ORDER BY id LIMIT ?", [limit])
    ]
    if ids:
        assign_stories(db, ids, now=now)
    return len(ids)


def rebuild_story_index(db: sqlite_utils.Database, now: float | None = None) -> int:
    """Rebuild this database's grouper from the grouped articles of the last 48 h; returns how many it holds."""
    now = time.time() if now is None else now
    _STATES.pop(db, None)
    return len(_state(db, now).grouper)


def story_articles(db: sqlite_utils.Database, story_id: int) -> list[dict[str, Any]]:
    """The reports of a story, oldest first, for "also reported by".

    Each dict has ``id``, ``feed_id``, ``feed_name`` (the configured name, else the feed's own title, else its
    URL), ``url``, ``title``, ``published`` and ``first_seen``. Order is the order we learned of them.
    """
    return _rows(
        db,
        """SELECT a.id, a.feed_id,
                  COALESCE(NULLIF(f.name, ''), NULLIF(f.title, ''), f.url) AS feed_name,
                  a.url, a.title, a.published, a.first_seen
           FROM articles a JOIN feeds f ON f.id = a.feed_id
           WHERE a.story_id = ?
           ORDER BY a.first_seen, a.id""",
        [story_id],
    )
