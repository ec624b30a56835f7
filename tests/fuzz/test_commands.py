"""Random hostile text into every command, as replies to alerts, and as button data, through the real PTB
handlers against the fake Bot API: every answer is one Telegram accepts (its HTML parser, 4,096 characters) and
no handler fails.

The bot runs on the test's event loop; Hypothesis drives it from a worker thread, as a user's client would.
"""

from __future__ import annotations

import asyncio
import logging

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from handlers.start import ADMIN_COMMANDS, COMMANDS
from tests.fuzz.strategies import hostile_text, short_text
from tests.support.fake_telegram import FakeTelegram
from tests.support.telegram_html import parse_html

USER = 6001
ADMIN = 6002
USER_COMMANDS = [name for name, _ in COMMANDS] + [
    "addfeed",
    "stats",
    "nonsense",
    "subscribe@newsalert_test_bot",
]
# /addfeed from an admin would fetch whatever URL the text spells; the fuzz must never reach the internet.
ADMIN_ONLY = [name for name, _ in ADMIN_COMMANDS if name != "addfeed"]
BUTTON_PREFIXES = [
    "why:",
    "more:",
    "mute:",
    "muteback:",
    "unsubfrom:",
    "mutefor:",
    "unsub:",
    "stop:",
    "sub:",
    "",
]
SETTINGS = settings(
    max_examples=70,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    database=None,
)


def check_answers(fake: FakeTelegram, chat_id: int, before: int) -> None:
    for message in fake.messages(chat_id)[before:]:
        assert len(message.text) <= 4096
        if message.parse_mode == "HTML":
            parse_html(message.raw_text)
        assert "something went wrong" not in message.text, message.text


def refused_calls(fake: FakeTelegram) -> list:
    """Calls Telegram refused. "Message is not modified" (a button pressed twice edits a message to what it already
    says) is expected and ignored by the handlers on purpose."""
    return [
        c
        for c in fake.calls()
        if c.status == 400 and c.method != "getupdates" and "not modified" not in (c.description or "")
    ]


@pytest.fixture
def errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    caplog.set_level(logging.WARNING)
    return caplog.records


async def test_hostile_text_into_every_command(start_bot, fake: FakeTelegram, errors):
    fake.chat_rate = fake.chat_burst = 10_000
    bot = await start_bot(admins=(ADMIN,), commands_per_minute=100_000)
    await bot.send(USER, "/start")
    await bot.send(ADMIN, "/start")

    @SETTINGS
    @given(
        command=st.sampled_from(USER_COMMANDS + ADMIN_ONLY),
        argument=hostile_text,
        separator=st.sampled_from([" ", "  ", "\n", "\u00a0", ""]),
        as_reply=st.booleans(),
    )
    def one(command: str, argument: str, separator: str, as_reply: bool) -> None:
        chat_id = ADMIN if command in ADMIN_ONLY else USER
        earlier = fake.messages(chat_id)
        before = len(earlier)
        reply_to = earlier[-1].message_id if as_reply and earlier else None
        fake.inject_message(chat_id, f"/{command}{separator}{argument}", reply_to_message_id=reply_to)
        fake.wait_for_messages(chat_id, before + 1, timeout=10)
        fake.wait_for_updates_consumed(timeout=10)
        check_answers(fake, chat_id, before)

    await asyncio.to_thread(one)
    assert refused_calls(fake) == []
    assert [r.getMessage() for r in errors if r.levelno >= logging.WARNING] == []


async def test_hostile_plain_text_and_button_data(start_bot, fake: FakeTelegram, errors):
    fake.chat_rate = fake.chat_burst = 10_000
    bot = await start_bot(commands_per_minute=100_000)
    [anchor] = await bot.send(USER, "/start")

    @SETTINGS
    @given(
        text=hostile_text,
        prefix=st.sampled_from(BUTTON_PREFIXES),
        data=short_text,
        number=st.integers(0, 2**40),
    )
    def one(text: str, prefix: str, data: str, number: int) -> None:
        before = len(fake.messages(USER))
        if text.strip() and not text.startswith("/"):
            fake.inject_message(USER, text)
            fake.wait_for_messages(USER, before + 1, timeout=10)
        payload = (prefix + (str(number) if number % 3 else data)).encode()[:64].decode("utf-8", "ignore")
        if payload:
            query_id = fake.press_button(USER, anchor.message_id, payload)
            answer = fake.wait_for_callback_answer(query_id, timeout=10)
            assert len(answer.get("text") or "") <= 200
        fake.wait_for_updates_consumed(timeout=10)
        check_answers(fake, USER, before)

    await asyncio.to_thread(one)
    assert refused_calls(fake) == []
    assert [r.getMessage() for r in errors if r.levelno >= logging.WARNING] == []
