"""How Telegram answered a message, in the terms the outbox records: outcomes, results and counters.

Delivery (:mod:`alerts.delivery`) and digests (:mod:`alerts.digests`) read every answer through one
``Deliverer.send`` and record it with these types, so both meet a 429, a block or a migration the same way.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import StrEnum
from typing import Any, Self

from telegram.error import BadRequest, RetryAfter


class Counters:
    """A dataclass of integer counters that adds up another of its kind, field by field."""

    def add(self, other: Self) -> None:
        for f in fields(self):  # type: ignore[arg-type]
            setattr(self, f.name, getattr(self, f.name) + getattr(other, f.name))


@dataclass
class DeliveryStats(Counters):
    """What one batch (or a run of batches) did; ``sent`` counts messages Telegram accepted."""

    claimed: int = 0
    sent: int = 0
    plain_fallbacks: int = 0
    rate_limited: int = 0
    retried: int = 0
    failed: int = 0
    dropped: int = 0
    deactivated_chats: int = 0
    migrated_chats: int = 0
    photos: int = 0  # photo alerts Telegram accepted
    photo_fallbacks: int = 0  # photo alerts sent as text because Telegram refused the photo


def retry_after_seconds(exc: RetryAfter) -> float:
    """The wait a 429 asks for, in seconds, read without PTB's deprecation warning."""
    value: Any = exc._retry_after  # the timedelta; the public attribute warns unless PTB_TIMEDELTA is set
    return float(value.total_seconds()) if hasattr(value, "total_seconds") else float(value)


# 400 answers that mean no alert can reach this chat any more (until someone there acts): like a block.
_GONE = (
    "chat not found",
    "user not found",
    "peer_id_invalid",
    "have no rights to send",
    "not enough rights to send",
    "chat_write_forbidden",
    "chat_restricted",
    "need administrator rights in the channel",  # a channel that demoted the bot
    "bot is not a member of the channel",
)


def is_thread_gone(exc: BadRequest) -> bool:
    """Whether a 400 says the forum topic the message was for no longer exists."""
    return "message thread not found" in exc.message.lower()


def is_chat_gone(exc: BadRequest) -> bool:
    """Whether a 400 says the chat cannot be written to any more (treated like a block)."""
    text = exc.message.lower()
    return any(reason in text for reason in _GONE)


class Outcome(StrEnum):
    """How Telegram finally answered one message (see :meth:`Deliverer.send`)."""

    SENT = "sent"
    RATE_LIMITED = "rate_limited"  # 429 outlived the limiter's retries: wait ``retry_after``, not an attempt
    GONE = "gone"  # blocked, deactivated, kicked, chat not found, no right to write: the chat is inactive now
    REFUSED = "refused"  # another 400: sending it again would get the same answer
    TOKEN_REFUSED = "token_refused"  # the operator must fix the token; keep the rows
    TRANSIENT = "transient"  # timeout, connection error, 5xx: back off and retry


@dataclass(frozen=True)
class SendResult:
    """The outcome of :meth:`Deliverer.send`; ``chat_id`` is where the message went (a migrated group's new id)."""

    outcome: Outcome
    chat_id: int
    message_id: int | None = None
    error: str = ""  # redacted: fit for last_error and logs
    retry_after: float = 0.0
    plain_fallback: bool = False
    migrated: bool = False
    photo_fallback: bool = False  # the photo was refused and the text alert went instead
