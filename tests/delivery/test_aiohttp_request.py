"""The aiohttp transport the bot sends through (bot/aiohttp_request.py), under real PTB against the fake Bot API:
Telegram's answers arrive as PTB's errors, failures below HTTP as NetworkError / TimedOut, and the token is in no
error text or log line."""

from __future__ import annotations

import logging
import socket

import pytest
from telegram import Bot
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TimedOut

from alerts import sending
from alerts.outcomes import retry_after_seconds
from bot.aiohttp_request import AiohttpRequest, without_token
from tests.support.fake_telegram import FakeTelegram

CHAT = 4242


def make_bot(base_url: str, token: str, *, read_timeout: float = 2.0) -> Bot:
    request = AiohttpRequest(read_timeout=read_timeout, connect_timeout=1.0, pool_timeout=1.0)
    return Bot(
        token, base_url=base_url, request=request, get_updates_request=AiohttpRequest(connection_pool_size=1)
    )


@pytest.fixture
async def bot(fake: FakeTelegram):
    bot = make_bot(fake.base_url, fake.token)
    async with bot:
        yield bot


async def test_a_send_reaches_telegram_as_json_with_its_buttons(bot: Bot, fake: FakeTelegram) -> None:
    request = sending.message_request(
        CHAT,
        "<b>Zvečan</b> &amp; Leposavić",
        html=True,
        buttons=[[("More", "more:1")]],
        silent=True,
        paid=True,
    )
    message_id = await sending.post(bot, "sendMessage", request)
    [sent] = fake.messages(CHAT)
    assert sent.message_id == message_id
    assert sent.text == "Zvečan & Leposavić"
    assert sent.parse_mode == "HTML"
    assert sent.buttons == [{"text": "More", "callback_data": "more:1"}]
    assert sent.params["disable_notification"] is True
    assert sent.paid_broadcast
    assert sent.params["link_preview_options"] == {"is_disabled": True}


async def test_typed_calls_work_through_it_too(bot: Bot, fake: FakeTelegram) -> None:
    message = await bot.send_message(CHAT, "plain reply")
    assert message.text == "plain reply"
    assert (await bot.get_me()).username == fake.bot_user["username"]


async def test_429_is_retry_after(bot: Bot, fake: FakeTelegram) -> None:
    fake.too_many_next(1, retry_after=7)
    with pytest.raises(RetryAfter) as caught:
        await bot.send_message(CHAT, "x")
    assert retry_after_seconds(caught.value) == 7
    assert fake.messages(CHAT) == []


async def test_403_blocked_is_forbidden(bot: Bot, fake: FakeTelegram) -> None:
    fake.block(CHAT)
    with pytest.raises(Forbidden, match="blocked"):
        await bot.send_message(CHAT, "x")


async def test_400_bad_html_is_bad_request(bot: Bot, fake: FakeTelegram) -> None:
    with pytest.raises(BadRequest, match="parse entities"):
        await sending.post(bot, "sendMessage", sending.message_request(CHAT, "<b>open", html=True))
    assert fake.messages(CHAT) == []


async def test_a_slow_answer_times_out(fake: FakeTelegram) -> None:
    fake.delay_next(1, 3.0, methods=["sendMessage"])
    bot = make_bot(fake.base_url, fake.token, read_timeout=0.5)
    async with bot:
        with pytest.raises(TimedOut):
            await bot.send_message(CHAT, "x")


async def test_a_reset_connection_is_a_network_error_without_the_token(bot: Bot, fake: FakeTelegram) -> None:
    fake.reset_next(1, methods=["sendMessage"])
    with pytest.raises(NetworkError) as caught:
        await bot.send_message(CHAT, "x")
    assert fake.token not in str(caught.value)
    assert caught.value.__cause__ is None


async def test_refused_connection_is_a_network_error_and_no_log_line_has_the_token(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with socket.socket() as probe:  # a port nobody listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    token = "123456:SECRET-token-value"
    bot = make_bot(f"http://127.0.0.1:{port}/bot", token)
    await bot.request.initialize()
    caplog.set_level(logging.DEBUG)
    try:
        with pytest.raises(NetworkError) as caught:
            await bot.send_message(CHAT, "x")
    finally:
        await bot.request.shutdown()
    assert not isinstance(caught.value, TimedOut)
    assert "SECRET" not in str(caught.value)
    assert "SECRET" not in caplog.text


def test_without_token_cuts_the_token_out_of_a_bot_api_url() -> None:
    text = "Cannot connect to host api.telegram.org:443 ssl:default [/bot123:ABC-def/sendMessage]"
    assert (
        without_token(text)
        == "Cannot connect to host api.telegram.org:443 ssl:default [/bot<redacted>/sendMessage]"
    )
    assert without_token("/file/bot123:ABC/photos/x.jpg") == "/file/bot<redacted>/photos/x.jpg"
