"""Digests: the alerts a chat asked to get together, sent as one message when they are due.

Fan-out (:mod:`bot.fanout`) gives an outbox row ``mode = 'digest'`` and sets its ``next_attempt_at`` to the moment it
should go out (:func:`bot.timing.release_time`): the chat's daily or hourly digest, the end of its quiet hours, or
the next full hour when the per-hour cap overflowed. :class:`DigestSender` finds the chats with rows due, claims each
chat's due rows at once and sends them as one message: a bold header saying what it is ("Your daily digest — 5
stories", "While you were in quiet hours — 3 stories"), then the stories grouped by the subscription that matched
them, newest first, each a compact entry (the title as a bold link, the source, the time in the chat's zone).
Past 4,096 characters it becomes several messages, cut between entries, each valid HTML on its own.

Sending goes through :meth:`bot.delivery.Deliverer.send`, so a digest meets Telegram's answers as an alert does:
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
import html
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlite_utils
from telegram import Bot

from bot import timing
from bot.delivery import Counters, Deliverer, Outcome, SendResult
from bot.messages import MAX_MESSAGE, bold, clean, italic, safe_url, source_name, text_length, truncate
from storage import digests as digest_store
from storage import outbox

log = logging.getLogger("newsalert.digests")

_MAX_TITLE = 200
_MAX_LABEL = 100
_BATCH = 200  # chats fetched per due-chats query
_RECENT = 2 * 3600  # overflow rows younger than this are "from the past hour"


class Kind(StrEnum):
    """Why a digest's stories waited, which is what its header says."""

    DAILY = "daily"
    QUIET = "quiet"
    HOURLY = "hourly"
    OVERFLOW = "overflow"


# A digest mixing reasons is named by the first that applies: a daily digest released at the end of quiet hours is
# still the daily digest; an hourly digest that quiet hours held is news from the night.
_PRECEDENCE = (Kind.DAILY, Kind.QUIET, Kind.HOURLY, Kind.OVERFLOW)


def row_kind(row: dict[str, Any]) -> Kind:
    """Why this row became a digest row, from the subscriber's settings (columns of the claimed row)."""
    digest = row.get("digest") or "off"
    if digest == "daily":
        return Kind.DAILY
    created = datetime.fromtimestamp(float(row["created_at"]), UTC)
    natural = timing.next_hourly_digest(created) if digest == "hourly" else created
    start, end = row.get("quiet_start"), row.get("quiet_end")
    if start and end and timing.in_quiet_hours(natural, row.get("timezone") or "UTC", start, end):
        return Kind.QUIET
    return Kind.HOURLY if digest == "hourly" else Kind.OVERFLOW


def digest_title(rows: Sequence[dict[str, Any]], now: float) -> str:
    """The header line without its count, e.g. "📰 Your daily digest"."""
    kinds = {row_kind(row) for row in rows}
    kind = next(k for k in _PRECEDENCE if k in kinds)
    if kind is Kind.DAILY:
        return "📰 Your daily digest"
    if kind is Kind.QUIET:
        return "🌙 While you were in quiet hours"
    if kind is Kind.HOURLY:
        return "🕐 Your hourly digest"
    if all(now - float(row["created_at"]) <= _RECENT for row in rows):
        return "📬 More alerts from the past hour"
    return "📬 Alerts held for you"


# --------------------------------------------------------------------------------------------------- rendering


@dataclass(frozen=True)
class DigestPart:
    """One message of a digest: HTML, the same as plain text (Telegram's fallback), and the rows it carries."""

    html: str
    plain: str
    delivery_ids: tuple[int, ...]


@dataclass(frozen=True)
class _Block:
    html: str
    plain: str

    @property
    def size(self) -> int:
        # Packing by the longer of the two keeps the plain-text fallback within the limit as well.
        return max(text_length(self.html), text_length(self.plain))


def _zone(name: str | None) -> Any:
    try:
        return ZoneInfo(name) if name else UTC
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def _when(row: dict[str, Any]) -> float:
    return float(row.get("published") or row.get("first_seen") or row["created_at"])


def entry_time(timestamp: float, zone: Any, now: float) -> str:
    """ "07:42 EET" for the digest's own (local) day, "26 Nov, 21:10 EET" for an earlier one."""
    moment = datetime.fromtimestamp(timestamp, zone)
    day = "" if moment.date() == datetime.fromtimestamp(now, zone).date() else f"{moment.day} {moment:%b}, "
    return f"{day}{moment:%H:%M} {moment.tzname() or 'UTC'}"


def _one_line(text: object) -> str:
    """Untrusted text on one line, with control characters and lone surrogates gone (plain text too must be sendable)."""
    return " ".join(clean(text).split())


def _label(row: dict[str, Any]) -> str:
    """The subscription that matched, as the user typed it (the explanation keeps it even if it was removed)."""
    try:
        explanation = json.loads(row.get("explanation") or "{}")
    except ValueError:
        explanation = {}
    label = explanation.get("subscription") if isinstance(explanation, dict) else None
    text = _one_line(label or row.get("subscription_raw"))
    return truncate(text, _MAX_LABEL) if text else "Other matches"


def _entry(row: dict[str, Any], zone: Any, now: float) -> _Block:
    title = truncate(_one_line(row.get("title")) or "Untitled article", _MAX_TITLE)
    url = safe_url(row.get("url"))
    feed = {k: row.get(f"feed_{k}") for k in ("name", "title", "url", "site_url")}
    meta = [source_name(feed, row.get("url")), entry_time(_when(row), zone, now)]
    sources = int(row.get("story_sources") or 1)
    if sources > 1:
        meta.append(f"{sources} sources")
    line = " · ".join(meta)
    heading = bold(title)
    if url:
        heading = f'<a href="{html.escape(url, quote=True)}">{heading}</a>'
    plain = f"• {title}\n   {line}" + (f"\n   {url}" if url else "")
    return _Block(f"• {heading}\n   {italic(line)}", plain)


def _group_heading(label: str, continued: bool) -> _Block:
    more = " (continued)" if continued else ""
    return _Block(f"🔎 {bold(label)}{italic(more) if more else ''}", f"🔎 {label}{more}")


def _groups(rows: Sequence[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """Rows grouped by subscription, newest story first within a group, the group with the newest story first."""
    grouped: dict[Any, tuple[str, list[dict[str, Any]]]] = {}
    for row in rows:
        label = _label(row)
        key = row.get("subscription_id") or label
        grouped.setdefault(key, (label, []))[1].append(row)
    for _, members in grouped.values():
        members.sort(key=lambda r: (_when(r), r["id"]), reverse=True)
    return sorted(grouped.values(), key=lambda g: (_when(g[1][0]), g[1][0]["id"]), reverse=True)


class _Packer:
    """Fills messages with group headings and entries, never cutting an entry nor leaving a heading alone."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.parts: list[tuple[list[str], list[str], list[int]]] = []
        self._size = 0
        self._group_open = False

    def _new_part(self) -> None:
        self.parts.append(([], [], []))
        self._size = 0
        self._group_open = False

    def add_group(self, heading: _Block, continued: _Block, entries: Sequence[tuple[int, _Block]]) -> None:
        self._group_open = False
        for index, (delivery_id, entry) in enumerate(entries):
            head = None if self._group_open else (continued if index else heading)
            cost = entry.size + 1 + (head.size + (2 if self._size else 0) if head else 0)
            if not self.parts or (self._size and self._size + cost > self.budget):
                self._new_part()
                head = continued if index else heading
                cost = head.size + 1 + entry.size
            html_lines, plain_lines, ids = self.parts[-1]
            if head is not None:
                separator = "\n\n" if html_lines else ""
                html_lines.append(separator + head.html)
                plain_lines.append(separator + head.plain)
                self._group_open = True
            html_lines.append("\n" + entry.html)
            plain_lines.append("\n" + entry.plain)
            ids.append(delivery_id)
            self._size += cost


def render_digest(
    rows: Sequence[dict[str, Any]], *, now: float, limit: int = MAX_MESSAGE
) -> list[DigestPart]:
    """The messages of one chat's digest (claimed rows with article, feed and subscriber columns), in order.

    Every part starts with the header (numbered "(2/3)" when there are several) and holds whole entries only;
    a group cut between parts is headed again as "(continued)". Each part's HTML and plain text stay within
    ``limit`` (counted as :func:`bot.messages.text_length` does).
    """
    if not rows:
        return []
    zone = _zone(rows[0].get("timezone"))
    count = len(rows)
    title = f"{digest_title(rows, now)} — {count} {'story' if count == 1 else 'stories'}"
    widest = _Block(bold(f"{title} ({count}/{count})"), f"{title} ({count}/{count})")
    packer = _Packer(limit - widest.size - 2)
    for label, members in _groups(rows):
        entries = [(int(row["id"]), _entry(row, zone, now)) for row in members]
        packer.add_group(_group_heading(label, False), _group_heading(label, True), entries)
    total = len(packer.parts)
    parts = []
    for number, (html_lines, plain_lines, ids) in enumerate(packer.parts, 1):
        header = title if total == 1 else f"{title} ({number}/{total})"
        parts.append(
            DigestPart(
                html=f"{bold(header)}\n\n{''.join(html_lines)}",
                plain=f"{header}\n\n{''.join(plain_lines)}",
                delivery_ids=tuple(ids),
            )
        )
    return parts


# ----------------------------------------------------------------------------------------------------- sending


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

    Share the running bot's :class:`~bot.delivery.Deliverer` (and so its database connection, pacing memory and
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
            kept.append(row)
        if gone:
            stats.dropped += digest_store.mark_dropped(self.db, gone, "article removed")
        return kept

    async def _send_chat(
        self, chat_id: int, rows: list[dict[str, Any]], now: float | None, stop: asyncio.Event | None
    ) -> DigestStats:
        stats = DigestStats()
        rows = self._resolve_articles(rows, stats)
        if not rows:
            return stats
        stats.chats = 1
        parts = render_digest(rows, now=self._time(now))
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

    The running bot should keep one :class:`DigestSender` built on its :class:`~bot.delivery.Deliverer` instead,
    so alerts and digests share per-chat pacing.
    """
    stats = await DigestSender(Deliverer(bot, db)).send_due(now=now)
    return stats.messages
