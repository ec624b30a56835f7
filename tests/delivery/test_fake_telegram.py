"""The fake Bot API server itself: raw HTTP answers (as Telegram shapes them) and the real PTB stack on top."""

from __future__ import annotations

import asyncio
import json
import socket
import time

import httpx
import pytest
from telegram import BotCommand, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest, ChatMigrated, Forbidden, NetworkError, RetryAfter
from telegram.ext import (
    CallbackQueryHandler,
    ChatMemberHandler,
    CommandHandler,
    ContextTypes,
    MessageHandler,
    filters,
)

from tests.delivery.conftest import build_app
from tests.support.fake_telegram import FakeTelegram


def call(fake: FakeTelegram, method: str, **params) -> tuple[int, dict]:
    """One raw request, form-encoded the way PTB sends it (non-strings as JSON)."""
    form = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
    response = httpx.post(f"{fake.base_url}{fake.token}/{method}", data=form, timeout=5)
    return response.status_code, response.json()


def test_send_message_records_what_the_user_sees(fake):
    status, body = call(
        fake,
        "sendMessage",
        chat_id=42,
        text="<b>Hi</b> &amp; bye",
        parse_mode="HTML",
        reply_markup={"inline_keyboard": [[{"text": "More", "callback_data": "more:1"}]]},
    )
    assert status == 200 and body["ok"] is True
    assert body["result"]["text"] == "Hi & bye" and body["result"]["chat"] == {
        "id": 42,
        "type": "private",
        "first_name": "User42",
    }
    [message] = fake.messages(42)
    assert (message.text, message.raw_text, message.parse_mode) == ("Hi & bye", "<b>Hi</b> &amp; bye", "HTML")
    assert message.buttons == [{"text": "More", "callback_data": "more:1"}]


def test_json_bodies_are_accepted_too(fake):
    response = httpx.post(
        f"{fake.base_url}{fake.token}/sendMessage", json={"chat_id": 7, "text": "hello"}, timeout=5
    )
    assert response.json()["result"]["message_id"] == 1
    assert fake.messages(7)[0].text == "hello"


@pytest.mark.parametrize(
    ("params", "description"),
    [
        ({"text": "a < b", "parse_mode": "HTML"}, "Bad Request: can't parse entities: Unsupported start tag"),
        ({"text": "x" * 4097}, "Bad Request: message is too long"),
        ({"text": "   "}, "Bad Request: message text is empty"),
        ({"text": "<b></b>", "parse_mode": "HTML"}, "Bad Request: message text is empty"),
        (
            {"text": "x", "reply_markup": {"inline_keyboard": [[{"text": "b", "callback_data": "x" * 65}]]}},
            "Bad Request: BUTTON_DATA_INVALID",
        ),
    ],
)
def test_bad_requests(fake, params, description):
    status, body = call(fake, "sendMessage", chat_id=1, **params)
    assert status == 400 and body["description"].startswith(description)
    assert fake.messages(1) == []


def test_length_limit_counts_text_after_entity_parsing(fake):
    status, _ = call(fake, "sendMessage", chat_id=1, text="<b>" + "&amp;" * 4096 + "</b>", parse_mode="HTML")
    assert status == 200  # 20,000 characters of HTML, 4,096 of text
    status, _ = call(fake, "sendMessage", chat_id=1, text="&amp;" * 4097, parse_mode="HTML")
    assert status == 400


def test_blocked_missing_and_migrated_chats(fake):
    fake.block(5)
    fake.forget_chat(6)
    fake.migrate_group(-7, -1007, notify=False)
    assert call(fake, "sendMessage", chat_id=5, text="x") == (
        403,
        {"ok": False, "error_code": 403, "description": "Forbidden: bot was blocked by the user"},
    )
    assert call(fake, "sendMessage", chat_id=6, text="x")[1]["description"] == "Bad Request: chat not found"
    status, body = call(fake, "sendMessage", chat_id=-7, text="x")
    assert status == 400 and body["parameters"] == {"migrate_to_chat_id": -1007}
    fake.unblock(5)
    assert call(fake, "sendMessage", chat_id=5, text="x")[0] == 200


def test_overall_rate_limit_answers_429_with_retry_after():
    now = [1000.0]
    with FakeTelegram(rate=5.0, clock=lambda: now[0]) as fake:
        answers = [call(fake, "sendMessage", chat_id=100 + i, text="x") for i in range(8)]
        assert [status for status, _ in answers] == [200] * 5 + [429] * 3
        limited = [body for status, body in answers if status == 429]
        assert all(body["parameters"]["retry_after"] == 1 for body in limited)
        assert limited[0]["description"] == "Too Many Requests: retry after 1"
        now[0] += 0.2  # one message's worth of budget comes back
        assert [call(fake, "sendMessage", chat_id=200 + i, text="x")[0] for i in range(2)] == [200, 429]
        assert fake.stats.too_many == 4 and fake.stats.sent == 6


def test_bursts_to_one_chat_and_groups_are_limited():
    now = [1000.0]
    with FakeTelegram(chat_burst=3, clock=lambda: now[0]) as fake:
        assert [call(fake, "sendMessage", chat_id=9, text="x")[0] for _ in range(5)] == [200] * 3 + [429] * 2
        assert call(fake, "sendMessage", chat_id=10, text="x")[0] == 200  # other chats are not affected
        now[0] += 1.0
        assert call(fake, "sendMessage", chat_id=9, text="x")[0] == 200
        group = [call(fake, "sendMessage", chat_id=-99, text="x")[0] for _ in range(21)]
        assert group == [200] * 20 + [429]
        _, body = call(fake, "sendMessage", chat_id=-99, text="x")
        assert body["parameters"]["retry_after"] == 3  # 20 a minute: one every 3 s


def test_edit_message_text_and_markup(fake):
    call(fake, "sendMessage", chat_id=3, text="one")
    status, body = call(
        fake, "editMessageText", chat_id=3, message_id=1, text="<i>two</i>", parse_mode="HTML"
    )
    assert status == 200 and body["result"]["text"] == "two"
    status, body = call(
        fake, "editMessageText", chat_id=3, message_id=1, text="<i>two</i>", parse_mode="HTML"
    )
    assert status == 400 and "message is not modified" in body["description"]
    assert call(fake, "editMessageText", chat_id=3, message_id=99, text="x")[1]["description"] == (
        "Bad Request: message to edit not found"
    )
    markup = {"inline_keyboard": [[{"text": "Undo", "callback_data": "u"}]]}
    assert call(fake, "editMessageReplyMarkup", chat_id=3, message_id=1, reply_markup=markup)[0] == 200
    [message] = fake.messages(3)
    assert message.text == "two" and message.edits == 2 and message.buttons[0]["text"] == "Undo"


def test_unknown_method_and_wrong_token(fake):
    assert httpx.post(f"{fake.base_url}{fake.token}/sendRocket", timeout=5).status_code == 404
    response = httpx.post(f"{fake.base_url}123:wrong/getMe", timeout=5)
    assert response.status_code == 401 and response.json()["description"] == "Unauthorized"


def test_get_updates_long_poll_returns_as_soon_as_an_update_arrives(fake):
    started = time.monotonic()
    result: list = []

    def poll():
        result.append(call(fake, "getUpdates", offset=0, timeout=10))

    import threading

    thread = threading.Thread(target=poll)
    thread.start()
    fake.wait_for_call("getUpdates", 1)
    fake.inject_message(11, "/start now")
    thread.join(5)
    assert time.monotonic() - started < 3
    [update] = result[0][1]["result"]
    message = update["message"]
    assert message["text"] == "/start now"
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 6}]
    assert fake.pending_updates() == 1
    # The next offset confirms it; an empty long poll with timeout=0 answers at once.
    assert call(fake, "getUpdates", offset=update["update_id"] + 1, timeout=0)[1]["result"] == []
    assert fake.pending_updates() == 0


def test_faults_status_reset_delay_and_growing_retry_after(fake):
    fake.fail_next(1, status=503)
    assert call(fake, "getMe")[0] == 503
    fake.reset_next(1)
    with pytest.raises(httpx.TransportError):
        call(fake, "getMe")
    fake.delay_next(1, 0.5, process=True)
    started = time.monotonic()
    assert call(fake, "sendMessage", chat_id=1, text="late")[0] == 200
    assert time.monotonic() - started >= 0.5
    fake.too_many_next(3, retry_after=2, growth=3, methods=["sendMessage"])
    waits = [call(fake, "sendMessage", chat_id=2, text="x")[1]["parameters"]["retry_after"] for _ in range(3)]
    assert waits == [2, 5, 8]
    assert call(fake, "sendMessage", chat_id=2, text="x")[0] == 200


def test_go_away_refuses_connections_then_comes_back(fake):
    fake.go_away(0.6)
    with pytest.raises(httpx.TransportError):
        call(fake, "getMe")
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", fake.port)) != 0  # refused, not just slow
    deadline = time.monotonic() + 5
    while True:
        try:
            assert call(fake, "getMe")[0] == 200
            break
        except httpx.TransportError:
            assert time.monotonic() < deadline, "server did not come back"
            time.sleep(0.05)


def test_control_endpoints_for_separate_processes(fake):
    call(fake, "sendMessage", chat_id=1, text="a")
    call(fake, "sendMessage", chat_id=1, text="b")
    stats = httpx.get(f"http://127.0.0.1:{fake.port}/_fake/stats", timeout=5).json()
    assert stats["sent"] == 2 and stats["chats"] == 1 and stats["chats_with_duplicates"] == 1
    httpx.post(f"http://127.0.0.1:{fake.port}/_fake/inject", json={"chat_id": 5, "text": "/help"}, timeout=5)
    assert fake.pending_updates() == 1


async def test_real_ptb_application_round_trip(fake):
    """Commands, replies, button presses, block/unblock and migration, through PTB's updater and handlers."""
    app = build_app(fake)
    seen: list[str] = []

    async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_html(
            "<b>Welcome</b>",
            reply_markup=InlineKeyboardMarkup([[InlineKeyboardButton("Why?", callback_data="why:1")]]),
        )

    async def text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        message = update.effective_message
        assert message is not None
        replied = message.reply_to_message
        seen.append(f"text:{message.text}:{replied.text if replied else None}")

    async def button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None and query.message is not None
        seen.append(f"button:{query.data}:{query.message.message_id}")
        await query.answer("ok")

    async def member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.my_chat_member is not None
        seen.append(f"member:{update.my_chat_member.new_chat_member.status}")

    async def migrated(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        message = update.effective_message
        seen.append(f"migrate:{message.chat_id}:{message.migrate_to_chat_id or message.migrate_from_chat_id}")

    app.add_handler(CommandHandler("start", start))
    app.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, migrated))
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, text))
    app.add_handler(CallbackQueryHandler(button))
    app.add_handler(ChatMemberHandler(member, ChatMemberHandler.MY_CHAT_MEMBER))
    async with app:
        await app.bot.set_my_commands([BotCommand("start", "Start here")])
        assert [c.command for c in await app.bot.get_my_commands()] == ["start"]
        await app.start()
        await app.updater.start_polling(poll_interval=0, timeout=5)
        try:
            fake.inject_message(21, "/start")
            [welcome] = await asyncio.to_thread(fake.wait_for_messages, 21, 1)
            assert welcome.text == "Welcome"
            fake.inject_message(21, "kosovo", reply_to_message_id=welcome.message_id)
            query_id = fake.press_button(21, welcome.message_id, "why:1")
            assert (await asyncio.to_thread(fake.wait_for_callback_answer, query_id))["text"] == "ok"
            fake.block(21, notify=True)
            fake.unblock(21, notify=True)
            fake.migrate_group(-31, -1031)
            await asyncio.to_thread(fake.wait_for, lambda: len(seen) >= 6)
            await asyncio.to_thread(fake.wait_for_updates_consumed)
        finally:
            await app.updater.stop()
            await app.stop()
    assert seen == [
        "text:kosovo:Welcome",
        f"button:why:1:{welcome.message_id}",
        "member:kicked",
        "member:member",
        "migrate:-31:-1031",
        "migrate:-1031:-31",
    ]


async def test_ptb_raises_the_right_exceptions(fake):
    app = build_app(fake, retries=0)
    async with app:
        fake.block(1)
        with pytest.raises(Forbidden):
            await app.bot.send_message(1, "x")
        fake.migrate_group(-2, -1002, notify=False)
        with pytest.raises(ChatMigrated) as migrated:
            await app.bot.send_message(-2, "x")
        assert migrated.value.new_chat_id == -1002
        with pytest.raises(BadRequest, match="(?i)can't parse entities"):
            await app.bot.send_message(3, "<p>", parse_mode="HTML")
        fake.too_many_next(1, retry_after=7, methods=["sendMessage"])
        with pytest.raises(RetryAfter):
            await app.bot.send_message(3, "x")
        fake.fail_next(1, status=500)
        with pytest.raises(NetworkError):
            await app.bot.send_message(3, "x")


async def test_chat_members_for_group_admin_checks(fake):
    fake.set_chat_member(-500, 77, "administrator")
    fake.set_chat_member(-500, 78, "creator")
    app = build_app(fake)
    async with app:
        assert (await app.bot.get_chat_member(-500, 77)).status == "administrator"
        assert (await app.bot.get_chat_member(-500, 78)).status == "creator"
        assert (await app.bot.get_chat_member(-500, 79)).status == "member"
        admins = await app.bot.get_chat_administrators(-500)
        assert sorted(a.user.id for a in admins) == [77, 78]
        chat = await app.bot.get_chat(-500)
        assert chat.type == "group" and chat.title == "Group -500"
        fake.forget_chat(-501)
        with pytest.raises(BadRequest, match="(?i)chat not found"):
            await app.bot.get_chat_member(-501, 77)


def test_injected_text_is_valid_utf8_as_telegram_would_carry_it(fake):
    fake.inject_message(12, "/subscribe \ud800x\x00 😀")
    status, body = call(fake, "getUpdates", offset=0, timeout=0)
    message = body["result"][0]["message"]
    assert status == 200 and message["text"] == "/subscribe \ufffdx\x00 😀"
    assert message["entities"][0]["length"] == len("/subscribe")
