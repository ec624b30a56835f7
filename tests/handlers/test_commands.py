"""Commands through the real PTB stack and the fake Bot API: what the user sees and what storage holds after."""

from __future__ import annotations

import asyncio
import time

from telegram import Update

from matching import Document

USER = 5001


def subscription_ids(bot, chat_id):
    return [
        row["id"]
        for row in bot.db.query("SELECT id FROM subscriptions WHERE chat_id = ? ORDER BY id", [chat_id])
    ]


async def test_start_welcomes_sets_commands_and_reactivates(start_bot, fake):
    bot = await start_bot()
    assert {c["command"] for c in fake.commands()} >= {"subscribe", "unsubscribe", "list", "why", "stop"}
    [reply] = await bot.send(USER, "/start")
    assert "/subscribe kosovo" in reply.text
    assert bot.row("SELECT active FROM subscribers WHERE chat_id = ?", [USER])["active"] == 1
    bot.db.execute("UPDATE subscribers SET active = 0 WHERE chat_id = ?", [USER])
    bot.db.conn.commit()
    [reply] = await bot.send(USER, "/start")
    assert "Welcome back" in reply.text
    assert bot.row("SELECT active FROM subscribers WHERE chat_id = ?", [USER])["active"] == 1


async def test_subscribe_answers_fast_with_how_it_was_understood(start_bot):
    bot = await start_bot()
    started = time.monotonic()
    [reply] = await bot.send(USER, "/subscribe kosovo")
    assert time.monotonic() - started < 1.0
    assert "Subscribed to kosovo" in reply.text
    assert "Kosovo" in reply.text.split("Understood as:", 1)[1]
    assert "keyword:kosovo" in reply.text, "a region answer says how to force a keyword"
    [sub_id] = subscription_ids(bot, USER)
    matches = bot.services.matcher.match(
        Document(title="Clashes in Zvecan", text="Police in Leposavic said...")
    )
    assert sub_id in matches, "the running matcher has the subscription at once"


async def test_repeat_subscription_is_already_subscribed(start_bot):
    bot = await start_bot()
    await bot.send(USER, "/subscribe kosovo")
    [reply] = await bot.send(USER, "/subscribe   Kosovo")
    assert "already have" in reply.text
    assert len(subscription_ids(bot, USER)) == 1


async def test_bad_queries_are_refused_and_change_nothing(start_bot):
    bot = await start_bot()
    [reply] = await bot.send(USER, "/subscribe")
    assert "/subscribe kosovo" in reply.text
    [reply] = await bot.send(USER, "/subscribe " + "word " * 60)
    assert "limit is 200" in reply.text
    [reply] = await bot.send(USER, '/subscribe "')
    assert "can't use" in reply.text
    assert subscription_ids(bot, USER) == []


async def test_subscription_cap(start_bot):
    bot = await start_bot(max_subscriptions=2)
    await bot.send(USER, "/subscribe keyword:alpha")
    await bot.send(USER, "/subscribe keyword:beta")
    [reply] = await bot.send(USER, "/subscribe keyword:gamma")
    assert "I keep at most 2" in reply.text
    [reply] = await bot.send(USER, "/subscribe keyword:alpha")
    assert "already have" in reply.text
    assert len(subscription_ids(bot, USER)) == 2


async def test_list_and_remove_button(start_bot):
    bot = await start_bot()
    [reply] = await bot.send(USER, "/list")
    assert "No subscriptions yet" in reply.text
    await bot.send(USER, "/subscribe keyword:<script>")
    await bot.send(USER, "/subscribe keyword:nato")
    [listing] = await bot.send(USER, "/list")
    assert "1. keyword:<script>" in listing.text and "2. keyword:nato" in listing.text
    first, second = subscription_ids(bot, USER)
    assert [b["callback_data"] for b in listing.buttons] == [f"unsub:{first}", f"unsub:{second}"]
    answer = await bot.press(USER, listing, f"unsub:{first}")
    assert "Removed" in answer["text"]
    await bot.until(lambda: bot.fake.messages(USER)[-1].edits == 1)
    edited = bot.fake.messages(USER)[-1]
    assert "1. keyword:nato" in edited.text and "<script>" not in edited.text
    assert subscription_ids(bot, USER) == [second]
    answer = await bot.press(USER, listing, f"unsub:{first}")
    assert "Already removed" in answer["text"]


async def test_unsubscribe_by_number_and_by_query(start_bot):
    bot = await start_bot()
    await bot.send(USER, "/subscribe keyword:alpha")
    await bot.send(USER, "/subscribe kosovo")
    await bot.send(USER, "/subscribe keyword:gamma")
    alpha, kosovo, gamma = subscription_ids(bot, USER)
    [reply] = await bot.send(USER, "/unsubscribe 2")
    assert "Removed kosovo" in reply.text and "2 left" in reply.text
    assert not bot.services.matcher.match(Document(title="Kosovo news"))
    [reply] = await bot.send(USER, "/unsubscribe keyword:gamma")
    assert "Removed keyword:gamma" in reply.text
    [reply] = await bot.send(USER, "/unsubscribe 7")
    assert "no subscription number 7" in reply.text
    [reply] = await bot.send(USER, "/unsubscribe")
    assert "Which one?" in reply.text and reply.buttons
    assert subscription_ids(bot, USER) == [alpha]


async def test_plain_text_suggests_subscribe_with_a_button(start_bot):
    bot = await start_bot()
    [reply] = await bot.send(USER, "kosovo")
    assert "/subscribe kosovo" in reply.text
    [button] = reply.buttons
    before = len(bot.fake.messages(USER))
    await bot.press(USER, reply, button["callback_data"])
    [confirmation] = (await asyncio.to_thread(bot.fake.wait_for_messages, USER, before + 1))[before:]
    assert "Subscribed to kosovo" in confirmation.text
    assert len(subscription_ids(bot, USER)) == 1


async def test_unknown_command_lists_commands(start_bot):
    bot = await start_bot()
    [reply] = await bot.send(USER, "/frobnicate now")
    assert "I don't know /frobnicate" in reply.text and "/subscribe" in reply.text


async def test_pause_resume(start_bot):
    bot = await start_bot()
    [reply] = await bot.send(USER, "/pause")
    assert "paused" in reply.text
    assert bot.row("SELECT paused FROM subscribers WHERE chat_id = ?", [USER])["paused"] == 1
    [reply] = await bot.send(USER, "/subscribe keyword:nato")
    assert "/resume" in reply.text
    [reply] = await bot.send(USER, "/resume")
    assert "on again" in reply.text
    assert bot.row("SELECT paused FROM subscribers WHERE chat_id = ?", [USER])["paused"] == 0


async def test_stop_asks_then_forgets(start_bot):
    bot = await start_bot()
    await bot.send(USER, "/subscribe kosovo")
    [question] = await bot.send(USER, "/stop")
    assert [b["callback_data"] for b in question.buttons] == ["stop:yes", "stop:no"]
    await bot.press(USER, question, "stop:no")
    await bot.until(lambda: bot.fake.messages(USER)[-1].text == "Nothing changed.")
    assert subscription_ids(bot, USER)
    [question] = await bot.send(USER, "/stop")
    await bot.press(USER, question, "stop:yes")
    await bot.until(lambda: "forgot this chat" in bot.fake.messages(USER)[-1].text)
    assert bot.row("SELECT * FROM subscribers WHERE chat_id = ?", [USER]) is None
    assert subscription_ids(bot, USER) == []
    assert not bot.services.matcher.match(Document(title="Kosovo news"))


async def test_rate_limit_answers_once_then_ignores(start_bot, fake):
    bot = await start_bot(commands_per_minute=3)
    for _ in range(3):
        await bot.send(USER, "/help")
    [reply] = await bot.send(USER, "/help")
    assert "Too many commands" in reply.text
    await bot.send(USER, "/help", replies=0)
    assert len(fake.messages(USER)) == 4
    [reply] = await bot.send(USER + 1, "/help")
    assert "newsalert" in reply.text


async def test_allowed_users(start_bot, fake):
    bot = await start_bot(allowed_users=(USER,), admins=(USER + 2,))
    [reply] = await bot.send(USER + 1, "/subscribe kosovo")
    assert reply.text == "⚠️ This bot is private."
    assert subscription_ids(bot, USER + 1) == []
    [reply] = await bot.send(USER + 2, "/help")
    assert "newsalert" in reply.text
    [reply] = await bot.send(USER, "/help")
    assert "newsalert" in reply.text


async def test_blocked_and_unblocked_updates(start_bot, fake):
    bot = await start_bot()
    await bot.send(USER, "/start")
    bot.db.execute("UPDATE subscribers SET paused = 1 WHERE chat_id = ?", [USER])  # hold the queued alert
    bot.db.execute(
        "INSERT INTO deliveries (chat_id, story_id, article_id, state, created_at) VALUES (?, 1, 1, 'pending', 0)",
        [USER],
    )
    bot.db.conn.commit()
    fake.block(USER, notify=True)
    await bot.until(
        lambda: bot.row("SELECT active FROM subscribers WHERE chat_id = ?", [USER])["active"] == 0
    )
    assert bot.row("SELECT state FROM deliveries WHERE chat_id = ?", [USER])["state"] == "dropped"
    fake.unblock(USER, notify=True)
    await bot.until(
        lambda: bot.row("SELECT active FROM subscribers WHERE chat_id = ?", [USER])["active"] == 1
    )


async def test_group_commands_need_an_admin(start_bot, fake):
    bot = await start_bot()
    group = -4001
    [reply] = await bot.send(group, "/subscribe@newsalert_test_bot kosovo", user_id=77)
    assert "Only this group's admins" in reply.text
    assert subscription_ids(bot, group) == []
    [reply] = await bot.send(group, "/list@newsalert_test_bot", user_id=77)
    assert "No subscriptions yet" in reply.text, "anyone may look"
    await bot.send(group, "/subscribe@other_bot kosovo", user_id=77, replies=0)
    await bot.send(group, "/frobnicate@other_bot", user_id=77, replies=0)
    assert len(fake.messages(group)) == 2, "commands for another bot are not ours"

    fake.set_chat_member(group, 78, "administrator")
    [reply] = await bot.send(group, "/subscribe@newsalert_test_bot kosovo", user_id=78)
    assert "Subscribed to kosovo" in reply.text
    [sub_id] = subscription_ids(bot, group)
    row = bot.row("SELECT chat_type, title FROM subscribers WHERE chat_id = ?", [group])
    assert row == {"chat_type": "group", "title": f"Group {group}"}
    [listing] = await bot.send(group, "/list", user_id=77)
    answer = await bot.press(group, listing, f"unsub:{sub_id}", user_id=77)
    assert answer.get("show_alert") in (True, "true") and "admins" in answer["text"]
    assert subscription_ids(bot, group) == [sub_id]
    await bot.press(group, listing, f"unsub:{sub_id}", user_id=78)
    await bot.until(lambda: subscription_ids(bot, group) == [])


async def test_bot_added_to_group_says_hello_and_migration_moves_subscriptions(start_bot, fake):
    bot = await start_bot()
    group, supergroup = -4002, -1004002
    fake.inject_member_update(group, "left", "member")
    [hello] = await asyncio.to_thread(fake.wait_for_messages, group, 1)
    assert "/subscribe@newsalert_test_bot" in hello.text
    bot.db.execute(
        "INSERT INTO subscriptions (chat_id, query, raw, created_at) VALUES (?, 'kosovo', 'kosovo', 0)",
        [group],
    )
    bot.db.conn.commit()
    fake.migrate_group(group, supergroup)
    await bot.until(lambda: subscription_ids(bot, supergroup))
    assert bot.row("SELECT * FROM subscribers WHERE chat_id = ?", [group]) is None
    assert (
        bot.row("SELECT chat_type FROM subscribers WHERE chat_id = ?", [supergroup])["chat_type"]
        == "supergroup"
    )
    fake.inject_member_update(supergroup, "member", "left")
    await bot.until(
        lambda: bot.row("SELECT active FROM subscribers WHERE chat_id = ?", [supergroup])["active"] == 0
    )


async def test_anonymous_group_admin_may_subscribe(start_bot, fake):
    """An admin posting as the group: from GroupAnonymousBot, with the group as sender_chat (Telegram's shape)."""
    bot = await start_bot()
    group = -4003
    chat = {"id": group, "type": "supergroup", "title": "Newsroom"}
    payload = {
        "update_id": 990001,
        "message": {
            "message_id": 1,
            "date": int(time.time()),
            "chat": chat,
            "from": {
                "id": 1087968824,
                "is_bot": True,
                "first_name": "Group",
                "username": "GroupAnonymousBot",
            },
            "sender_chat": chat,
            "text": "/subscribe@newsalert_test_bot kosovo",
            "entities": [{"type": "bot_command", "offset": 0, "length": 29}],
        },
    }
    await bot.app.process_update(Update.de_json(payload, bot.app.bot))
    [reply] = await asyncio.to_thread(fake.wait_for_messages, group, 1)
    assert "Subscribed to kosovo" in reply.text
    assert len(subscription_ids(bot, group)) == 1


async def test_unknown_buttons_are_answered(start_bot):
    bot = await start_bot()
    [reply] = await bot.send(USER, "/help")
    answer = await bot.press(USER, reply, "frobnicate:1")
    assert answer["text"] == "⚠️ This button no longer works."


async def test_start_link_with_a_topic_offers_it(start_bot):
    bot = await start_bot()
    welcome, offer = await bot.send(USER, "/start new_york", replies=2)
    assert "Hi!" in welcome.text
    assert "/subscribe new york" in offer.text
    assert [b["callback_data"] for b in offer.buttons] == ["sub:new york"]


async def test_a_reply_failed_by_a_502_or_a_reset_is_sent_again(start_bot, fake):
    bot = await start_bot()
    fake.fail_next(1, status=502, methods=["sendMessage"])
    [reply] = await bot.send(USER, "/subscribe keyword:harbour", timeout=10)
    assert "Subscribed" in reply.text
    fake.reset_next(1, methods=["sendMessage"])
    [reply] = await bot.send(USER, "/list", timeout=10)
    assert "1. keyword:harbour" in reply.text
    [reply] = await bot.send(USER, "/help")
    assert "newsalert" in reply.text, "later answers are not held up"
