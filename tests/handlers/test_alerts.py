"""``/why`` and ``/more`` on a real alert: stored article, outbox row sent by the running delivery job."""

from __future__ import annotations

import json
import time
from pathlib import Path

from storage import articles, outbox, stories
from storage import feeds as feed_store
from storage.subscribers import upsert_subscriber

CHAT = 6001
TEXT = (
    "Clashes broke out in Zvecan on Monday as ethnic Serb protesters tried to stop newly elected mayors "
    "from entering municipal buildings. NATO peacekeepers moved in to separate the crowd. "
    "Several soldiers were hurt in the clashes in Zvecan and Leposavic, KFOR said in a statement."
)


def store_story(db, *, chat_id: int) -> int:
    """Two feeds with the same story, and the alert for it queued for ``chat_id``; returns the delivery id."""
    now = time.time()
    first = feed_store.add_feed(db, "http://127.0.0.1:9/a.xml", name="Balkan Wire", now=now)
    second = feed_store.add_feed(db, "http://127.0.0.1:9/b.xml", name="Other <Paper>", now=now)
    item = {
        "guid_hash": "g1",
        "url": "https://example.org/zvecan",
        "title": "Clashes in Zvecan & Leposavic",
        "text": TEXT,
        "summary": "Clashes broke out in Zvecan on Monday.",
        "published": now - 60,
    }
    [article_id] = articles.insert_articles(db, first, [item], now=now)
    [other_id] = articles.insert_articles(
        db, second, [dict(item, guid_hash="g2", url="https://example.net/zvecan-clashes")], now=now + 1
    )
    stories.assign_stories(db, [article_id, other_id], now + 1)
    story_id = articles.get_article(db, article_id)["story_id"]
    db.execute("UPDATE articles SET story_id = ? WHERE id = ?", [story_id, other_id])
    db.conn.commit()
    upsert_subscriber(db, chat_id)
    explanation = json.dumps(
        {"subscription": "kosovo", "subscription_id": 1, "why": "“kosovo” (region Kosovo): Zvečan in title"}
    )
    return outbox.enqueue(
        db, chat_id, story_id, article_id, subscription_id=1, explanation=explanation, now=now
    )


async def sent_alert(bot, delivery_id):
    await bot.until(
        lambda: bot.row("SELECT state FROM deliveries WHERE id = ?", [delivery_id])["state"] == "sent"
    )
    message_id = bot.row("SELECT message_id FROM deliveries WHERE id = ?", [delivery_id])["message_id"]
    return next(m for m in bot.fake.messages(CHAT) if m.message_id == message_id)


async def test_why_as_reply_and_button(start_bot):
    bot = await start_bot()
    delivery_id = store_story(bot.db, chat_id=CHAT)
    alert = await sent_alert(bot, delivery_id)
    assert f"why:{delivery_id}" in [b["callback_data"] for b in alert.buttons]
    [reply] = await bot.send(CHAT, "/why", reply_to_message_id=alert.message_id)
    assert "Your subscription kosovo matched." in reply.text
    assert "Zvečan in title" in reply.text and "Clashes in Zvecan & Leposavic" in reply.text
    assert reply.params.get("reply_parameters", {}).get("message_id") == alert.message_id
    before = len(bot.fake.messages(CHAT))
    await bot.press(CHAT, alert, f"why:{delivery_id}")
    await bot.until(lambda: len(bot.fake.messages(CHAT)) == before + 1)
    assert "Your subscription kosovo matched." in bot.fake.messages(CHAT)[-1].text
    [reply] = await bot.send(CHAT, "/why")
    assert "Your subscription kosovo matched." in reply.text, "without a reply: the latest alert"


async def test_more_lists_other_sources(start_bot):
    bot = await start_bot()
    delivery_id = store_story(bot.db, chat_id=CHAT)
    alert = await sent_alert(bot, delivery_id)
    [reply] = await bot.send(CHAT, "/more", reply_to_message_id=alert.message_id)
    assert "Also reported by 1 outlet:" in reply.text
    assert "• Other <Paper>: Clashes in Zvecan & Leposavic" in reply.text
    assert "KFOR" in reply.text or "peacekeepers" in reply.text, "the longer summary"
    assert any(e.get("url") == "https://example.net/zvecan-clashes" for e in reply.entities)
    before = len(bot.fake.messages(CHAT))
    await bot.press(CHAT, alert, f"more:{delivery_id}")
    await bot.until(lambda: len(bot.fake.messages(CHAT)) == before + 1)
    assert "Also reported by 1 outlet:" in bot.fake.messages(CHAT)[-1].text


async def test_more_lists_each_outlet_with_its_link(start_bot):
    bot = await start_bot()
    delivery_id = store_story(bot.db, chat_id=CHAT)
    db = bot.db
    story_id = outbox.get_delivery(db, delivery_id)["story_id"]
    now = time.time()
    for n, (name, url) in enumerate(
        [("AP", "https://ap.example/a?x=1&y=<2>"), ("D&W <b>", "https://dw.example/zvecan")], 3
    ):
        feed = feed_store.add_feed(db, f"http://127.0.0.1:9/{n}.xml", name=name, now=now)
        title = f"Zvecan report {n} <i>"
        item = {
            "guid_hash": f"g{n}",
            "url": url,
            "title": title,
            "text": title,
            "summary": title,
            "published": now,
        }
        [article_id] = articles.insert_articles(db, feed, [item], now=now + n)
        with db.conn:
            db.execute("UPDATE articles SET story_id = ? WHERE id = ?", [story_id, article_id])
    alert = await sent_alert(bot, delivery_id)
    [reply] = await bot.send(CHAT, "/more", reply_to_message_id=alert.message_id)
    assert "Also reported by 3 outlets:" in reply.text
    lines = reply.text.splitlines()
    start = lines.index("Also reported by 3 outlets:")
    assert [line.split(":")[0] for line in lines[start + 1 :]] == ["• Other <Paper>", "• AP", "• D&W <b>"]
    assert "• D&W <b>: Zvecan report 4 <i> · " in reply.text, "names and titles escaped, shown as written"
    links = [e["url"] for e in reply.entities if e["type"] == "text_link"]
    assert links[-3:] == [
        "https://example.net/zvecan-clashes",
        "https://ap.example/a?x=1&y=<2>",
        "https://dw.example/zvecan",
    ]
    bold = [
        reply.text[e["offset"] : e["offset"] + e["length"]] for e in reply.entities if e["type"] == "bold"
    ]
    assert {"Other <Paper>", "AP", "D&W <b>"} <= set(bold)


async def test_why_about_unknown_alerts(start_bot):
    bot = await start_bot()
    [reply] = await bot.send(CHAT, "/why")
    assert "No alerts here yet" in reply.text
    [mine] = await bot.send(CHAT, "/help")
    [reply] = await bot.send(CHAT, "/more", reply_to_message_id=mine.message_id)
    assert "can't find that alert" in reply.text
    other = store_story(bot.db, chat_id=CHAT + 1)
    alert = await sent_alert_in(bot, CHAT + 1, other)
    answer = await bot.press(CHAT + 1, alert, f"why:{other + 1000}")
    assert answer.get("show_alert") in (True, "true")


async def sent_alert_in(bot, chat_id, delivery_id):
    await bot.until(
        lambda: bot.row("SELECT state FROM deliveries WHERE id = ?", [delivery_id])["state"] == "sent"
    )
    return bot.fake.messages(chat_id)[-1]


SEED = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "kosovo-kfor-2023-05-30.txt"


async def test_why_names_every_subscription_that_matches(start_bot):
    """The seed article matches two of the chat's three subscriptions; the alert is one, its Why? names both."""
    bot = await start_bot()
    for query in ('"tear gas" -football', "kosovo", "keyword:football"):
        [answer] = await bot.send(CHAT, f"/subscribe {query}")
        assert "Subscribed" in answer.text
    feed_id = feed_store.add_feed(bot.db, "http://127.0.0.1:9/wire.xml", name="Wire")
    item = {
        "guid_hash": "seed",
        "url": "https://example.org/kfor",
        "title": "KFOR peacekeepers injured in clashes",
        "text": SEED.read_text(),
        "summary": "About 25 NATO KFOR peacekeepers were injured.",
        "published": time.time(),
    }
    articles.insert_articles(bot.db, feed_id, [item], now=time.time() + 1)
    alert = await bot.until(
        lambda: next((m for m in bot.fake.messages(CHAT) if "KFOR peacekeepers" in m.text), None)
    )
    delivery_id = bot.row("SELECT id FROM deliveries WHERE chat_id = ?", [CHAT])["id"]
    [reply] = await bot.send(CHAT, "/why", reply_to_message_id=alert.message_id)
    before = len(bot.fake.messages(CHAT))
    await bot.press(CHAT, alert, f"why:{delivery_id}")
    await bot.until(lambda: len(bot.fake.messages(CHAT)) == before + 1)
    for text in (reply.text, bot.fake.messages(CHAT)[-1].text):
        assert 'Your subscriptions "tear gas" -football and kosovo matched:' in text
        assert '• "tear gas" -football: “tear gas” in text' in text
        assert "• kosovo: “kosovo” (region Kosovo)" in text and "Zvecan" in text
        assert "keyword:football" not in text
    assert bot.row("SELECT count(*) AS n FROM deliveries WHERE chat_id = ?", [CHAT])["n"] == 1
