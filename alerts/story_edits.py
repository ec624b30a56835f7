"""Edit sent alerts as their story gains outlets: "Also reported by AP, BBC and 3 more", never a second alert.

One alert goes out per (chat, story). When more outlets report the story later, the fan-out notes it
(:func:`storage.alert_edits.note_report`, interval :data:`alerts.timing.EDIT_INTERVAL`) and :class:`StoryEdits` edits the sent message (editMessageText, same
HTML rendering and buttons as the alert, now naming the other outlets), at most once per ``interval`` seconds per
message: reports arriving within the interval are shown together by the next edit. An alert sent as a photo is
edited with editMessageCaption, rendered to fit the 1,024-character caption as it was sent.

Edits go through the running bot's :class:`~alerts.delivery.Deliverer`: the same rate limiter and per-chat pacing
as alerts and digests (an edit counts against Telegram's per-chat flood limits like a message), and the same token
redaction. What each answer does:

* accepted, or 400 "message is not modified" → done (the message shows what it should);
* 400 "message to edit not found" / "message can't be edited" (the user deleted it, or it is too old) → stopped:
  that message is never edited again;
* 403 and the 400s that mean the chat is gone → the subscriber becomes inactive, as a failed alert does, and
  the message is not edited again;
* 429 → waits ``retry_after`` (not an attempt); timeout, 5xx → backoff, stopped after ``max_attempts``;
* 400 "can't parse entities" → the plain text instead; any other 400 → stopped.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import sqlite_utils
from telegram import LinkPreviewOptions
from telegram.constants import ParseMode
from telegram.error import BadRequest, ChatMigrated, Forbidden, InvalidToken, RetryAfter, TelegramError

from alerts import timing
from alerts.delivery import Deliverer
from alerts.messages import Alert
from alerts.outcomes import Counters, is_chat_gone, retry_after_seconds
from storage import alert_edits, outbox

log = logging.getLogger("newsalert.edits")

_MESSAGE_GONE = ("message to edit not found", "message can't be edited", "message_id_invalid")
# Telegram's answer when an edit is of the wrong kind: a text edit of a photo, a caption edit of a text.
_OTHER_KIND = ("there is no text in the message to edit", "there is no caption in the message to edit")


def recover(db: sqlite_utils.Database) -> int:
    """At start-up: edits a crash left in flight are made again."""
    return alert_edits.requeue_editing(db)


@dataclass
class EditStats(Counters):
    """What a run did; ``edited`` counts messages Telegram changed, ``unchanged`` edits that needed no change."""

    claimed: int = 0
    edited: int = 0
    unchanged: int = 0
    stopped: int = 0
    rate_limited: int = 0
    retried: int = 0
    deactivated_chats: int = 0


class _Answer(Exception):
    """How an edit ended, when not accepted: recorded by :meth:`StoryEdits._record`."""

    def __init__(self, kind: str, error: str, wait: float = 0.0) -> None:
        super().__init__(error)
        self.kind, self.error, self.wait = kind, error, wait


class StoryEdits:
    """Makes the due edits, up to ``concurrency`` at once (few: new alerts matter more and share the limiter)."""

    def __init__(
        self,
        deliverer: Deliverer,
        *,
        interval: float = timing.EDIT_INTERVAL,
        concurrency: int = 3,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.deliverer = deliverer
        self.db = deliverer.db
        self.interval = interval
        self.concurrency = concurrency
        self._clock = clock

    async def run_until_idle(
        self, *, now: float | None = None, max_seconds: float | None = None, stop: asyncio.Event | None = None
    ) -> EditStats:
        """Make every edit due at ``now`` (default: the clock), a few at a time, then return."""
        total = EditStats()
        started = time.monotonic()
        while not (stop is not None and stop.is_set()) and (
            max_seconds is None or time.monotonic() - started < max_seconds
        ):
            rows = alert_edits.claim_due(
                self.db,
                now=self._clock() if now is None else now,
                limit=self.concurrency,
                exclude_chats=self.deliverer.busy_chats(),
            )
            if not rows:
                break
            total.claimed += len(rows)
            for row in rows:
                self.deliverer.hold(int(row["chat_id"]))
            for stats in await asyncio.gather(*(self._edit_safely(row, now) for row in rows)):
                total.add(stats)
        return total

    async def _edit_safely(self, row: dict[str, Any], now: float | None) -> EditStats:
        try:
            return await self._edit(row, self._clock() if now is None else now)
        except Exception as exc:  # a bug, not a Telegram answer: keep the edit, try later, and say so
            error = self.deliverer.redact(repr(exc))
            log.error("edit of alert %s crashed: %s", row["id"], error)
            alert_edits.retry(self.db, row["id"], at=self._clock() + 60, error=error)
            return EditStats(retried=1)

    async def _edit(self, row: dict[str, Any], now: float) -> EditStats:
        delivery_id = int(row["id"])
        if row.get("title") is None:  # the article went with its feed: nothing left to render the alert from
            alert_edits.stop(self.db, delivery_id, "article removed")
            return EditStats(stopped=1)
        photo = bool(row.get("photo"))
        alert, outlets = self.deliverer.render(row, caption=photo)
        if row.get("outlets_shown") is not None and outlets <= int(row["outlets_shown"]):
            # Another report from an outlet the message already names: nothing to change.
            alert_edits.finish(
                self.db, delivery_id, outlets=outlets, interval=self.interval, edited=False, now=now
            )
            return EditStats(unchanged=1)
        try:
            edited = await self._request(int(row["chat_id"]), int(row["message_id"]), alert, photo, row)
        except _Answer as answer:
            return self._record(row, answer, now)
        alert_edits.finish(
            self.db, delivery_id, outlets=outlets, interval=self.interval, edited=edited, now=now
        )
        return EditStats(edited=int(edited), unchanged=int(not edited))

    def _call(
        self, chat_id: int, message_id: int, alert: Alert, photo: bool, plain: bool
    ) -> Callable[[], Any]:
        """The edit request: a photo alert's caption (editMessageCaption), else the message's text."""
        common: dict[str, Any] = {
            "chat_id": chat_id,
            "message_id": message_id,
            "parse_mode": None if plain else ParseMode.HTML,
            "reply_markup": alert.markup(),
        }
        text = alert.plain if plain else alert.html
        if photo:
            return functools.partial(self.deliverer.bot.edit_message_caption, caption=text, **common)
        return functools.partial(
            self.deliverer.bot.edit_message_text,
            text,
            link_preview_options=LinkPreviewOptions(is_disabled=True),
            **common,
        )

    async def _request(
        self, chat_id: int, message_id: int, alert: Alert, photo: bool, row: dict[str, Any]
    ) -> bool:
        """Edit the message; True if Telegram changed it, False if it already showed this. Raises :class:`_Answer`.

        Telegram says when the message is of the other kind (an alert sent as a photo before deliveries recorded
        it, say): the edit is then made the other way, rendered for it."""
        use_plain, switched = False, False
        for _ in range(4):  # at most: the other kind, the plain text, and one more
            call = self._call(chat_id, message_id, alert, photo, use_plain)
            try:
                await self.deliverer.paced(chat_id, call)
                return True
            except RetryAfter as exc:
                wait = retry_after_seconds(exc)
                raise _Answer("wait", f"429 retry after {wait:g}", wait) from None
            except Forbidden as exc:
                raise _Answer("gone", self.deliverer.redact(exc.message)) from None
            except ChatMigrated:
                # The group became a supergroup (the next alert moves it): its old messages are not edited.
                raise _Answer("stop", "chat migrated") from None
            except BadRequest as exc:
                text = exc.message.lower()
                if "message is not modified" in text:
                    return False
                if any(reason in text for reason in _MESSAGE_GONE):
                    raise _Answer("stop", self.deliverer.redact(exc.message)) from None
                if is_chat_gone(exc):
                    raise _Answer("gone", self.deliverer.redact(exc.message)) from None
                if not use_plain and "can't parse entities" in text:
                    use_plain = True
                    continue
                if not switched and any(kind in text for kind in _OTHER_KIND):
                    switched, photo = True, not photo
                    alert = self.deliverer.render(row, caption=photo)[0]
                    continue
                raise _Answer("stop", self.deliverer.redact(f"400 {exc.message}")) from None
            except InvalidToken:
                raise _Answer("token", "token refused") from None
            except TelegramError as exc:  # NetworkError, TimedOut, 5xx
                raise _Answer(
                    "transient", self.deliverer.redact(f"{type(exc).__name__}: {exc.message}")
                ) from None
        raise _Answer("stop", "no edit Telegram accepted")

    def _record(self, row: dict[str, Any], answer: _Answer, now: float) -> EditStats:
        delivery_id, chat_id = int(row["id"]), int(row["chat_id"])
        if answer.kind == "wait":
            alert_edits.retry(
                self.db, delivery_id, at=now + answer.wait, error=answer.error, count_attempt=False
            )
            return EditStats(rate_limited=1)
        if answer.kind == "token":
            alert_edits.retry(self.db, delivery_id, at=now + 60, error=answer.error, count_attempt=False)
            return EditStats(retried=1)
        if answer.kind == "gone":
            # Like a refused alert: the chat is inactive until /start, and this old message is left as it is.
            alert_edits.stop(self.db, delivery_id, answer.error)
            dropped = outbox.deactivate_chat(self.db, chat_id, answer.error)
            log.info(
                "chat %s is gone (%s): marked inactive, %d queued alert(s) dropped",
                chat_id,
                answer.error,
                dropped,
            )
            return EditStats(deactivated_chats=1)
        attempts = int(row["edit_attempts"])
        if answer.kind == "stop" or attempts >= self.deliverer.max_attempts:
            alert_edits.stop(self.db, delivery_id, answer.error)
            log.info("alert %s will not be edited again: %s", delivery_id, answer.error)
            return EditStats(stopped=1)
        alert_edits.retry(self.db, delivery_id, at=now + self.deliverer.backoff(attempts), error=answer.error)
        return EditStats(retried=1)
