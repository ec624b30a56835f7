"""One poll cycle: fetch the due feeds, parse them on every core, store what is new, group it into stories.

Fetching is asyncio (hundreds of feeds wait on the network at once); parsing, cleaning and summarising are
CPU-bound and run in a process pool so both cores work and the event loop stays free. A pipeline slot is held
from the start of a fetch until its body is parsed, so at most ``polling.max_concurrency`` bodies are in memory
however fast the network is. Finished feeds are written in small batches (at most :data:`WRITE_BATCH` feeds or
:data:`WRITE_INTERVAL` seconds), so an interrupted cycle keeps nearly all it finished. Database writes happen on
the event loop's thread (one SQLite connection, short transactions).

Measured on this 2-core machine with ``bench/ingest.py`` (10,000 copies of the real feeds served from loopback):
see the README for the figures. Most of a changed cycle's CPU outside the parser is story grouping.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import os
import time
import weakref
from collections.abc import Callable, Iterable
from concurrent.futures import Executor, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from typing import Any, Protocol

import sqlite_utils

from feeds.fetch import Fetcher, FetchResult
from feeds.parse import ParsedFeed, process_feed
from feeds.schedule import next_check_after_failure, next_check_after_success
from feeds.workers import ParsePool
from storage import articles as article_store
from storage import feeds as feed_store
from storage import stories


class PollingSettings(Protocol):
    """What a poll cycle reads of the ``[polling]`` settings (``bot.config.PollingConfig`` has it)."""

    @property
    def interval_seconds(self) -> int: ...

    @property
    def timeout_seconds(self) -> int: ...

    @property
    def max_body_bytes(self) -> int: ...

    @property
    def max_concurrency(self) -> int: ...

    @property
    def allow_private_addresses(self) -> bool: ...


class PollConfig(Protocol):
    """The configuration a poll cycle is given: only its ``polling`` section is read."""

    @property
    def polling(self) -> PollingSettings: ...

log = logging.getLogger(__name__)

PARSE_WORKERS = min(4, max(2, os.cpu_count() or 2))
# New articles are grouped into stories in batches: each assign_stories call has a fixed cost (its transaction,
# pruning the candidate index) that dominated a cycle of small changes when paid once per feed. Whatever is
# pending is grouped before poll_once returns, and fan-out groups any article a crash left without a story.
STORY_BATCH = 500
# Finished feeds are written in one transaction per batch: a commit per feed made WAL traffic (and checkpoints of
# a large database) the bottleneck of a cycle over thousands of feeds. A crash loses at most one batch of
# results, whose feeds are simply fetched again (their validators were not stored either).
WRITE_BATCH = 64
WRITE_INTERVAL = 0.5
# A feed that keeps failing is logged when it starts, every this many failures after, and when it recovers: a
# dead feed polled for days must not fill the log with the same line.
LOG_FAILURE_EVERY = 10

ProgressCallback = Callable[[int, int], None]

_pool: ProcessPoolExecutor | None = None

_SeenChunks = dict[tuple[int, str, float], frozenset[int]]

# Per database, per feed (id, url, added_at): hashes of the raw item elements of its last stored parse, so the next
# parse can skip the items it already has (see feeds.parse.trim_seen_items). Only the very same feed row of the
# very same database may skip items: SQLite may give a removed feed's id to the next feed added, and one process
# may poll several databases (tests, benchmarks), even two copies of one file whose rows look alike but hold
# different articles. Keyed by the open Database object, so a database's entries go when it is dropped. In memory
# only: after a restart the first parse of each feed is whole, which is merely slower. ~1 KB a feed.
_seen_chunks: weakref.WeakKeyDictionary[sqlite_utils.Database, _SeenChunks] = weakref.WeakKeyDictionary()


def _seen_key(feed: dict[str, Any]) -> tuple[int, str, float]:
    return (feed["id"], feed["url"], feed["added_at"])


def parse_pool() -> ProcessPoolExecutor:
    """The shared parse pool, started on first use ("spawn": the bot process has threads, fork is unsafe).

    Its workers end when this process does, however it ends, and ignore Ctrl-C (:mod:`feeds.workers`).
    """
    global _pool
    if _pool is None:
        _pool = ParsePool(PARSE_WORKERS, multiprocessing.get_context("spawn"), os.getpid())
    return _pool


def shutdown_parse_pool() -> None:
    """Stop the shared parse pool's workers (at shutdown, or after a worker died and broke the pool)."""
    global _pool
    if _pool is not None:
        _pool.shutdown(wait=True, cancel_futures=True)
        _pool = None


@dataclass
class PollResult:
    new_article_ids: list[int] = field(default_factory=list)
    feeds_polled: int = 0
    feeds_failed: int = 0
    feeds_not_modified: int = 0
    started_failing: list[dict[str, Any]] = field(default_factory=list)
    recovered: list[dict[str, Any]] = field(default_factory=list)
    errors: dict[int, str] = field(default_factory=dict)


@dataclass
class _Outcome:
    """One feed's finished poll, waiting to be written with others in one transaction.

    ``finished_at`` is when its fetch and parse ended: its next check counts from then, not from when the batch
    is written. A batch may wait for a slow feed of the same cycle (up to the fetch timeout); counted from the
    write, a healthy feed's checks would drift into step with that feed's, and its new items would wait for it
    in every cycle.
    """

    feed: dict[str, Any]
    fetched: FetchResult
    finished_at: float
    parsed: ParsedFeed | None = None
    error: str | None = None


class _Cycle:
    """State shared by the feeds of one cycle."""

    def __init__(
        self,
        db: sqlite_utils.Database,
        config: PollConfig,
        fetcher: Fetcher,
        executor: Executor,
        now: float | None,
        allow_private: bool,
        owns_pool: bool,
    ) -> None:
        self.db = db
        self.seen_chunks = _seen_chunks.setdefault(db, {})
        self.config = config
        self.fetcher = fetcher
        self.executor = executor
        self.fixed_now = now
        self.allow_private = allow_private
        self.owns_pool = owns_pool
        self.slots = asyncio.Semaphore(config.polling.max_concurrency)
        self.result = PollResult()
        self.ungrouped: list[int] = []
        self.pending: list[_Outcome] = []
        self.last_flush = time.monotonic()

    def now(self) -> float:
        return time.time() if self.fixed_now is None else self.fixed_now

    def interval(self, feed: dict[str, Any]) -> int:
        return int(feed["interval"] or self.config.polling.interval_seconds)

    async def poll(self, feed: dict[str, Any]) -> None:
        async with self.slots:
            fetched = await self.fetcher.fetch(
                feed["url"],
                etag=feed["etag"],
                last_modified=feed["last_modified"],
                allow_private=self.allow_private,
            )
            if fetched.error is not None:
                self._queue(_Outcome(feed, fetched, self.now(), error=fetched.error))
                return
            if fetched.not_modified:
                self._queue(_Outcome(feed, fetched, self.now()))
                return
            known = article_store.known_guid_hashes(self.db, feed["id"])
            seen = self.seen_chunks.get(_seen_key(feed), frozenset())
            loop = asyncio.get_running_loop()
            pool = self.executor
            try:
                parsed = await loop.run_in_executor(
                    pool, process_feed, fetched.body or b"", fetched.content_type, known, seen
                )
            except BrokenProcessPool:
                # A worker died (killed for memory, most likely): this feed failed, the others go on in a new pool.
                self._queue(
                    _Outcome(feed, fetched, self.now(), error="internal error: the parser process died")
                )
                self._renew_pool(pool)
                return
            if isinstance(parsed, str):
                self._queue(_Outcome(feed, fetched, self.now(), error=parsed))
            else:
                self._queue(_Outcome(feed, fetched, self.now(), parsed=parsed))

    def _queue(self, outcome: _Outcome) -> None:
        self.pending.append(outcome)
        if len(self.pending) >= WRITE_BATCH or time.monotonic() - self.last_flush >= WRITE_INTERVAL:
            self.flush()

    def flush(self) -> None:
        """Store every finished feed's outcome in one transaction, then group new articles if enough piled up."""
        self.last_flush = time.monotonic()
        if not self.pending:
            return
        batch, self.pending = self.pending, []
        with self.db.conn:
            for outcome in batch:
                self._apply(outcome)
        for outcome in batch:
            if outcome.parsed is not None:
                self.seen_chunks[_seen_key(outcome.feed)] = outcome.parsed.chunk_hashes
        if len(self.ungrouped) >= STORY_BATCH:
            self.group_stories()

    def group_stories(self) -> None:
        """Give the articles stored since the last call their stories."""
        if self.ungrouped:
            ids, self.ungrouped = self.ungrouped, []
            stories.assign_stories(self.db, ids, self.now())

    def _renew_pool(self, broken: Executor) -> None:
        if self.owns_pool and broken is self.executor:
            shutdown_parse_pool()
            self.executor = parse_pool()

    def _apply(self, outcome: _Outcome) -> None:
        if outcome.error is not None:
            self._failed(outcome, outcome.error)
            return
        if outcome.parsed is not None:
            new_ids = article_store.insert_articles(
                self.db, outcome.feed["id"], outcome.parsed.items, now=self.now(), commit=False
            )
            self.result.new_article_ids.extend(new_ids)
            self.ungrouped.extend(new_ids)
        self._succeeded(outcome)

    def _succeeded(self, outcome: _Outcome) -> None:
        feed, fetched, parsed, now = outcome.feed, outcome.fetched, outcome.parsed, outcome.finished_at
        self.result.feeds_polled += 1
        if parsed is None:
            self.result.feeds_not_modified += 1
        next_at = next_check_after_success(
            now,
            self.interval(feed),
            max_age=fetched.max_age,
            ttl=parsed.ttl_seconds if parsed else None,
            retry_after=fetched.retry_after,
        )
        recovered = feed_store.record_success(
            self.db,
            feed["id"],
            now=now,
            next_check_at=next_at,
            etag=fetched.etag,
            last_modified=fetched.last_modified,
            title=parsed.title if parsed else None,
            site_url=parsed.site_url if parsed else None,
            not_modified=parsed is None,
            commit=False,
        )
        if recovered:
            self.result.recovered.append(feed_store.get_feed(self.db, feed["id"]) or feed)
        if feed.get("error_count"):
            log.info(
                "feed %s (%s) recovered after %d failed polls", feed["id"], feed["url"], feed["error_count"]
            )

    def _failed(self, outcome: _Outcome, error: str) -> None:
        feed, fetched, now = outcome.feed, outcome.fetched, outcome.finished_at
        self.result.feeds_polled += 1
        self.result.feeds_failed += 1
        self.result.errors[feed["id"]] = error
        _log_failure(feed, feed["error_count"] + 1, error)
        next_at = next_check_after_failure(
            now, self.interval(feed), feed["error_count"] + 1, feed["id"], retry_after=fetched.retry_after
        )
        if feed_store.record_failure(
            self.db, feed["id"], now=now, error=error, next_check_at=next_at, commit=False
        ):
            self.result.started_failing.append(feed_store.get_feed(self.db, feed["id"]) or feed)


def _log_failure(feed: dict[str, Any], failures: int, error: str) -> None:
    """The first failure of a streak, then one line every :data:`LOG_FAILURE_EVERY` with the count."""
    if failures == 1:
        log.warning("feed %s (%s) failing: %s", feed["id"], feed["url"], error)
    elif failures % LOG_FAILURE_EVERY == 0:
        log.warning(
            "feed %s (%s) still failing: %d polls in a row, last: %s", feed["id"], feed["url"], failures, error
        )


async def poll_once(
    db: sqlite_utils.Database,
    config: PollConfig,
    *,
    only_due: bool = True,
    now: float | None = None,
    progress: ProgressCallback | None = None,
    allow_private: bool = True,
    feeds: Iterable[dict[str, Any]] | None = None,
    executor: Executor | None = None,
) -> PollResult:
    """Poll the due feeds (or every feed, or the given feed rows) once and store what is new.

    ``allow_private=True`` trusts every URL (feeds from the config file or the CLI); pass False to refuse
    loopback and private addresses. ``progress(done, total)`` is called after each feed. ``executor`` defaults to
    the shared process pool; tests may pass any :class:`concurrent.futures.Executor`.
    """
    if feeds is not None:
        todo = list(feeds)
    elif only_due:
        todo = feed_store.due_feeds(db, time.time() if now is None else now)
    else:
        todo = feed_store.all_feeds(db)
    polling = config.polling
    async with Fetcher(
        timeout=polling.timeout_seconds,
        max_body_bytes=polling.max_body_bytes,
        max_concurrency=polling.max_concurrency,
    ) as fetcher:
        cycle = _Cycle(db, config, fetcher, executor or parse_pool(), now, allow_private, executor is None)
        done = 0

        async def one(feed: dict[str, Any]) -> None:
            nonlocal done
            try:
                await cycle.poll(feed)
            finally:
                done += 1
                if progress is not None:
                    progress(done, len(todo))

        try:
            await asyncio.gather(*(one(feed) for feed in todo))
        finally:
            cycle.flush()
            cycle.group_stories()
    return cycle.result
