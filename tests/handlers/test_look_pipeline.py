"""From a feed on 127.0.0.1 to the chat, through the running bot: photo alerts and their fallback, silent and muted
subscriptions, ``source:`` subscriptions and ``/latest source:``."""

from __future__ import annotations

import asyncio

from bot.config import FeedConfig
from tests.support.feed_server import FeedServer

MEDIA = 'xmlns:media="http://search.yahoo.com/mrss/"'
ZVECAN = "https://img.example.org/zvecan.jpg"
SUMMIT = "https://img.example.org/summit.jpg"


def rss(title: str, items: list[tuple[str, str, str]] = ()) -> bytes:
    """A feed with ``items`` of (guid, title, extra XML inside the item)."""
    body = "".join(
        f"<item><title>{t}</title><link>https://www.reuters.com/world/{g}</link><guid>{g}</guid>"
        f"<description>{t}. Police said more was expected on Monday.</description>{extra}</item>"
        for g, t, extra in items
    )
    return (
        f'<?xml version="1.0"?><rss version="2.0" {MEDIA}><channel><title>{title}</title>'
        f"<link>https://www.reuters.com/</link><description>d</description>{body}</channel></rss>"
    ).encode()


async def polled(bot, url: str, times: int = 1) -> None:
    """Wait until the running bot has polled the feed at ``url`` (at least ``times`` times since now)."""
    start = bot.row("SELECT last_polled FROM feeds WHERE url = ?", [url])
    before = start["last_polled"] if start else None
    for _ in range(times):
        await bot.until(
            lambda b=before: (
                (row := bot.row("SELECT last_polled FROM feeds WHERE url = ?", [url]))
                and row["last_polled"] is not None
                and row["last_polled"] != b
            ),
            timeout=20,
        )
        before = bot.row("SELECT last_polled FROM feeds WHERE url = ?", [url])["last_polled"]


def deliveries(bot, chat_id: int) -> list[dict]:
    return list(bot.db.query("SELECT * FROM deliveries WHERE chat_id = ? ORDER BY id", [chat_id]))


async def test_photo_alert_text_fallback_silent_and_muted_subscriptions_from_a_real_feed(start_bot, fake):
    user = 8301
    with FeedServer() as server:
        server.set("/wire.xml", rss("Wire"))
        url = server.url("/wire.xml")
        bot = await start_bot(feeds=(FeedConfig(url=url, name="Wire", interval_seconds=1),))
        await polled(bot, url)
        for query in ("kosovo", "keyword:nato", "keyword:elections"):
            await bot.send(user, f"/subscribe {query}")
        await bot.send(user, "/silent 2 on")
        await bot.send(user, "/mute 3 8h")
        fake.refuse_photos(SUMMIT)
        server.set(
            "/wire.xml",
            rss(
                "Wire",
                [
                    ("1", "Clashes in Zvečan", f'<media:content url="{ZVECAN}" medium="image" width="800"/>'),
                    ("2", "NATO summit opens in Brussels", f'<enclosure url="{SUMMIT}" type="image/jpeg"/>'),
                    ("3", "Elections called in Croatia", ""),
                ],
            ),
        )
        before = len(fake.messages(user))
        messages = (await asyncio.to_thread(fake.wait_for_messages, user, before + 2, 30))[before:]
    photo = next(m for m in messages if m.photo)
    assert photo.photo == ZVECAN and photo.text.startswith("Clashes in Zvečan\nWire")
    assert not photo.params.get("disable_notification"), "kosovo is not silent"
    text = next(m for m in messages if not m.photo)
    assert text.text.startswith("NATO summit opens in Brussels"), "the refused photo went as the text alert"
    assert text.params["disable_notification"] is True, "keyword:nato is silent"
    await bot.until(lambda: {r["state"] for r in deliveries(bot, user)} == {"sent"})
    assert len(deliveries(bot, user)) == 2, "the muted subscription queued nothing"
    assert len(fake.messages(user)) == before + 2


async def test_source_subscriptions_and_latest_keep_to_the_named_feeds(start_bot, fake):
    reuters_chat, bbc_chat, not_reuters_chat = 8311, 8312, 8313
    with FeedServer() as server:
        server.set("/reuters.xml", rss("Reuters: World News"))
        url = server.url("/reuters.xml")
        bot = await start_bot(feeds=(FeedConfig(url=url, name="Reuters World", interval_seconds=1),))
        await polled(bot, url)
        [reply] = await bot.send(reuters_chat, "/subscribe kosovo source:reuters")
        assert "Only from sources named “reuters”." in reply.text
        await bot.send(bbc_chat, "/subscribe kosovo source:bbc")
        await bot.send(not_reuters_chat, "/subscribe kosovo -source:reuters.com")
        [reply] = await bot.send(bbc_chat, "/subscribe kosovo source:")
        assert "source: needs a name right after the colon" in reply.text
        server.set("/reuters.xml", rss("Reuters: World News", [("7", "Clashes in Leposavić", "")]))
        [alert] = (await asyncio.to_thread(fake.wait_for_messages, reuters_chat, 2, 30))[1:]
    assert alert.text.startswith("Clashes in Leposavić\nReuters World")
    assert deliveries(bot, bbc_chat) == [] and deliveries(bot, not_reuters_chat) == []
    [found] = await bot.send(bbc_chat, "/latest source:reuters kosovo")
    assert "Clashes in Leposavić" in found.text, "/latest finds a town-only article from the named source"
    [none] = await bot.send(bbc_chat, "/latest source:bbc kosovo")
    assert "Nothing stored" in none.text
    [refused] = await bot.send(bbc_chat, "/latest source:")
    assert "source: needs a name right after the colon" in refused.text
