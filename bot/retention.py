"""The daily retention job: :func:`storage.retention.prune` on its own connection, one batch at a time in a worker
thread, so the event loop (commands, delivery) never waits on it and other writers wait at most one batch.

At start, a database made before incremental vacuum is switched to it once (:func:`switch_vacuum_mode`), before
the bot answers anyone, since that one full ``VACUUM`` holds the write lock while it rewrites the file.
"""

from __future__ import annotations

import asyncio
import logging
import sqlite3
import time

import sqlite_utils
from telegram.ext import ContextTypes

from storage.db import connect
from storage.retention import Pruned, enable_incremental_vacuum, is_incremental, prune

log = logging.getLogger(__name__)

INTERVAL = 86_400.0
FIRST_RUN_AFTER = 600.0  # let the first poll cycle and the matcher load have the machine first


class RetentionJob:
    """Run retention for ``path``; ``stopping`` ends it between batches (shutdown)."""

    def __init__(self, path: str, keep_articles_days: int, stopping: asyncio.Event) -> None:
        self.path = path
        self.keep_articles_days = keep_articles_days
        self.stopping = stopping

    async def __call__(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        try:
            await self.run()
        except sqlite3.Error as error:  # a full disk or a busy file: tomorrow's run tries again
            log.warning("retention stopped: %s", error)

    async def run(self, now: float | None = None) -> Pruned:
        """Prune to the end (or until shutdown); returns what went."""
        started = time.monotonic()
        db = await asyncio.to_thread(connect, self.path)
        done = Pruned()
        try:
            steps = prune(db, keep_articles_days=self.keep_articles_days, now=now)
            while not self.stopping.is_set():
                step = await asyncio.to_thread(next, steps, None)
                if step is None:
                    break
                done = step
                await asyncio.sleep(0)  # let the loop run what waited on this batch
        finally:
            await asyncio.to_thread(db.conn.close)
        if done.total() or done.pages_freed:
            log.info(
                "retention: %d articles, %d stories, %d outbox rows, %d handled updates deleted, "
                "%d pages given back, in %.1f s",
                done.articles,
                done.stories,
                done.deliveries,
                done.handled_updates,
                done.pages_freed,
                time.monotonic() - started,
            )
        return done


def switch_vacuum_mode(db: sqlite_utils.Database) -> None:
    """Once per database file made before incremental vacuum; a failure (no room for the copy VACUUM makes) only
    means deleted pages are reused inside the file instead of given back, so the bot starts anyway."""
    if is_incremental(db):
        return
    log.info("switching the database to incremental vacuum (once; a large file takes a while)")
    try:
        enable_incremental_vacuum(db)
    except sqlite3.Error as error:
        log.warning("database left without incremental vacuum for now: %s", error)
