"""The chat's language end to end through the fake Bot API: taken from Telegram's language_code on first contact,
stored per chat, shown and changed with /language; an unknown code is refused and changes nothing."""

from __future__ import annotations

from typing import Any

from tests.support.fake_telegram import FakeTelegram


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
    assert await bot.until(lambda: _language(bot, 7) == "de")
    assert "Deutsch" in fake.messages(7)[-1].text
