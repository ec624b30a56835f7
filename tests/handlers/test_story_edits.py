"""The running bot, end to end: a second outlet's report of a story edits the alert the chat got, no new alert."""

from __future__ import annotations

from bot.config import FeedConfig
from tests.support.feed_server import FeedServer

CHAT = 6101


def rss(title: str, items: str = "") -> bytes:
    return (
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>{title}</title><link>http://x/</link>'
        f"<description>d</description>{items}</channel></rss>"
    ).encode()


# A wire story both outlets run word for word, at the wire's own URL.
WIRE = (
    "<item><title>KFOR troops injured in Zvecan clashes</title>"
    "<link>https://wire.example/kfor-zvecan</link><guid>{guid}</guid>"
    "<description>Thirty NATO-led KFOR peacekeepers were injured on Monday in clashes with Serb protesters "
    "in Zvecan, northern Kosovo, the mission said.</description></item>"
)


async def test_a_second_outlet_edits_the_sent_alert(start_bot, fake):
    with FeedServer() as server:
        server.set("/a.xml", rss("A"))
        server.set("/b.xml", rss("B"))
        feeds = (
            FeedConfig(url=server.url("/a.xml"), name="Balkan Wire", interval_seconds=1),
            FeedConfig(url=server.url("/b.xml"), name="Daily <Courier>", interval_seconds=1),
        )
        bot = await start_bot(feeds=feeds)
        await bot.until(lambda: all(f["last_polled"] for f in bot.db.query("SELECT last_polled FROM feeds")))
        await bot.send(CHAT, "/subscribe kfor")
        server.set("/a.xml", rss("A", WIRE.format(guid="a-1")))
        await bot.until(lambda: len(fake.messages(CHAT)) == 2, timeout=20)
        alert = fake.messages(CHAT)[1]
        assert alert.text.startswith("KFOR troops injured in Zvecan clashes\nBalkan Wire · ")
        assert "Also reported" not in alert.text
        server.set("/b.xml", rss("B", WIRE.format(guid="b-1")))
        await bot.until(lambda: fake.messages(CHAT)[1].edits == 1, timeout=20)
        edited = fake.messages(CHAT)[1]
        assert "Also reported by Daily <Courier>" in edited.text
        assert edited.buttons == alert.buttons and edited.parse_mode == "HTML"
        assert len(fake.messages(CHAT)) == 2, "no second alert for the same story"
        assert len([c for c in fake.calls("sendMessage") if c.params["chat_id"] == CHAT]) == 2
