"""Digests: the alerts a chat asked to get together, sent as one message when they are due.

Fan-out (:mod:`alerts.fanout`) gives an outbox row ``mode = 'digest'`` and sets its ``next_attempt_at`` to the moment it
should go out (:func:`alerts.timing.release_time`): the chat's daily or hourly digest, the end of its quiet hours, or
the next full hour when the per-hour cap overflowed. :class:`DigestSender` finds the chats with rows due, claims each
chat's due rows at once and sends them as one message: a bold header saying what it is ("Your daily digest — 5
stories", "While you were in quiet hours — 3 stories"), then the stories grouped by the subscription that matched
them, newest first, each a compact entry (the title as a bold link, the story's outlets — "Reuters, AP and 3 more"
— and the time in the chat's zone). A story is one entry however many outlets reported it: the outbox holds one
row per chat and story.
Past 4,096 characters it becomes several messages, cut between entries, each valid HTML on its own.

Sending goes through :meth:`alerts.delivery.Deliverer.send`, so a digest meets Telegram's answers as an alert does:
429 → the rows wait ``retry_after`` (not an attempt); timeout/5xx → backoff, then ``failed`` after
``max_attempts``; 403 and gone chats → the subscriber becomes inactive and its rows are dropped, at the first
answer; a migrated group gets it at its new id; HTML refused → plain text. Crash safety is the outbox's: a chat's
rows go ``pending → sending`` in one transaction, and each message's rows become ``sent`` (with its message id, so
a reply to a digest finds them) in one transaction right after Telegram accepts it. After ``kill -9`` only the
message in flight can arrive twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlite_utils
from telegram import Bot

from alerts.delivery import Deliverer
from alerts.digest_render import DigestPart, render_digest
from alerts.messages import source_name
from alerts.outcomes import Counters, Outcome, SendResult
from alerts.outlets import feed_of, other_names
from storage import digests as digest_store
from storage import outbox

log = logging.getLogger("newsalert.digests")

_BATCH = 200  # chats fetched per due-chats query



@dataclass
class DigestStats(Counters):
    """What a run did: ``messages`` Telegram accepted, carrying ``stories`` outbox rows, to ``chats`` chats."""

    chats: int = 0
    messages: int = 0
    stories: int = 0
    plain_fallbacks: int = 0
    rate_limited: int = 0
    retried: int = 0
    failed: int = 0
    dropped: int = 0
    deactivated_chats: int = 0
    migrated_chats: int = 0


class DigestSender:
    """Sends every due digest, one chat's digest at a time per task, up to ``concurrency`` chats at once.

    Share the running bot's :class:`~alerts.delivery.Deliverer` (and so its database connection, pacing memory and
    token redaction). The messages of one digest are ``part_interval`` seconds apart (default: the deliverer's
    per-chat interval, Telegram's ~1 message a second in a chat). Call :meth:`send_due` from a repeating job.
    """

    def __init__(
        self,
        deliverer: Deliverer,
        *,
        concurrency: int = 30,
        part_interval: float | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.deliverer = deliverer
        self.db: sqlite_utils.Database = deliverer.db
        self.concurrency = concurrency
        self.part_interval = deliverer.per_chat_interval if part_interval is None else part_interval
        self._clock = clock

    def _time(self, now: float | None) -> float:
        return self._clock() if now is None else now

    async def send_due(
        self, *, now: float | None = None, max_seconds: float | None = None, stop: asyncio.Event | None = None
    ) -> DigestStats:
        """Send the digest of every chat with rows due at ``now`` (default: the clock), then return.

        ``max_seconds`` bounds one call (a scheduler job) and ``stop`` ends it early (shutdown); digests already
        started finish their current message, and rows not sent go back to the queue, due at once.
        """
        total = DigestStats()
        started = time.monotonic()
        handled: set[int] = set()
        queue: list[int] = []
        exhausted = False
        tasks: set[asyncio.Task[DigestStats]] = set()
        while True:
            stopping = (stop is not None and stop.is_set()) or (
                max_seconds is not None and time.monotonic() - started >= max_seconds
            )
            while not stopping and not exhausted and len(tasks) < self.concurrency:
                if not queue:
                    queue = digest_store.due_chats(
                        self.db, now=self._time(now), limit=_BATCH, exclude=handled
                    )
                    queue.reverse()
                    if not queue:
                        exhausted = True
                        break
                chat_id = queue.pop()
                handled.add(chat_id)
                tasks.add(asyncio.create_task(self._send_chat_safely(chat_id, now, stop)))
                # Let it claim and render (a few ms) before the next starts, so the loop is never held for all.
                await asyncio.sleep(0)
            if not tasks:
                return total
            done, tasks = await asyncio.wait(tasks, timeout=0.5, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                total.add(task.result())

    async def _send_chat_safely(
        self, chat_id: int, now: float | None, stop: asyncio.Event | None
    ) -> DigestStats:
        rows: list[dict[str, Any]] = []
        try:
            rows = digest_store.claim_chat(self.db, chat_id, now=self._time(now))
            return await self._send_chat(chat_id, rows, now, stop)
        except Exception as exc:  # a bug, not a Telegram answer: keep the rows, try later, and say so
            error = self.deliverer.redact(repr(exc))
            log.error("digest for chat %s crashed: %s", chat_id, error)
            digest_store.schedule_retry(
                self.db, [row["id"] for row in rows], at=self._time(now) + 60, error=error
            )
            return DigestStats(retried=1)

    def _resolve_articles(self, rows: list[dict[str, Any]], stats: DigestStats) -> list[dict[str, Any]]:
        """Rows whose article was removed with its feed show another article of the story, or are dropped."""
        kept, gone = [], []
        for row in rows:
            if row.get("title") is None:
                other = digest_store.substitute_article(self.db, int(row["story_id"]))
                if other is None:
                    gone.append(int(row["id"]))
                    continue
                row = {**row, **other}
            kept.append(self._with_outlets(row))
        if gone:
            stats.dropped += digest_store.mark_dropped(self.db, gone, "article removed")
        return kept

    def _with_outlets(self, row: dict[str, Any]) -> dict[str, Any]:
        """The row with ``story_outlets``: every outlet of its story by name, its own first ("Reuters, AP and 3
        more" in the digest), when more than one feed carries the story."""
        if int(row.get("story_sources") or 1) <= 1:
            return row
        own = source_name(feed_of(row), row.get("url"))
        return {**row, "story_outlets": [own, *other_names(self.db, int(row["story_id"]), own)]}

    async def _send_chat(
        self, chat_id: int, rows: list[dict[str, Any]], now: float | None, stop: asyncio.Event | None
    ) -> DigestStats:
        stats = DigestStats()
        rows = self._resolve_articles(rows, stats)
        if not rows:
            return stats
        stats.chats = 1
        parts = render_digest(rows, now=self._time(now), language=rows[0].get("language") or "en")
        attempts = max(int(row["attempts"]) for row in rows)
        for index, part in enumerate(parts):
            rest = [i for p in parts[index:] for i in p.delivery_ids]
            if index:
                await self._pause(stop)
                if stop is not None and stop.is_set():
                    digest_store.schedule_retry(
                        self.db, rest, at=self._time(now), error="stopped mid-digest", count_attempt=False
                    )
                    return stats
            result = await self.deliverer.send(
                chat_id,
                html=part.html,
                plain=part.plain,
                label=f"digest {index + 1}/{len(parts)} for chat {chat_id}",
                silent=bool(rows[0].get("chat_silent")),  # /silent on: digests arrive without a sound too
            )
            stats.plain_fallbacks += int(result.plain_fallback)
            stats.migrated_chats += int(result.migrated)
            chat_id = result.chat_id
            if result.outcome is Outcome.REFUSED:
                stats.failed += digest_store.mark_failed(self.db, part.delivery_ids, result.error)
                continue
            if not self._record(result, part, rest, attempts, now, stats):
                return stats
        return stats

    async def _pause(self, stop: asyncio.Event | None) -> None:
        """The gap between two messages of a digest, cut short by shutdown."""
        if stop is None:
            await asyncio.sleep(self.part_interval)
            return
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), self.part_interval)

    def _record(
        self,
        result: SendResult,
        part: DigestPart,
        rest: list[int],
        attempts: int,
        now: float | None,
        stats: DigestStats,
    ) -> bool:
        """Write what Telegram answered onto the rows; whether the rest of this digest should still be sent."""
        if result.outcome is Outcome.SENT:
            assert result.message_id is not None
            digest_store.mark_sent(self.db, part.delivery_ids, result.message_id, now=self._time(now))
            stats.messages += 1
            stats.stories += len(part.delivery_ids)
            return True
        at = self._time(now)
        if result.outcome is Outcome.RATE_LIMITED:
            digest_store.schedule_retry(
                self.db, rest, at=at + result.retry_after, error=result.error, count_attempt=False
            )
            stats.rate_limited += 1
        elif result.outcome is Outcome.TOKEN_REFUSED:
            digest_store.schedule_retry(self.db, rest, at=at + 60, error=result.error, count_attempt=False)
            stats.retried += 1
        elif result.outcome is Outcome.GONE:
            dropped = outbox.deactivate_chat(self.db, result.chat_id, result.error)
            log.info(
                "chat %s is gone (%s): marked inactive, %d queued alert(s) dropped",
                result.chat_id,
                result.error,
                dropped,
            )
            stats.dropped += dropped
            stats.deactivated_chats += 1
        elif attempts >= self.deliverer.max_attempts:
            error = f"gave up after {attempts} attempts: {result.error}"
            stats.failed += digest_store.mark_failed(self.db, rest, error)
            log.warning("digest for chat %s failed for good: %s", result.chat_id, result.error)
        else:
            delay = self.deliverer.backoff(attempts)
            digest_store.schedule_retry(self.db, rest, at=at + delay, error=result.error)
            log.info("digest for chat %s: %s; retry in %.1f s", result.chat_id, result.error, delay)
            stats.retried += 1
        return False


async def send_due_digests(bot: Bot, db: sqlite_utils.Database, *, now: float | None = None) -> int:
    """Send every digest due at ``now`` with a throwaway sender; returns how many messages Telegram accepted.

    The running bot should keep one :class:`DigestSender` built on its :class:`~alerts.delivery.Deliverer` instead,
    so alerts and digests share per-chat pacing.
    """
    stats = await DigestSender(Deliverer(bot, db)).send_due(now=now)
    return stats.messages
