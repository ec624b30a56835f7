"""The scheduled poll job of ``bot.app``: which feeds may reach private addresses, and feed-health notes to admins."""

from __future__ import annotations

from bot.config import FeedConfig
from storage import feeds as feed_store
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
