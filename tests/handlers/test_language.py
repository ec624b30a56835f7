"""The chat's language end to end through the fake Bot API: taken from Telegram's language_code on first contact,
stored per chat, shown and changed with /language; an unknown code is refused and changes nothing."""

from __future__ import annotations

import asyncio
from typing import Any

from bot.config import FeedConfig
from tests.support.fake_telegram import FakeTelegram
from tests.support.feed_server import FeedServer


def _language(bot: Any, chat_id: int) -> str | None:
    row = bot.row("SELECT language FROM subscribers WHERE chat_id = ?", [chat_id])
    return row["language"] if row else None


async def test_the_first_contact_stores_the_users_language(start_bot: Any, fake: FakeTelegram) -> None:
    bot = await start_bot()
    await bot.send(5, "/start", language_code="uk-UA")
    assert await bot.until(lambda: _language(bot, 5) == "uk")
    # A later update in another Telegram language does not change what the chat chose.
    [answer] = await bot.send(5, "/language", language_code="en")
    assert "Українська" in answer.text and "розмовляю" in answer.text
    labels = [button["text"] for button in answer.buttons]
    assert labels == ["English", "Українська", "Русский", "Српски", "Shqip", "Deutsch", "Français", "Español"]


async def test_language_sets_and_an_unknown_code_is_refused(start_bot: Any, fake: FakeTelegram) -> None:
    bot = await start_bot()
    await bot.send(6, "/start", language_code="uk")
    [answer] = await bot.send(6, "/language fr")
    assert "Français" in answer.text and _language(bot, 6) == "fr"
    [refused] = await bot.send(6, "/language xx")
    assert refused.text.startswith("⚠️") and "xx" in refused.text and "de (Deutsch)" in refused.text
    assert _language(bot, 6) == "fr"


async def test_a_language_button_switches(start_bot: Any, fake: FakeTelegram) -> None:
    bot = await start_bot()
    await bot.send(7, "/start")
    [menu] = await bot.send(7, "/language")
    assert "English" in menu.text
    await bot.press(7, menu, "lang:de")
    switched = (await asyncio.to_thread(fake.wait_for_messages, 7, 3))[2]
    assert "Deutsch" in switched.text and _language(bot, 7) == "de"


EMPTY = b'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title><link>http://x/</link>' + (
    b"<description>d</description></channel></rss>"
)
ITEM = EMPTY.replace(
    b"</channel>",
    b"<item><title>Clashes in Zvecan</title><link>https://example.org/zvecan</link><guid>z1</guid>"
    b"<description>Police and protesters clashed in Zvecan, in northern Kosovo, on Monday.</description>"
    b"</item></channel>",
)


async def test_a_ukrainian_user_gets_start_subscribe_and_the_alert_in_ukrainian(start_bot, fake) -> None:
    with FeedServer() as server:
        server.set("/wire.xml", EMPTY)
        feed = FeedConfig(url=server.url("/wire.xml"), name="Wire", interval_seconds=1)
        bot = await start_bot(feeds=(feed,))
        [hello] = await bot.send(8, "/start", language_code="uk")
        assert hello.text.startswith("👋 Вітаю!") and "/subscribe kosovo" in hello.text
        [subscribed] = await bot.send(8, "/subscribe kosovo", language_code="uk")
        assert subscribed.text.startswith("✅ Підписку на kosovo оформлено")
        assert "Зрозумів як:" in subscribed.text
        server.set("/wire.xml", ITEM)
        await bot.until(lambda: len(fake.messages(8)) == 3, timeout=20)
        alert = fake.messages(8)[2]
        assert alert.text.startswith("Clashes in Zvecan"), "the feed's own text is not translated"
        assert "Читати на example.org" in alert.text
        assert [button["text"] for button in alert.buttons] == ["Докладніше", "Чому?", "Тиша"]
        assert [button["callback_data"] for button in alert.buttons][0].startswith("more:")
        # /language fr switches the chat, and its next answer is French.
        await bot.send(8, "/language fr", language_code="uk")
        [listing] = await bot.send(8, "/list", language_code="uk")
        assert "kosovo" in listing.text and "Abonnements" in listing.text
