"""Who may talk to the bot, and how fast: allowed users, admins, a per-user command rate limit, group admins.

The guard runs before every handler. It keeps its state in memory: a rate limit forgotten at restart costs at most
one extra minute of commands, which is not worth a table. Group-admin answers are cached briefly because every
change to a group's subscriptions asks, and Telegram rate-limits getChatMember like any other call.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Collection
from typing import Protocol

from telegram import Bot, ChatMember
from telegram.error import TelegramError

_ADMIN_STATUSES = {ChatMember.OWNER, ChatMember.ADMINISTRATOR}


class AccessSettings(Protocol):
    """What the guard reads of the ``[telegram]`` settings (``bot.config.TelegramConfig`` has it)."""

    @property
    def admins(self) -> Collection[int]: ...

    @property
    def allowed_users(self) -> Collection[int]: ...

    @property
    def commands_per_minute(self) -> int: ...


class RateLimiter:
    """A sliding one-minute window of commands per user.

    ``take`` answers None when the command may run, else the seconds until it may; ``first_refusal`` lets the caller
    say "slow down" once per window instead of answering every flood message (which would itself flood).
    """

    def __init__(self, per_minute: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.per_minute = per_minute
        self._clock = clock
        self._hits: dict[int, deque[float]] = {}
        self._warned_until: dict[int, float] = {}

    def take(self, user_id: int) -> float | None:
        now = self._clock()
        hits = self._hits.setdefault(user_id, deque())
        while hits and hits[0] <= now - 60.0:
            hits.popleft()
        if len(hits) >= self.per_minute:
            return max(0.0, hits[0] + 60.0 - now)
        hits.append(now)
        self._forget_idle(now)
        return None

    def first_refusal(self, user_id: int, wait: float) -> bool:
        """True the first time a user is refused in a window, so only that refusal is answered."""
        now = self._clock()
        if self._warned_until.get(user_id, 0.0) > now:
            return False
        self._warned_until[user_id] = now + wait
        return True

    def _forget_idle(self, now: float) -> None:
        # Bound memory: drop users whose last command left the window (checked lazily, a few per call).
        for user_id in list(self._hits)[:4]:
            hits = self._hits[user_id]
            if not hits or hits[-1] <= now - 60.0:
                del self._hits[user_id]
                self._warned_until.pop(user_id, None)


class Guard:
    """The access rules from ``[telegram]`` config plus the group-admin check."""

    def __init__(
        self,
        config: AccessSettings,
        *,
        clock: Callable[[], float] = time.monotonic,
        admin_cache_seconds: float = 60.0,
    ) -> None:
        self._admins = frozenset(config.admins)
        self._allowed = frozenset(config.allowed_users)
        self.rate = RateLimiter(config.commands_per_minute, clock)
        self._clock = clock
        self._admin_cache_seconds = admin_cache_seconds
        self._group_admins: dict[tuple[int, int], tuple[float, bool]] = {}

    def is_admin(self, user_id: int) -> bool:
        """A bot operator (config ``admins``), not to be confused with a group's admins."""
        return user_id in self._admins

    def is_allowed(self, user_id: int) -> bool:
        """Empty ``allowed_users`` means everyone; operators are always allowed."""
        return not self._allowed or user_id in self._allowed or user_id in self._admins

    async def is_group_admin(self, bot: Bot, chat_id: int, user_id: int) -> bool:
        """Whether the user administers the group; a failed lookup counts as no (the safe answer)."""
        key = (chat_id, user_id)
        now = self._clock()
        cached = self._group_admins.get(key)
        if cached is not None and cached[0] > now:
            return cached[1]
        try:
            member = await bot.get_chat_member(chat_id, user_id)
        except TelegramError:
            return False
        answer = member.status in _ADMIN_STATUSES
        if len(self._group_admins) > 10_000:
            self._group_admins.clear()
        self._group_admins[key] = (now + self._admin_cache_seconds, answer)
        return answer
