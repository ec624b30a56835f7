"""Channels linked from a private chat, through the real bot and the fake Bot API: linking and its refusals,
managing the channel from the private chat, alerts without buttons, the bot losing the channel, a new @name."""

from __future__ import annotations

import asyncio
import time

from alerts.fanout import fan_out
from storage import articles
from storage import feeds as feed_store

ADMIN = 7001
OTHER = 7002
CHANNEL = -1001234567890


def store_article(db, title: str, guid: str) -> int:
    """One new article (stored now, so after any subscription made before) with ``title``; returns its id."""
    feed_id = feed_store.add_feed(db, f"http://127.0.0.1:9/{guid}.xml", name="Balkan Wire")
    item = {
        "guid_hash": guid,
        "url": f"https://example.org/{guid}",
        "title": title,
        "text": f"{title}. Officials said more talks are planned next week.",
        "summary": f"{title}.",
        "published": time.time() - 60,
    }
    [article_id] = articles.insert_articles(db, feed_id, [item], now=time.time())
    return article_id


async def alert(bot, title: str, guid: str, chat_id: int, n: int = 1):
    """Store a matching article, fan it out with the running bot's matcher, and wait for the ``n``-th message."""
    article_id = store_article(bot.db, title, guid)
    fan_out(bot.db, bot.services.matcher, [article_id], max_age_hours=48)
    return (await asyncio.to_thread(bot.fake.wait_for_messages, chat_id, n, 10.0))[n - 1]


async def link(bot, fake, name: str = "newsdesk", **channel):
    fake.add_channel(CHANNEL, name, title="News <Desk>", admins=(ADMIN,), **channel)
    [answer] = await bot.send(ADMIN, f"/channel @{name}")
    return answer


def nothing_linked(bot) -> bool:
    return bot.row("SELECT count(*) AS n FROM channel_links")["n"] == 0 and (
        bot.row("SELECT count(*) AS n FROM chat_targets")["n"] == 0
    )


async def test_a_linked_channel_is_managed_from_the_private_chat_and_alerted_without_buttons(start_bot, fake):
    bot = await start_bot()
    answer = await link(bot, fake)
    assert answer.text.startswith("📣 Linked the channel News <Desk> (@newsdesk).")
    [subscribed] = await bot.send(ADMIN, "/subscribe kosovo")
    assert subscribed.text.startswith("✅ Subscribed to kosovo")
    assert "This was for the channel News <Desk> (@newsdesk)." in subscribed.text
    assert bot.row("SELECT chat_id FROM subscriptions")["chat_id"] == CHANNEL
    [digest] = await bot.send(ADMIN, "/quiet 22:00-07:00")
    assert "22:00" in digest.text and "News <Desk>" in digest.text
    assert bot.row("SELECT quiet_start FROM subscribers WHERE chat_id = ?", [CHANNEL])["quiet_start"] == "22:00"
    assert bot.row("SELECT quiet_start FROM subscribers WHERE chat_id = ?", [ADMIN]) in (None, {"quiet_start": None})
    await bot.send(ADMIN, "/quiet off")
    [listed] = await bot.send(ADMIN, "/list")
    assert "1. kosovo" in listed.text and "News <Desk>" in listed.text

    sent = await alert(bot, "Talks on northern Kosovo resume in Brussels", "k1", CHANNEL)
    assert "Kosovo" in sent.text
    assert sent.reply_markup is None and sent.buttons == [], "nobody in a channel could use More/Why/Mute"

    [back] = await bot.send(ADMIN, "/channel off")
    assert "act on this chat again" in back.text
    [own] = await bot.send(ADMIN, "/list")
    assert own.text.startswith("No subscriptions yet") and "channel" not in own.text
    [channels] = await bot.send(ADMIN, "/channels")
    assert "News <Desk> (@newsdesk): 1 subscription" in channels.text


async def test_a_forwarded_post_links_its_channel(start_bot, fake):
    bot = await start_bot()
    fake.add_channel(CHANNEL, None, title="Private Desk", admins=(ADMIN,))
    before = len(fake.messages(ADMIN))
    fake.inject_forward(ADMIN, CHANNEL)
    [answer] = (await asyncio.to_thread(fake.wait_for_messages, ADMIN, before + 1))[before:]
    assert answer.text.startswith("📣 Linked the channel Private Desk.")
    assert bot.row("SELECT target_id FROM chat_targets WHERE chat_id = ?", [ADMIN])["target_id"] == CHANNEL


async def test_refusals_say_why_in_one_line_and_link_nothing(start_bot, fake):
    bot = await start_bot()
    fake.add_channel(-1001, "botless", bot_status="left", admins=(ADMIN,))
    fake.add_channel(-1002, "readonly", can_post=False, admins=(ADMIN,))
    fake.add_channel(-1003, "notmine", admins=(OTHER,))
    fake.make_forum(-1004, ())
    cases = {  # the user's text is in <code>, so it shows as typed
        "/channel not a name!": "⚠️ not a name! is not a channel name.",
        "/channel @nosuchchannel": "⚠️ I can't find @nosuchchannel.",
        "/channel @botless": "⚠️ I can't post in Channel -1001 (@botless): I am not one of its admins",
        "/channel @readonly": "⚠️ I can't post in Channel -1002 (@readonly): I am not one of its admins",
        "/channel @notmine": "⚠️ You are not an admin of Channel -1003 (@notmine).",
    }
    for command, start in cases.items():
        [answer] = await bot.send(ADMIN, command)
        assert answer.text.startswith(start), (command, answer.text)
        assert "\n" not in answer.text and nothing_linked(bot), command
    [in_group] = await bot.send(-1004, "/channel @notmine")
    assert in_group.text.startswith("⚠️ Channels are linked from a private chat")
    [own] = await bot.send(ADMIN, "/subscribe kosovo")
    assert "channel" not in own.text
    assert bot.row("SELECT chat_id FROM subscriptions")["chat_id"] == ADMIN


async def test_an_admin_who_lost_the_channel_can_no_longer_manage_it(start_bot, fake):
    bot = await start_bot()
    await link(bot, fake)
    fake.set_chat_member(CHANNEL, ADMIN, "member")
    bot.services.guard._group_admins.clear()  # the guard's one-minute cache: a minute has passed
    [answer] = await bot.send(ADMIN, "/subscribe kosovo")
    assert answer.text.startswith("⚠️ You are no longer an admin of the channel News <Desk> (@newsdesk)")
    assert bot.row("SELECT count(*) AS n FROM subscriptions")["n"] == 0


async def test_a_demoted_bot_marks_the_channel_inactive_and_tells_the_admin_once(start_bot, fake):
    bot = await start_bot()
    await link(bot, fake)
    await bot.send(ADMIN, "/subscribe kosovo")
    before = len(fake.messages(ADMIN))
    fake.set_bot_rights(CHANNEL, "administrator", can_post=False)
    [told] = (await asyncio.to_thread(fake.wait_for_messages, ADMIN, before + 1))[before:]
    assert told.text.startswith("⚠️ I can no longer post in the channel News <Desk> (@newsdesk)")
    assert "/channel @newsdesk" in told.text
    assert bot.row("SELECT active FROM subscribers WHERE chat_id = ?", [CHANNEL])["active"] == 0
    fake.set_bot_rights(CHANNEL, "left")  # removed altogether: already told
    [listed] = await bot.send(ADMIN, "/channels")  # answered after the update before it
    assert "I can't post there" in listed.text
    assert sum("no longer post" in m.text for m in fake.messages(ADMIN)) == 1


async def test_a_refused_send_marks_the_channel_inactive_and_tells_the_admin_once(start_bot, fake):
    bot = await start_bot()
    await link(bot, fake)
    await bot.send(ADMIN, "/subscribe kosovo")
    fake.set_bot_rights(CHANNEL, "administrator", can_post=False, notify=False)
    before = len(fake.messages(ADMIN))
    article_id = store_article(bot.db, "Talks on northern Kosovo resume", "k2")
    fan_out(bot.db, bot.services.matcher, [article_id], max_age_hours=48)
    [told] = (await asyncio.to_thread(fake.wait_for_messages, ADMIN, before + 1, 10.0))[before:]
    assert "I can no longer post in the channel" in told.text
    state = bot.row("SELECT state, last_error FROM deliveries WHERE chat_id = ?", [CHANNEL])
    assert state["state"] == "dropped" and "administrator rights" in state["last_error"]
    assert bot.row("SELECT active FROM subscribers WHERE chat_id = ?", [CHANNEL])["active"] == 0
    fake.inject_member_update(CHANNEL, "administrator", "left")  # Telegram's own word comes later
    await bot.send(ADMIN, "/channels")
    assert sum("no longer post" in m.text for m in fake.messages(ADMIN)) == 1
    assert fake.messages(CHANNEL) == []

    fake.set_bot_rights(CHANNEL, "administrator", can_post=True)  # promoted again: alerts resume
    await bot.until(lambda: bot.row("SELECT active FROM subscribers WHERE chat_id = ?", [CHANNEL])["active"] == 1)
    sent = await alert(bot, "Kosovo and Serbia leaders meet", "k3", CHANNEL)
    assert "Kosovo and Serbia" in sent.text


async def test_a_renamed_channel_is_still_alerted_and_commands_posted_in_it_are_ignored(start_bot, fake):
    bot = await start_bot()
    await link(bot, fake)
    await bot.send(ADMIN, "/subscribe kosovo")
    fake.rename_channel(CHANNEL, "newsroom")
    fake.inject_channel_post(CHANNEL, "/subscribe nato")
    await bot.until(lambda: bot.row("SELECT username FROM subscribers WHERE chat_id = ?", [CHANNEL])["username"] == "newsroom")
    assert bot.row("SELECT count(*) AS n FROM subscriptions")["n"] == 1, "a command typed in a channel does nothing"
    sent = await alert(bot, "Kosovo police reopen the bridge", "k4", CHANNEL)
    assert "Kosovo police" in sent.text and len(fake.messages(CHANNEL)) == 1
    [listed] = await bot.send(ADMIN, "/channels")
    assert "(@newsroom)" in listed.text


GROUP = -1009999
TOPIC = 5
MEMBER = 4242  # who writes in groups in the fake


async def forum(start_bot, fake):
    bot = await start_bot()
    fake.make_forum(GROUP, {TOPIC})
    fake.set_chat_member(GROUP, MEMBER, "administrator")
    return bot


async def test_a_topic_subscription_is_alerted_in_its_topic_and_a_general_one_in_the_general_chat(start_bot, fake):
    bot = await forum(start_bot, fake)
    [in_topic] = await bot.send(GROUP, "/subscribe kosovo", thread_id=TOPIC)
    assert in_topic.text.startswith("✅ Subscribed to kosovo") and in_topic.thread_id == TOPIC
    [general] = await bot.send(GROUP, "/subscribe keyword:nato")
    assert general.thread_id is None
    [listed] = await bot.send(GROUP, "/list", thread_id=TOPIC)
    assert listed.thread_id == TOPIC
    assert "1. kosovo 🧵" in listed.text and "2. keyword:nato\n" in listed.text + "\n"

    topic_alert = await alert(bot, "Kosovo opens a new border crossing", "t1", GROUP, n=4)
    assert "Kosovo" in topic_alert.text and topic_alert.thread_id == TOPIC
    assert topic_alert.buttons, "in a group the subscriber is there: More/Why/Mute stay"
    assert bot.row("SELECT thread_id FROM deliveries ORDER BY id LIMIT 1")["thread_id"] == TOPIC, "kept over a restart"
    general_alert = await alert(bot, "NATO ministers meet in Oslo", "t2", GROUP, n=5)
    assert "NATO" in general_alert.text and general_alert.thread_id is None, "not sent to the topic"


async def test_a_deleted_topic_falls_back_to_the_general_chat(start_bot, fake):
    bot = await forum(start_bot, fake)
    await bot.send(GROUP, "/subscribe kosovo", thread_id=TOPIC)
    fake.delete_topic(GROUP, TOPIC)
    sent = await alert(bot, "Kosovo opens a new border crossing", "t3", GROUP, n=2)
    assert "Kosovo" in sent.text and sent.thread_id is None
    refused = [c for c in fake.calls("sendmessage") if c.status == 400]
    assert len(refused) == 1 and "thread not found" in refused[0].description
    assert bot.row("SELECT thread_id FROM subscriptions")["thread_id"] is None, "later alerts go there directly"
    await bot.until(lambda: bot.row("SELECT state FROM deliveries")["state"] == "sent")
