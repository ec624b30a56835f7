"""Every refusal in handlers/ reads the same way (handlers/replies.py): it starts with ⚠️ and never wraps the
user's text in quotation marks of its own, so no quote is ever doubled (“"tear gas”).

Each command is driven with bad input through the fake Bot API, and the answers are read as Telegram shows them.
"""

from __future__ import annotations

import asyncio
import re

import pytest

CHAT = 7001
GROUP = -7002
OPERATOR = 7003
MEMBER = 7004
DOUBLED = re.compile(r"[\"“”«»‘’']{2}")

BAD_INPUT = [
    "/subscribe",
    '/subscribe "tear gas',
    '/subscribe "tear gas" "riot',
    "/subscribe " + "x" * 500,
    "/subscribe region:atlantis",
    "/subscribe -football",
    "/subscribe kfor OR",
    "word " * 100,
    "/unsubscribe 7",
    '/unsubscribe "riot police"',
    "/latest",
    '/latest "tear gas',
    "/latest " + "y" * 300,
    "/digest weekly",
    '/digest daily "25:00"',
    "/timezone",
    '/timezone "Mars/Olympus"',
    "/quiet",
    '/quiet "22"',
    "/quiet 22:00-22:00",
    "/mute 5 2h",
    '/mute "forever"',
    "/mute 400d",
    "/unmute 9",
    "/more",
    "/frobnicate",
    "/stats",
    "/addfeed https://example.org/rss.xml",
]

OPERATOR_INPUT = [
    "/addfeed",
    '/addfeed "not a url',
    "/addfeed http://127.0.0.1:9/feed.xml",
    "/removefeed",
    "/removefeed 99",
]


def assert_styled(command: str, text: str) -> None:
    assert text.startswith("⚠️ "), (command, text)
    assert not DOUBLED.search(text), (command, text)
    assert "\n" not in text.split(":", 1)[0], (command, text)


@pytest.mark.parametrize("command", BAD_INPUT)
async def test_bad_input_is_refused_in_one_style(start_bot, command):
    bot = await start_bot(admins=(OPERATOR,))
    [mine] = await bot.send(CHAT, "/help")  # so that /more has a message to reply to that is no alert
    kwargs = {"reply_to_message_id": mine.message_id} if command == "/more" else {}
    [answer] = await bot.send(CHAT, command, **kwargs)
    assert_styled(command, answer.text)


async def test_operator_commands_refuse_in_one_style(start_bot):
    bot = await start_bot(admins=(OPERATOR,))
    for command in OPERATOR_INPUT:
        [answer] = await bot.send(OPERATOR, command)
        assert_styled(command, answer.text)


async def test_access_and_button_refusals_in_one_style(start_bot):
    bot = await start_bot(allowed_users=(CHAT,), commands_per_minute=2)
    [answer] = await bot.send(MEMBER, "/start")
    assert_styled("a stranger", answer.text)
    await bot.send(CHAT, "/start")
    await bot.send(CHAT, "/help")
    [answer] = await bot.send(CHAT, "/list")
    assert_styled("a flood", answer.text)


async def test_group_refusal_in_one_style(start_bot):
    bot = await start_bot()
    [answer] = await bot.send(GROUP, "/subscribe@newsalert_test_bot kosovo", user_id=MEMBER)
    assert_styled("a group member", answer.text)


async def test_popups_refuse_in_one_style(start_bot):
    bot = await start_bot()
    [mine] = await bot.send(CHAT, "/help")
    for data in ("why:999", "mute:999", "no-such-button"):
        answer = await bot.press(CHAT, mine, data)
        assert_styled(data, answer["text"])


async def test_plain_text_already_followed_offers_latest(start_bot):
    bot = await start_bot()
    [reply] = await bot.send(CHAT, "kosovo")
    assert "Did you mean /subscribe kosovo?" in reply.text
    await bot.send(CHAT, "/subscribe kosovo")
    [reply] = await bot.send(CHAT, "Kosovo")
    assert "You already follow kosovo (number 1 in /list)" in reply.text
    assert "/latest Kosovo" in reply.text and "Did you mean" not in reply.text
    [button] = reply.buttons
    assert button["text"] == "🔎 Latest: Kosovo"
    before = len(bot.fake.messages(CHAT))
    await bot.press(CHAT, reply, button["callback_data"])
    [latest] = (await asyncio.to_thread(bot.fake.wait_for_messages, CHAT, before + 1, 5.0))[before:]
    assert "Nothing stored mentions Kosovo yet" in latest.text
