"""The scheduled jobs of ``bot.app``: private addresses, feed-health notes to admins, replies during delivery."""

from __future__ import annotations

import asyncio
import time

from bot.config import FeedConfig
from storage import articles, outbox, stories
from storage import feeds as feed_store
from storage.subscribers import upsert_subscriber
from tests.support.feed_server import FeedServer

ADMIN = 9001
RSS = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>Local</title><link>http://x/</link>'
    b"<description>d</description><item><title>Hello</title><link>http://x/1</link><guid>1</guid>"
    b"<description>World</description></item></channel></rss>"
)


async def test_admins_hear_once_when_a_feed_fails_and_once_when_it_recovers(start_bot, fake):
    with FeedServer() as server:
        server.error("/wire.xml", 500)
        url = server.url("/wire.xml")
        bot = await start_bot(admins=(ADMIN,), feeds=(FeedConfig(url=url, name="Wire", interval_seconds=1),))
        await bot.until(lambda: any("Feed failing" in m.text for m in fake.messages(ADMIN)), timeout=20)
        [failing] = fake.messages(ADMIN)
        assert failing.text.startswith("⚠️ Feed failing: Wire:") and "500" in failing.text
        server.set("/wire.xml", RSS)
        await bot.until(lambda: len(fake.messages(ADMIN)) == 2, timeout=20)
        assert fake.messages(ADMIN)[1].text == "✅ Feed recovered: Wire"
        assert feed_store.list_feeds(bot.db)[0]["status"] == "ok"


async def test_only_config_feeds_may_be_private_unless_allowed(start_bot):
    with FeedServer() as server:
        server.set("/config.xml", RSS)
        server.set("/added.xml", RSS)
        bot = await start_bot(feeds=(FeedConfig(url=server.url("/config.xml"), interval_seconds=1),))
        feed_store.add_feed(bot.db, server.url("/added.xml"), interval=1)
        await bot.until(lambda: all(f["last_polled"] for f in feed_store.list_feeds(bot.db)), timeout=20)
        config_feed, added = feed_store.list_feeds(bot.db)
        assert config_feed["status"] == "ok" and config_feed["articles"] == 1
        assert added["status"] == "error" and added["articles"] == 0
        assert server.requests("/added.xml") == [], (
            "a feed added from Telegram never reaches a private address"
        )


async def test_commands_are_answered_within_a_second_during_a_big_delivery(start_bot, fake):
    """Replies share the rate limiter with alerts; delivery keeps few in it, so a reply never waits long."""
    bot = await start_bot()
    feed_id = feed_store.add_feed(bot.db, "http://127.0.0.1:9/wire.xml", name="Wire")
    [article_id] = articles.insert_articles(
        bot.db,
        feed_id,
        [{"guid_hash": "g", "url": None, "title": "T", "text": "", "summary": "", "published": None}],
    )
    stories.assign_stories(bot.db, [article_id])
    story_id = articles.get_article(bot.db, article_id)["story_id"]
    chats = range(20_001, 20_401)
    for chat in chats:
        upsert_subscriber(bot.db, chat)
        outbox.enqueue(bot.db, chat, story_id, article_id, explanation="{}")
    await bot.until(lambda: fake.stats.sent >= 30, timeout=20)
    for n in range(3):
        started = time.monotonic()
        [reply] = await bot.send(ADMIN + n, "/subscribe keyword:nato")
        assert time.monotonic() - started < 1.0
        assert "Subscribed" in reply.text
    assert fake.stats.sent < len(chats), "the delivery was still going on"


async def test_due_digests_are_sent_by_the_running_bot(start_bot, fake):
    bot = await start_bot()
    feed_id = feed_store.add_feed(bot.db, "http://127.0.0.1:9/wire.xml", name="Wire")
    items = [
        {
            "guid_hash": f"g{n}",
            "url": f"https://e.org/{n}",
            "title": title,
            "text": "",
            "summary": "",
            "published": None,
        }
        for n, title in enumerate(["Kosovo talks resume", "Harbour reopens in Split"])
    ]
    ids = articles.insert_articles(bot.db, feed_id, items)
    stories.assign_stories(bot.db, ids)
    chat = 30_001
    upsert_subscriber(bot.db, chat)
    bot.db.execute("UPDATE subscribers SET digest = 'hourly' WHERE chat_id = ?", [chat])
    bot.db.conn.commit()
    for article_id in ids:
        story_id = articles.get_article(bot.db, article_id)["story_id"]
        outbox.enqueue(bot.db, chat, story_id, article_id, mode="digest", next_attempt_at=time.time() - 1)
    [digest] = await asyncio.to_thread(fake.wait_for_messages, chat, 1, 10)
    assert "Your hourly digest" in digest.text
    assert "Kosovo talks resume" in digest.text and "Harbour reopens in Split" in digest.text
    await bot.until(lambda: bot.row("SELECT count(*) AS n FROM deliveries WHERE state = 'sent'")["n"] == 2)
