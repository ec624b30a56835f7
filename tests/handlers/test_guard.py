"""The access rules: allowed users, operators, the per-user command rate limit and repeated updates."""

from __future__ import annotations

import asyncio

from telegram import Update

from bot.config import TelegramConfig
from handlers.guard import Guard, RateLimiter


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


async def test_an_update_delivered_again_is_not_acted_on_twice(start_bot):
    """After a crash Telegram hands out the last unconfirmed update again; /unsubscribe 1 must not remove two."""
    bot = await start_bot()
    chat = 7301
    await bot.send(chat, "/subscribe nato")
    await bot.send(chat, "/subscribe kfor")
    before = len(bot.fake.messages(chat))
    update = bot.fake.inject_message(chat, "/unsubscribe 1")
    await asyncio.to_thread(bot.fake.wait_for_messages, chat, before + 1, 5.0)
    assert bot.row("SELECT count(*) AS n FROM subscriptions WHERE chat_id = ?", [chat])["n"] == 1
    # The same update again, as a restarted bot would receive it: recorded in storage, so it is skipped.
    await bot.app.process_update(Update.de_json(update, bot.app.bot))
    assert bot.row("SELECT count(*) AS n FROM subscriptions WHERE chat_id = ?", [chat])["n"] == 1
    assert len(bot.fake.messages(chat)) == before + 1
