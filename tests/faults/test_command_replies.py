"""A command's answer when Telegram fails the reply for a moment (a 502 from its front end, a refused connection).

Alerts survive such faults (the outbox retries them: ``test_telegram_faults.py``); a command's reply is resent in the
background by ``handlers.context.send_reliably``. A 400 is Telegram's final word on that request, so it is not
sent again (python-telegram-bot makes ``BadRequest`` a subclass of ``NetworkError``, which makes this easy to get
wrong).
"""

from __future__ import annotations

import asyncio

import pytest

USER = 5001


async def test_a_reply_refused_once_by_a_502_still_reaches_the_user(start_bot, fake):
    bot = await start_bot()
    fake.fail_next(1, status=502, methods=["sendMessage"])
    [reply] = await bot.send(USER, "/subscribe keyword:harbour", timeout=10)
    assert "Subscribed" in reply.text
    assert [c.status for c in fake.calls("sendMessage")] == [502, 200]


async def test_a_reply_refused_with_a_400_is_not_sent_again(start_bot, fake):
    bot = await start_bot()
    fake.fail_next(1, status=400, description="Bad Request: chat not found", methods=["sendMessage"])
    await bot.send(USER, "/help", replies=0)
    await asyncio.to_thread(fake.wait_for_call, "sendMessage", 1, 5)
    with pytest.raises(TimeoutError):  # the first retry would come after 0.5 s
        await asyncio.to_thread(fake.wait_for_call, "sendMessage", 2, 2)
