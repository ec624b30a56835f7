"""Keep the database bounded: delete what can no longer matter, a small batch per transaction, and give the space
back with incremental vacuum.

What goes, and why it is safe:

- **articles** first seen more than ``keep_articles_days`` ago (FTS rows go with them through the ``articles_ad``
  trigger), except those a pending or in-flight alert still points at. An undated article leaves a tombstone
  (``article_tombstones``, migration 8): it took its first-seen time as its date, so if its feed still lists it,
  storing it again would make it look new and alert it again. A dated one stored again is older than
  ``max_age_hours`` (retention keeps articles at least that long), so it is never alerted.
- **stories** with no article left and not seen since the cutoff.
- **outbox rows** that are finished (sent, failed, dropped), older than the cutoff, whose story has no article
  left. "One alert per story per chat, ever" holds without them: a new article joins only a story that has an
  article in the last 48 hours (``storage.stories``), and retention keeps articles longer than that, so a story
  with no articles can never gain one; a re-stored article starts a new story, which is never alerted (above).
- **handled updates** older than ``storage.updates.KEEP_SECONDS``.

Every batch is its own short transaction, so commands and the poll cycle wait at most one batch for the write
lock. :func:`prune` is a generator that yields after each batch: the bot's job runs each step in a thread and
lets the event loop breathe in between.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, fields

import sqlite_utils

from storage import updates

DAY = 86_400
BATCH = 500
# Deleting an article also deletes its search rows, which re-reads and tokenizes its text: ~0.5 ms an article,
# so article batches are smaller to keep each transaction (and any writer waiting on it) short.
ARTICLE_BATCH = 100
VACUUM_PAGES = 500  # pages given back per incremental_vacuum step (2 MB at 4 KB pages)
# FTS5 leaf pages written per merge step; negative: merge segments of every level, so the big old segments that
# hold the deleted articles' entries are rewritten without them.
MERGE_PAGES = -200
MAX_MERGE_STEPS = 2_000
_FINISHED = "('sent', 'failed', 'dropped')"
_INCREMENTAL = 2


@dataclass
class Pruned:
    """How many rows each kind lost (running totals while :func:`prune` runs), and pages given back."""

    articles: int = 0
    tombstones: int = 0
    stories: int = 0
    deliveries: int = 0
    handled_updates: int = 0
    pages_freed: int = 0

    def total(self) -> int:
        return sum(getattr(self, f.name) for f in fields(self) if f.name != "pages_freed")


def prune(
    db: sqlite_utils.Database, *, keep_articles_days: int, now: float | None = None, batch: int = BATCH
) -> Iterator[Pruned]:
    """Delete what retention allows, one batch per transaction, yielding the running totals after each batch."""
    now = time.time() if now is None else now
    cutoff = now - keep_articles_days * DAY
    done = Pruned()
    for count in _batches(
        db,
        "DELETE FROM handled_updates WHERE rowid IN "
        "(SELECT rowid FROM handled_updates WHERE handled_at < ? LIMIT ?)",
        now - updates.KEEP_SECONDS,
        batch,
    ):
        done.handled_updates += count
        yield done
    yield from _prune_articles(db, cutoff, min(batch, ARTICLE_BATCH), done)
    if done.articles:
        yield from _merge_search_index(db, done)
    yield from _prune_stories(db, cutoff, batch, done)
    yield from _prune_deliveries(db, cutoff, batch, done)
    yield from _vacuum(db, done)


def prune_all(db: sqlite_utils.Database, *, keep_articles_days: int, now: float | None = None) -> Pruned:
    """:func:`prune` to the end, in the caller's thread (the CLI, tests and the bench)."""
    last = deque(prune(db, keep_articles_days=keep_articles_days, now=now), maxlen=1)
    return last[0] if last else Pruned()


def _batches(db: sqlite_utils.Database, sql: str, before: float, batch: int) -> Iterator[int]:
    """Run a ``DELETE ... LIMIT ?`` until it deletes nothing, one transaction each."""
    while True:
        with db.conn:
            count = db.conn.execute(sql, (before, batch)).rowcount
        if count <= 0:
            return
        yield count


def _prune_articles(db: sqlite_utils.Database, cutoff: float, batch: int, done: Pruned) -> Iterator[Pruned]:
    """Old articles, oldest first along ``articles_first_seen``; never one a waiting alert points at."""
    while True:
        with db.conn:
            ids = [
                row[0]
                for row in db.conn.execute(
                    """SELECT id FROM articles WHERE first_seen < ?
                       AND id NOT IN (SELECT article_id FROM deliveries WHERE state IN ('pending', 'sending'))
                       ORDER BY first_seen LIMIT ?""",
                    (cutoff, batch),
                )
            ]
            if not ids:
                return
            marks = ",".join("?" * len(ids))
            done.tombstones += db.conn.execute(
                f"""INSERT OR IGNORE INTO article_tombstones (feed_id, guid_hash, gone_at)
                    SELECT feed_id, guid_hash, first_seen FROM articles
                    WHERE id IN ({marks}) AND published = first_seen""",
                ids,
            ).rowcount
            done.articles += db.conn.execute(f"DELETE FROM articles WHERE id IN ({marks})", ids).rowcount
        yield done


def _merge_search_index(db: sqlite_utils.Database, done: Pruned) -> Iterator[Pruned]:
    """FTS5 keeps a deleted article's entries (and a delete marker) until the segments holding them are merged;
    the big old segments rarely are, and without this the search index grew by a tenth each day while the
    articles stayed level (bench/retention.py). Merge steps of every level (FTS5 ``'merge'`` with a negative
    page count), each its own short transaction, until a step does no work."""
    for _ in range(MAX_MERGE_STEPS):
        before = db.conn.total_changes
        with db.conn:
            db.conn.execute("INSERT INTO articles_fts (articles_fts, rank) VALUES ('merge', ?)", (MERGE_PAGES,))
        yield done
        if db.conn.total_changes - before < 2:  # FTS5's documented sign that the merge did nothing
            return


def _prune_stories(db: sqlite_utils.Database, cutoff: float, batch: int, done: Pruned) -> Iterator[Pruned]:
    """Stories last seen before the cutoff that have no article left, walking ``stories_last_seen`` in pages."""
    after = (float("-inf"), 0)
    while True:
        page = db.conn.execute(
            "SELECT last_seen, id FROM stories WHERE last_seen < ? AND (last_seen, id) > (?, ?) "
            "ORDER BY last_seen, id LIMIT ?",
            (cutoff, after[0], after[1], batch),
        ).fetchall()
        if not page:
            return
        after = page[-1]
        ids = [row[1] for row in page]
        marks = ",".join("?" * len(ids))
        with db.conn:
            done.stories += db.conn.execute(
                f"DELETE FROM stories WHERE id IN ({marks}) "
                "AND NOT EXISTS (SELECT 1 FROM articles a WHERE a.story_id = stories.id)",
                ids,
            ).rowcount
        yield done


def _prune_deliveries(db: sqlite_utils.Database, cutoff: float, batch: int, done: Pruned) -> Iterator[Pruned]:
    """Finished outbox rows older than the cutoff whose story has no article left, in id order (ids grow with
    ``created_at``, so the walk ends at the first page that reaches the cutoff)."""
    after = 0
    while True:
        page = db.conn.execute(
            "SELECT id, created_at FROM deliveries WHERE id > ? ORDER BY id LIMIT ?", (after, batch)
        ).fetchall()
        if not page:
            return
        after = page[-1][0]
        ids = [row[0] for row in page if row[1] < cutoff]
        if ids:
            marks = ",".join("?" * len(ids))
            with db.conn:
                done.deliveries += db.conn.execute(
                    f"DELETE FROM deliveries WHERE id IN ({marks}) AND state IN {_FINISHED} "
                    "AND NOT EXISTS (SELECT 1 FROM articles a WHERE a.story_id = deliveries.story_id)",
                    ids,
                ).rowcount
        yield done
        if len(ids) < len(page):
            return


def _vacuum(db: sqlite_utils.Database, done: Pruned) -> Iterator[Pruned]:
    """Give free pages back to the file system, a few thousand pages per step (only in incremental mode)."""
    if not is_incremental(db):
        return
    while True:
        free = int(db.execute("PRAGMA freelist_count").fetchone()[0])
        if free == 0:
            return
        # executescript steps the pragma to the end; a plain execute frees one page only.
        db.conn.executescript(f"PRAGMA incremental_vacuum({VACUUM_PAGES});")
        done.pages_freed += free - int(db.execute("PRAGMA freelist_count").fetchone()[0])
        yield done


def enable_incremental_vacuum(db: sqlite_utils.Database) -> bool:
    """Switch a database made before incremental vacuum (auto_vacuum NONE) to it, with the one full ``VACUUM``
    that takes; True if it switched. Call it at start, before other connections are busy: the VACUUM holds the
    write lock while it rewrites the file and needs free disk space about the size of the database. New databases
    are created incremental (:func:`storage.db.connect`) and never need this."""
    if is_incremental(db):
        return False
    db.execute("PRAGMA auto_vacuum = INCREMENTAL")
    db.execute("VACUUM")
    return is_incremental(db)


def is_incremental(db: sqlite_utils.Database) -> bool:
    """Whether the file gives deleted pages back with ``PRAGMA incremental_vacuum``."""
    return bool(db.execute("PRAGMA auto_vacuum").fetchone()[0] == _INCREMENTAL)
