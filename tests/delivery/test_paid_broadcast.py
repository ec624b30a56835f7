"""Paid broadcasts: outbox messages carry ``allow_paid_broadcast`` when the operator turns it on, and go past
Telegram's free ~30 messages/s (the fake models it: a paid budget of 1,000/s beside the free one)."""

from __future__ import annotations

from telegram.request import HTTPXRequest

from alerts.delivery import Deliverer
from bot.aiohttp_request import AiohttpRequest
from bot.app import build_application, connection_pool_size, in_flight_limit
from bot.config import Config, TelegramConfig
from tests.delivery.conftest import build_app, seed, states
from tests.delivery.test_delivery import assert_once_each, drain


async def test_an_alert_sent_as_a_paid_broadcast_carries_the_flag(fake, app, db):
    seed(db, [6001, 6002])
    await drain(Deliverer(app.bot, db, paid_broadcast=True), db)
    assert_once_each(fake, [6001, 6002])
    assert all(message.paid_broadcast for message in fake.messages())
    assert fake.stats_json()["paid_broadcasts"] == 2


async def test_without_paid_broadcast_no_flag_is_sent(fake, app, db):
    seed(db, [6101])
    await drain(Deliverer(app.bot, db), db)
    [message] = fake.messages(6101)
    assert "allow_paid_broadcast" not in message.params
    assert fake.stats_json()["paid_broadcasts"] == 0


async def test_paid_broadcasts_go_past_the_free_rate_that_draws_429s(fake, db):
    fake.rate = 5.0
    fake._reset_state()  # the free budget at 5/s; the paid one stays at 1,000/s
    app = build_app(fake, rate=1000, retries=0)  # a limiter that lets 429s through to the outbox
    async with app:
        seed(db, range(6201, 6241))
        await drain(Deliverer(app.bot, db, paid_broadcast=True, backoff_base=0.05), db)
        assert fake.stats.too_many == 0
        seed(db, range(6301, 6341))
        await drain(Deliverer(app.bot, db, backoff_base=0.05), db, timeout=30)
        assert fake.stats.too_many > 0
    assert_once_each(fake, [*range(6201, 6241), *range(6301, 6341)])
    assert states(db) == {"sent": 80}


def test_the_connection_pool_holds_every_send_in_flight_at_the_paid_ceiling():
    config = Config(telegram=TelegramConfig(messages_per_second=1000, paid_broadcast=True))
    assert in_flight_limit(config) == 334
    assert connection_pool_size(config) > in_flight_limit(config)
    assert connection_pool_size(Config()) == 256  # PTB's default is kept at the free rate


def test_the_built_bot_sends_through_a_pool_that_size():
    """Sends go through aiohttp with a pool that size; the long poll stays on PTB's httpx transport."""
    config = Config(telegram=TelegramConfig(messages_per_second=1000, paid_broadcast=True))
    app = build_application(config, "123:abc")
    updates, request = app.bot._request  # PTB keeps (get_updates request, other requests)
    assert isinstance(request, AiohttpRequest)
    assert request._pool_size == connection_pool_size(config)
    assert isinstance(updates, HTTPXRequest)
