"""The outbox sender: due ``deliveries`` rows → Telegram, through the PTB bot, rate limited and crash-safe.

The bot's scheduler calls :meth:`Deliverer.run_until_idle` every second or two. The Application's limiter
(:func:`rate_limiter`) spaces requests under the configured rate and waits out a 429 itself; a 429 that outlives
its retries comes back here, and the row waits ``retry_after`` and goes again, never dropped.

What each Telegram answer does to a row:

* accepted → ``sent`` with the message id (replies and buttons find the row by it);
* 429 → ``pending`` again after ``retry_after``; the attempt is not counted;
* timeout, connection error, 5xx → ``pending`` again after an exponential backoff (1 s … 5 min, with jitter);
  after ``max_attempts`` such failures → ``failed``;
* 403, 400 "chat not found" or "not enough rights to send" → the subscriber becomes inactive and its waiting
  rows are dropped (``/start`` there reactivates it);
* 400 with ``migrate_to_chat_id`` → the subscriber, its subscriptions and rows move to the new id; resent there;
* 400 "can't parse entities" → resent at once as plain text (same buttons);
* a photo Telegram refuses with any other 400 → sent at once as the text alert (nothing was posted);
* any other 400 → ``failed`` (sending it again would get the same answer).

Every answer is read in :meth:`Deliverer.send`, which digests use too; edits of sent alerts
(:mod:`alerts.story_edits`) go through :meth:`Deliverer.paced`, sharing the limiter and each chat's pacing. Crash
safety comes from the states (:mod:`storage.outbox`): call :func:`recover` once at start-up. The bot token never
reaches a log line, an error text or the database (:func:`alerts.redaction.redact`).
"""

from __future__ import annotations

import asyncio
import functools
import logging
import random
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import sqlite_utils
from telegram import Bot
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
    TelegramError,
)

from alerts import sending
from alerts.appearance import Photo, look_of
from alerts.channel_loss import lost_notices
from alerts.limits import DEFAULT_RATE, rate_limiter
from alerts.messages import Alert, render_alert_cached, source_name
from alerts.outcomes import (
    DeliveryStats,
    Outcome,
    SendResult,
    is_chat_gone,
    is_thread_gone,
    retry_after_seconds,
)
from alerts.outlets import feed_of, other_names
from alerts.redaction import redact
from storage import outbox

__all__ = ["DEFAULT_RATE", "Deliverer", "deliver_due", "rate_limiter", "recover"]  # the limiter: alerts.limits
log = logging.getLogger("newsalert.delivery")

_BACKOFF_BASE = 1.0
_BACKOFF_CAP = 300.0
_CLAIM_CHUNK = 10
_T = TypeVar("_T")


def recover(db: sqlite_utils.Database) -> int:
    """At start-up, before the first delivery: rows a crash left in flight go back to the queue."""
    count = outbox.requeue_sending(db)
    if count:
        log.info("requeued %d alert(s) that were being sent when the bot stopped", count)
    return count


class Deliverer:
    """Sends due outbox rows through ``bot`` and records the outcome of each.

    Keep one per Application: it remembers when each chat last got a message, so one chat is sent at most one
    alert per ``per_chat_interval`` seconds (Telegram's per-chat limit is about one a second), counted from
    Telegram's answer to the previous one, and never two at once.

    ``paid_broadcast`` sends every outbox message (alerts and digests; not replies to commands) with
    ``allow_paid_broadcast``, which lets a bot past Telegram's free ~30 messages/s, up to 1,000/s, paying Stars
    for the messages above the free rate. The rate itself is the Application's limiter's.
    """

    def __init__(
        self,
        bot: Bot,
        db: sqlite_utils.Database,
        *,
        per_chat_interval: float = 1.0,
        max_attempts: int = 30,
        backoff_base: float = _BACKOFF_BASE,
        token: str | None = None,
        clock: Callable[[], float] = time.time,
        paid_broadcast: bool = False,
    ) -> None:
        self.bot = bot
        self.paid_broadcast = paid_broadcast
        self.db = db
        self.per_chat_interval = per_chat_interval
        self.max_attempts = max_attempts
        self.backoff_base = backoff_base
        self._token = token if token is not None else getattr(bot, "token", None)
        self._clock = clock
        self._last_sent: dict[int, float] = {}  # chat_id -> monotonic time it was last claimed or answered
        self._sending: Counter[int] = Counter()  # chat_id -> sends to it awaiting Telegram's answer
        self._backing_off = False  # a send failed transiently and no send has succeeded since

    # ----------------------------------------------------------------------- batches

    def _claim(self, limit: int, now: float | None = None) -> list[dict[str, Any]]:
        rows = outbox.claim_due(
            self.db,
            now=self._clock() if now is None else now,
            limit=limit,
            exclude_chats=self._recent_chats(),
        )
        stamp = time.monotonic()
        for row in rows:
            self._last_sent[int(row["chat_id"])] = stamp
        return rows

    async def deliver_due(self, *, now: float | None = None, limit: int = 100) -> DeliveryStats:
        """Claim up to ``limit`` due rows (one per chat) and send them concurrently; returns what happened."""
        rows = self._claim(limit, now)
        stats = DeliveryStats(claimed=len(rows))
        for result in await asyncio.gather(*(self._deliver_safely(row) for row in rows)):
            stats.add(result)
        return stats

    async def run_until_idle(
        self, *, limit: int = 100, max_seconds: float | None = None, stop: asyncio.Event | None = None
    ) -> DeliveryStats:
        """Send until nothing is due, keeping up to ``limit`` sends in flight so the rate limiter never idles.

        New rows are claimed a few at a time as sends finish, so a steady stream flows at the limiter's rate
        instead of batch by batch, and the event loop never runs a whole window's start-up in one go.
        ``max_seconds`` bounds one call (a scheduler job) and ``stop`` ends it early (shutdown); either way the
        sends already started are finished and recorded. Rows not due yet (backoff, 429) are left for later.
        """
        total = DeliveryStats()
        started = time.monotonic()
        in_flight: set[asyncio.Task[DeliveryStats]] = set()
        last_empty_claim = -1.0e9
        while True:
            stopping = (stop is not None and stop.is_set()) or (
                max_seconds is not None and time.monotonic() - started >= max_seconds
            )
            # An empty claim is not repeated at every completion: that would run the query 30 times a second.
            may_claim = time.monotonic() - last_empty_claim >= min(0.25, self.per_chat_interval)
            chunk = min(max(_CLAIM_CHUNK, limit // 4), limit)
            if not stopping and may_claim and len(in_flight) <= limit - chunk:
                rows = self._claim(chunk)
                total.claimed += len(rows)
                if not rows:
                    last_empty_claim = time.monotonic()
                else:
                    in_flight.update(asyncio.create_task(self._deliver_safely(row)) for row in rows)
                    # Let these start (each renders and queues its request) before claiming more, so the loop
                    # is never held for a whole window's worth of work at once.
                    await asyncio.sleep(0)
                    continue
            if not in_flight:
                wait = None if stopping else self._pacing_wait()
                if wait is None:
                    return total
                await asyncio.sleep(wait)
                last_empty_claim = -1.0e9
                continue
            done, in_flight = await asyncio.wait(in_flight, timeout=0.25, return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                total.add(task.result())

    def _recent_chats(self) -> list[int]:
        """Chats that may not be sent to yet: answered less than ``per_chat_interval`` ago, or still sending."""
        cutoff = time.monotonic() - self.per_chat_interval
        for chat_id in [c for c, t in self._last_sent.items() if t <= cutoff]:
            del self._last_sent[chat_id]
        return list(self._last_sent.keys() | self._sending.keys())

    def _pacing_wait(self) -> float | None:
        """How long until a paced chat may be sent to again, if rows are due; None when there is nothing to do."""
        self._recent_chats()
        if not self._last_sent:
            return None
        due_at = outbox.next_due_at(self.db)
        if due_at is None or due_at > self._clock():
            return None
        soonest = min(self._last_sent.values()) + self.per_chat_interval - time.monotonic()
        return max(0.01, soonest)

    async def _deliver_safely(self, row: dict[str, Any]) -> DeliveryStats:
        try:
            return await self._deliver(row)
        except Exception as exc:  # a bug, not a Telegram answer: keep the row, try later, and say so
            error = self.redact(repr(exc))
            log.error("delivery %s crashed: %s", row["id"], error)
            outbox.schedule_retry(self.db, row["id"], at=self._clock() + 60, error=error)
            return DeliveryStats(retried=1)

    # ----------------------------------------------------------------------- one row

    def redact(self, text: str) -> str:
        return redact(text, self._token)

    def render(self, row: dict[str, Any], *, caption: bool = False) -> tuple[Alert, int]:
        """The alert of an outbox row (as claimed, in its chat's language) naming the story's other outlets, and
        how many it names; with ``caption``, made to fit a photo's caption."""
        language = row.get("language") or "en"
        own = source_name(feed_of(row), row.get("url"), language)
        sources = int(row.get("story_sources") or 1)
        also = other_names(self.db, int(row["story_id"]), own) if sources > 1 else []
        alert = render_alert_cached(
            row,
            feed_name=own,
            delivery_id=row["id"],
            story_sources=sources,
            timezone=row.get("timezone") or "UTC",
            also=also,
            caption=caption,
            language=language,
        )
        return alert, len(also)

    async def send(
        self,
        chat_id: int,
        *,
        html: str,
        plain: str,
        buttons: sending.Buttons | None = None,
        label: str = "message",
        silent: bool = False,
        preview: bool = False,
        photo: Photo | None = None,
        thread_id: int | None = None,
    ) -> SendResult:
        """Send one outbox message (HTML; a link preview only if ``preview``) and say how Telegram finally answered.

        ``silent`` sends it without a notification sound; ``photo`` sends it as that photo with its caption, and
        as the text message if Telegram refuses the photo (see the module's list). ``thread_id`` is the forum
        topic to post in; a topic deleted since goes to the group's general chat (and so do its subscriptions).

        The answers that need no decision by the caller are handled here, the same for alerts and digests: a
        group that became a supergroup has its subscriber and rows moved (:func:`storage.outbox.migrate_chat`)
        and the message goes to the new id; HTML that Telegram refuses goes again as ``plain``. Every other
        answer comes back as the result's :class:`Outcome`, for the caller to record on its rows. Never raises
        for a Telegram answer; ``label`` names the message in logs.
        """
        use_plain = False
        migrated = False
        photo_refused = False

        def result(outcome: Outcome, **values: Any) -> SendResult:
            return SendResult(
                outcome,
                chat_id,
                plain_fallback=use_plain,
                migrated=migrated,
                photo_fallback=photo_refused,
                **values,
            )

        for _ in range(6):  # at most: migrate, topic gone, photo fallback, parse fallback, and one more of any
            common: dict[str, Any] = {"html": not use_plain, "buttons": buttons, "silent": silent}
            common.update(paid=self.paid_broadcast, thread_id=thread_id)
            try:
                if photo is not None:
                    method = "sendPhoto"
                    caption = photo.plain if use_plain else photo.html
                    request = sending.photo_request(chat_id, photo.url, caption, **common)
                else:
                    method = "sendMessage"
                    request = sending.message_request(
                        chat_id,
                        plain if use_plain else html,
                        preview=preview,
                        **common,
                    )
                message_id = await self._paced_send(chat_id, method, request)
            except RetryAfter as exc:
                wait = retry_after_seconds(exc)
                return result(Outcome.RATE_LIMITED, error=f"429 retry after {wait:g}", retry_after=wait)
            except ChatMigrated as exc:
                new_chat_id = int(exc.new_chat_id)
                outbox.migrate_chat(self.db, chat_id, new_chat_id)
                log.info("chat %s became supergroup %s: subscriptions moved", chat_id, new_chat_id)
                migrated = True
                chat_id = new_chat_id
                continue
            except Forbidden as exc:
                return result(Outcome.GONE, error=self.redact(exc.message))
            except BadRequest as exc:
                text = exc.message.lower()
                if is_chat_gone(exc):
                    return result(Outcome.GONE, error=self.redact(exc.message))
                if thread_id is not None and is_thread_gone(exc):  # its subscriptions move to the general chat
                    outbox.forget_thread(self.db, chat_id, thread_id)
                    thread_id = None
                    continue
                if photo is not None:
                    log.info(
                        "%s: Telegram refused the photo (%s); sending the text", label, self.redact(text)
                    )
                    photo, photo_refused, use_plain = None, True, False
                    continue
                if not use_plain and ("can't parse entities" in text or "too long" in text):
                    log.warning("%s: Telegram refused the HTML (%s); sending plain text", label, exc)
                    use_plain = True
                    continue
                log.warning("%s to chat %s refused: %s", label, chat_id, self.redact(exc.message))
                return result(Outcome.REFUSED, error=self.redact(f"400 {exc.message}"))
            except InvalidToken as exc:
                # Every send fails the same way; keep the rows and let the operator see one clear line.
                log.error("Telegram refused the bot token (%s); alerts wait", type(exc).__name__)
                return result(Outcome.TOKEN_REFUSED, error="token refused")
            except (NetworkError, TelegramError) as exc:  # TimedOut is a NetworkError; 5xx arrive as NetworkError
                return result(Outcome.TRANSIENT, error=self.redact(f"{type(exc).__name__}: {exc.message}"))
            return result(Outcome.SENT, message_id=message_id)
        return result(Outcome.REFUSED, error="gave up after repeated migrations or fallbacks")

    async def _paced_send(self, chat_id: int, method: str, request: dict[str, Any]) -> int:
        """One ``sendMessage``/``sendPhoto`` (:mod:`alerts.sending`) through :meth:`paced`; the message id."""
        return await self.paced(chat_id, functools.partial(sending.post, self.bot, method, request))

    def busy_chats(self) -> list[int]:
        """Chats not to be sent to (nor their messages edited) yet: just answered, or with a request in flight."""
        return self._recent_chats()

    def hold(self, chat_id: int) -> None:
        """A request to ``chat_id`` was claimed and is about to go: no alert is claimed for it meanwhile."""
        self._last_sent[chat_id] = time.monotonic()

    async def paced(self, chat_id: int, call: Callable[[], Awaitable[_T]]) -> _T:
        """Make one request that changes a message in ``chat_id`` (a send, an edit), with the chat's pacing counted
        from Telegram's answer.

        A request may wait in the rate limiter or on the network before Telegram counts it; pacing from its start
        would let the next message to the chat arrive less than ``per_chat_interval`` after it (and draw a 429),
        or, when the wait outlasts the interval, both at once and out of order. While it is in flight the chat
        is not claimed again.
        """
        self._sending[chat_id] += 1
        try:
            return await call()
        finally:
            self._sending[chat_id] -= 1
            if not self._sending[chat_id]:
                del self._sending[chat_id]
            self._last_sent[chat_id] = time.monotonic()

    def backoff(self, attempts: int) -> float:
        """Seconds to wait after the ``attempts``-th transient failure: exponential, capped, with jitter."""
        return min(_BACKOFF_CAP, self.backoff_base * 2 ** (attempts - 1)) * random.uniform(0.8, 1.2)

    async def _deliver(self, row: dict[str, Any]) -> DeliveryStats:
        delivery_id = row["id"]
        alert, outlets = self.render(row)
        look = look_of(row, lambda: self.render(row, caption=True)[0])
        sent = await self.send(
            int(row["chat_id"]),
            html=alert.html,
            plain=alert.plain,
            buttons=alert.buttons,
            label=f"delivery {delivery_id}",
            silent=look.silent,
            preview=look.preview,
            photo=look.photo,
            thread_id=row.get("thread_id"),
        )
        photo = look.photo is not None and not sent.photo_fallback  # edits change its caption
        stats = DeliveryStats(
            plain_fallbacks=int(sent.plain_fallback),
            migrated_chats=int(sent.migrated),
            photos=int(photo and sent.outcome is Outcome.SENT),
            photo_fallbacks=int(sent.photo_fallback),
        )
        if sent.outcome is Outcome.SENT:
            assert sent.message_id is not None
            now = self._clock()
            outbox.mark_sent(self.db, delivery_id, sent.message_id, now=now, outlets=outlets, photo=photo)
            stats.sent += 1
            if self._backing_off:
                # Telegram answers again: what waits out an exponential backoff from the outage goes now, rather
                # than up to the outage's length later.
                self._backing_off = False
                outbox.expedite_backoffs(self.db, now=self._clock())
        elif sent.outcome is Outcome.RATE_LIMITED:
            outbox.schedule_retry(
                self.db,
                delivery_id,
                at=self._clock() + sent.retry_after,
                error=sent.error,
                count_attempt=False,
            )
            stats.rate_limited += 1
        elif sent.outcome is Outcome.GONE:
            await self._chat_gone(sent.chat_id, delivery_id, sent.error, stats)
        elif sent.outcome is Outcome.REFUSED:
            outbox.mark_failed(self.db, delivery_id, sent.error)
            stats.failed += 1
        elif sent.outcome is Outcome.TOKEN_REFUSED:
            outbox.schedule_retry(
                self.db, delivery_id, at=self._clock() + 60, error=sent.error, count_attempt=False
            )
            stats.retried += 1
        else:
            self._transient(row, delivery_id, sent.error, stats)
        return stats

    async def _chat_gone(self, chat_id: int, delivery_id: int, reason: str, stats: DeliveryStats) -> None:
        outbox.mark_dropped(self.db, delivery_id, reason)
        dropped = outbox.deactivate_chat(self.db, chat_id, reason)
        log.info("chat %s is gone (%s): marked inactive, %d queued alert(s) dropped", chat_id, reason, dropped)
        for admin, html, plain in lost_notices(self.db, chat_id):  # a channel: tell who linked it, once
            await self.send(admin, html=html, plain=plain, label=f"channel {chat_id} lost")
        stats.dropped += 1 + dropped
        stats.deactivated_chats += 1

    def _transient(self, row: dict[str, Any], delivery_id: int, error: str, stats: DeliveryStats) -> None:
        attempts = int(row["attempts"])  # the claim already counted this one
        if attempts >= self.max_attempts:
            outbox.mark_failed(self.db, delivery_id, f"gave up after {attempts} attempts: {error}")
            log.warning("delivery %s failed for good: %s", delivery_id, error)
            stats.failed += 1
            return
        delay = self.backoff(attempts)
        self._backing_off = True
        outbox.schedule_retry(self.db, delivery_id, at=self._clock() + delay, error=error)
        log.info("delivery %s: %s; retry in %.1f s", delivery_id, error, delay)
        stats.retried += 1


async def deliver_due(
    bot: Bot, db: sqlite_utils.Database, *, now: float | None = None, limit: int = 100
) -> DeliveryStats:
    """One batch with a throwaway :class:`Deliverer` (no pacing memory between calls: the bot keeps one)."""
    return await Deliverer(bot, db).deliver_due(now=now, limit=limit)
