"""Delivery settings, the Mute button, /latest and the operator commands, through the real stack."""

from __future__ import annotations

import time

from storage import articles
from storage import feeds as feed_store
from storage import subscribers as subscriber_store
from tests.handlers.test_alerts import sent_alert, sent_alert_in, store_story
from tests.support.feed_server import FeedServer

USER = 8001
ADMIN = 8002
RSS = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>Local Wire</title><link>http://x/</link>'
    b"<description>d</description><item><title>Hello</title><link>http://x/1</link><guid>1</guid>"
    b"<description>World</description></item></channel></rss>"
)


def subscriber(bot, chat_id):
    return bot.row("SELECT * FROM subscribers WHERE chat_id = ?", [chat_id])


async def test_digest_timezone_quiet(start_bot):
    bot = await start_bot()
    [reply] = await bot.send(USER, "/timezone kyiv")
    assert "Europe/Kyiv" in reply.text
    [reply] = await bot.send(USER, "/timezone Mars/Olympus")
    assert "Unknown time zone" in reply.text
    [reply] = await bot.send(USER, "/digest daily 7:30")
    assert "daily digest at 07:30 (Europe/Kyiv)" in reply.text
    row = subscriber(bot, USER)
    assert (row["timezone"], row["digest"], row["digest_time"]) == ("Europe/Kyiv", "daily", "07:30")
    [reply] = await bot.send(USER, "/digest weekly")
    assert "/digest daily 08:00" in reply.text
    [reply] = await bot.send(USER, "/quiet 22:00-07:00")
    assert "Quiet hours 22:00–07:00" in reply.text
    [reply] = await bot.send(USER, "/quiet 25-3")
    assert "not a time of day" in reply.text
    [reply] = await bot.send(USER, "/quiet off")
    assert "Quiet hours off" in reply.text
    [reply] = await bot.send(USER, "/digest off")
    assert "each alert as it comes" in reply.text
    row = subscriber(bot, USER)
    assert (row["digest"], row["quiet_start"], row["quiet_end"]) == ("off", None, None)


async def test_turning_a_daily_digest_off_releases_the_alerts_it_held(start_bot):
    bot = await start_bot()
    chat = USER + 10
    # Paused while the row is set up, so the delivery job cannot send it as an instant alert meanwhile.
    subscriber_store.upsert_subscriber(bot.db, chat)
    subscriber_store.set_paused(bot.db, chat, True)
    delivery_id = store_story(bot.db, chat_id=chat)
    bot.db.execute(
        "UPDATE deliveries SET mode = 'digest', next_attempt_at = ? WHERE id = ?",
        [time.time() + 86400, delivery_id],
    )
    bot.db.execute(
        "UPDATE subscribers SET paused = 0, digest = 'daily', digest_time = '08:00' WHERE chat_id = ?", [chat]
    )
    bot.db.conn.commit()
    [reply] = await bot.send(chat, "/digest off")
    assert "each alert as it comes" in reply.text
    alert = await sent_alert_in(bot, chat, delivery_id)
    assert "Zvecan" in alert.text
    assert bot.row("SELECT mode FROM deliveries WHERE id = ?", [delivery_id])["mode"] == "instant"


async def test_mute_and_unmute(start_bot):
    bot = await start_bot()
    [reply] = await bot.send(USER, "/mute 2h")
    assert "Muted until" in reply.text
    assert abs(subscriber(bot, USER)["muted_until"] - (time.time() + 7200)) < 30
    [reply] = await bot.send(USER, "/mute forever")
    assert "not a duration" in reply.text
    [reply] = await bot.send(USER, "/unmute")
    assert "on again" in reply.text
    assert subscriber(bot, USER)["muted_until"] is None


async def test_mute_one_subscription_by_its_number(start_bot):
    bot = await start_bot()
    await bot.send(USER, "/subscribe kosovo")
    await bot.send(USER, "/subscribe keyword:nato")
    [reply] = await bot.send(USER, "/mute 2 8h")
    assert "keyword:nato" in reply.text and "other subscriptions still alert" in reply.text
    rows = list(
        bot.db.query("SELECT raw, muted_until FROM subscriptions WHERE chat_id = ? ORDER BY id", [USER])
    )
    assert rows[0]["muted_until"] is None
    assert abs(rows[1]["muted_until"] - (time.time() + 8 * 3600)) < 30
    assert subscriber(bot, USER)["muted_until"] is None  # the chat itself is not muted
    [reply] = await bot.send(USER, "/mute 5 8h")
    assert "no subscription number 5" in reply.text
    [reply] = await bot.send(USER, "/mute 1 soon")
    assert "not a duration" in reply.text
    assert bot.row("SELECT muted_until FROM subscriptions WHERE raw = 'kosovo'")["muted_until"] is None
    [reply] = await bot.send(USER, "/unmute 2")
    assert "alerts again" in reply.text
    assert bot.row("SELECT muted_until FROM subscriptions WHERE raw = 'keyword:nato'")["muted_until"] is None


async def test_mute_this_topic_button_mutes_only_the_alerts_subscription(start_bot):
    bot = await start_bot()
    delivery_id = store_story(bot.db, chat_id=6001)
    bot.db.execute(
        "INSERT INTO subscriptions (id, chat_id, query, raw, created_at) VALUES (1, 6001, 'kosovo', 'kosovo', 0)"
    )
    bot.db.execute(
        "INSERT INTO subscriptions (id, chat_id, query, raw, created_at) VALUES (2, 6001, 'serbia', 'serbia', 0)"
    )
    bot.db.conn.commit()
    alert = await sent_alert(bot, delivery_id)
    await bot.press(6001, alert, f"mute:{delivery_id}")
    await bot.until(lambda: bot.fake.messages(6001)[-1].edits == 1)
    answer = await bot.press(6001, alert, f"mutesub:{delivery_id}")
    assert "“kosovo” muted until" in answer["text"] and "/unmute 1" in answer["text"]
    assert (
        bot.row("SELECT muted_until FROM subscriptions WHERE id = 1")["muted_until"] > time.time() + 23 * 3600
    )
    assert bot.row("SELECT muted_until FROM subscriptions WHERE id = 2")["muted_until"] is None
    assert subscriber(bot, 6001)["muted_until"] is None
    await bot.until(lambda: bot.fake.messages(6001)[-1].edits == 2)


async def test_mute_button_offers_choices_on_the_alert(start_bot):
    bot = await start_bot()
    delivery_id = store_story(bot.db, chat_id=6001)
    bot.db.execute(
        "INSERT INTO subscriptions (id, chat_id, query, raw, created_at) VALUES (1, 6001, 'kosovo', 'kosovo', 0)"
    )
    bot.db.conn.commit()
    alert = await sent_alert(bot, delivery_id)
    await bot.press(6001, alert, f"mute:{delivery_id}")
    await bot.until(lambda: bot.fake.messages(6001)[-1].edits == 1)
    data = [b["callback_data"] for b in bot.fake.messages(6001)[-1].buttons]
    assert data == [
        f"mutefor:{delivery_id}:2",
        f"mutefor:{delivery_id}:8",
        f"mutefor:{delivery_id}:24",
        f"mutesub:{delivery_id}",
        f"unsubfrom:{delivery_id}",
        f"muteback:{delivery_id}",
    ]
    answer = await bot.press(6001, alert, f"mutefor:{delivery_id}:8")
    assert "Muted until" in answer["text"]
    assert subscriber(bot, 6001)["muted_until"] > time.time() + 7 * 3600
    await bot.until(lambda: bot.fake.messages(6001)[-1].edits == 2)
    assert [b["callback_data"] for b in bot.fake.messages(6001)[-1].buttons][1] == f"why:{delivery_id}"
    answer = await bot.press(6001, alert, f"unsubfrom:{delivery_id}")
    assert "Unsubscribed from “kosovo”" in answer["text"]
    assert bot.row("SELECT * FROM subscriptions WHERE id = 1") is None


async def test_latest_finds_stored_articles(start_bot):
    bot = await start_bot()
    store_story(bot.db, chat_id=6001)  # its alert goes to another chat
    [reply] = await bot.send(USER, "/latest zvecan")
    assert "Latest on zvecan" in reply.text and "Clashes in Zvecan & Leposavic" in reply.text
    [reply] = await bot.send(USER, "/latest kosovo")
    assert "Clashes in Zvecan & Leposavic" in reply.text, "a region query reaches a town-only article"
    [reply] = await bot.send(USER, "/latest keyword:kosovo")
    assert "Nothing stored mentions" in reply.text, "the literal word is not in the article"
    [reply] = await bot.send(USER, "/latest kosovo -leposavic")
    assert "Nothing stored mentions" in reply.text
    [reply] = await bot.send(USER, '/latest "zvecan')
    assert "can't use" in reply.text and "Clashes" not in reply.text
    [reply] = await bot.send(USER, "/latest atlantis")
    assert "Nothing stored mentions" in reply.text


async def test_operator_commands(start_bot):
    bot = await start_bot(admins=(ADMIN,))
    [reply] = await bot.send(USER, "/stats")
    assert "for the bot's operators" in reply.text
    store_story(bot.db, chat_id=USER)
    with bot.db.conn:  # feed 1 has been polled; feed 2 never was, so nothing is known of its health yet
        bot.db.execute("UPDATE feeds SET last_polled = ? WHERE id = 1", [time.time() - 600])
    [reply] = await bot.send(ADMIN, "/stats")
    assert "Subscribers: 1 active" in reply.text and "Feeds: 1 ok, 0 failing, 1 not polled yet" in reply.text
    [reply] = await bot.send(ADMIN, "/feeds")
    assert "#1 Balkan Wire — ok · 1 articles · polled 10 min ago" in reply.text
    assert "#2 Other <Paper> — new · not polled yet" in reply.text, "never polled is not shown as ok"
    [reply] = await bot.send(ADMIN, "/removefeed 2")
    assert "Removed feed #2: Other <Paper>" in reply.text
    assert feed_store.get_feed(bot.db, 2) is None
    [reply] = await bot.send(ADMIN, "/removefeed 2")
    assert "no feed #2" in reply.text


async def test_addfeed_refuses_private_addresses_by_default(start_bot):
    bot = await start_bot(admins=(ADMIN,))
    with FeedServer() as server:
        server.set("/local.xml", RSS)
        [reply] = await bot.send(ADMIN, f"/addfeed {server.url('/local.xml')}", timeout=15)
        assert "I can't add" in reply.text
        assert feed_store.list_feeds(bot.db) == []
        assert server.requests("/local.xml") == [], "not even fetched"


async def test_addfeed_when_private_addresses_are_allowed(start_bot):
    bot = await start_bot(admins=(ADMIN,), polling={"allow_private_addresses": True})
    with FeedServer() as server:
        server.set("/local.xml", RSS)
        [reply] = await bot.send(ADMIN, f"/addfeed {server.url('/local.xml')}", timeout=15)
        assert "Added feed #1: Local Wire (1 items now" in reply.text
        [reply] = await bot.send(ADMIN, f"/addfeed {server.url('/local.xml')}")
        assert "already there as #1" in reply.text
        server.set("/broken.xml", b"<html>not a feed</html>", content_type="text/html")
        [reply] = await bot.send(ADMIN, f"/addfeed {server.url('/broken.xml')}", timeout=15)
        assert "I can't add" in reply.text
    assert [f["id"] for f in feed_store.list_feeds(bot.db)] == [1]
    assert articles.search_articles(bot.db, "hello") == []


async def test_huge_arguments_get_short_valid_answers(start_bot):
    bot = await start_bot()
    huge = "Zz" * 1900
    for command in ("/timezone", "/digest daily", "/quiet", "/mute", "/subscribe", "/unsubscribe", "/latest"):
        [reply] = await bot.send(USER, f"{command} {huge}")
        assert len(reply.text) < 1200, command
