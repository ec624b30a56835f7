"""The access rules: allowed users, operators, the per-user command rate limit and repeated updates."""

from __future__ import annotations

from bot.config import TelegramConfig
from bot.guard import Guard, RateLimiter, SeenUpdates


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_rate_limit_is_a_sliding_minute_per_user():
    clock = Clock()
    limiter = RateLimiter(3, clock)
    assert [limiter.take(1) for _ in range(3)] == [None, None, None]
    wait = limiter.take(1)
    assert wait is not None and 59.0 < wait <= 60.0
    assert limiter.take(2) is None, "one user's flood must not limit another"
    clock.now += 30
    assert limiter.take(1) is not None
    clock.now += 30.5
    assert limiter.take(1) is None


def test_refusal_is_answered_once_per_window():
    clock = Clock()
    limiter = RateLimiter(1, clock)
    limiter.take(7)
    wait = limiter.take(7)
    assert limiter.first_refusal(7, wait) is True
    assert limiter.first_refusal(7, wait) is False
    clock.now += 61
    assert limiter.take(7) is None
    assert limiter.first_refusal(7, 1.0) is True


def test_allowed_users_and_admins():
    open_guard = Guard(TelegramConfig())
    assert open_guard.is_allowed(5) and not open_guard.is_admin(5)
    guard = Guard(TelegramConfig(allowed_users=(1, 2), admins=(9,)))
    assert guard.is_allowed(1) and guard.is_allowed(9) and not guard.is_allowed(3)
    assert guard.is_admin(9) and not guard.is_admin(1)


def test_seen_updates_remembers_a_bounded_window():
    seen = SeenUpdates(size=3)
    assert seen.first_time(1) and not seen.first_time(1)
    for update_id in (2, 3, 4):
        assert seen.first_time(update_id)
    assert seen.first_time(1), "the oldest id left the window"
