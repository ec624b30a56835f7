"""/preview, /photos and /silent (for the chat and for one subscription) through the real stack, and what they do
to the alerts the running bot sends."""

from __future__ import annotations

from tests.handlers.test_alerts import sent_alert_in, store_story

USER = 8101


def subscriber(bot, chat_id=USER):
    return bot.row("SELECT * FROM subscribers WHERE chat_id = ?", [chat_id])


async def test_preview_photos_and_silent_switch_for_the_chat(start_bot):
    bot = await start_bot()
    [reply] = await bot.send(USER, "/preview")
    assert "Use /preview on or /preview off" in reply.text and "now off" in reply.text
    [reply] = await bot.send(USER, "/preview on")
    assert "Link previews on" in reply.text
    [reply] = await bot.send(USER, "/photos off")
    assert "Photo alerts off" in reply.text
    [reply] = await bot.send(USER, "/silent on")
    assert "arrive silently" in reply.text and "/silent off" in reply.text
    row = subscriber(bot)
    assert (row["link_preview"], row["photos"], row["silent"]) == (1, 0, 1)
    [reply] = await bot.send(USER, "/photos")
    assert "now off" in reply.text
    [reply] = await bot.send(USER, "/silent maybe")
    assert "/silent on or /silent off" in reply.text and "/silent 2 on" in reply.text
    assert subscriber(bot)["silent"] == 1, "a refusal changes nothing"
    [reply] = await bot.send(USER, "/silent off")
    assert "with a notification again" in reply.text
    assert subscriber(bot)["silent"] == 0


async def test_silent_for_one_subscription_by_its_number(start_bot):
    bot = await start_bot()
    await bot.send(USER, "/subscribe kosovo")
    await bot.send(USER, "/subscribe keyword:nato")
    [reply] = await bot.send(USER, "/silent 2 on")
    assert "keyword:nato" in reply.text and "other subscriptions still notify" in reply.text
    rows = list(bot.db.query("SELECT raw, silent FROM subscriptions WHERE chat_id = ? ORDER BY id", [USER]))
    assert [(r["raw"], r["silent"]) for r in rows] == [("kosovo", 0), ("keyword:nato", 1)]
    assert subscriber(bot)["silent"] == 0, "the chat itself still notifies"
    [reply] = await bot.send(USER, "/silent")
    assert "Silent subscriptions: 2." in reply.text
    [reply] = await bot.send(USER, "/silent 7 on")
    assert "no subscription number 7" in reply.text
    [reply] = await bot.send(USER, "/silent " + "9" * 40 + " on")
    assert "no subscription number 9999" in reply.text, "a number too big for SQLite names nothing"
    [reply] = await bot.send(USER, "/silent 1 loudly")
    assert "/silent 2 on" in reply.text
    [reply] = await bot.send(USER, "/silent 2 off")
    assert "notification again" in reply.text
    assert bot.row("SELECT silent FROM subscriptions WHERE raw = 'keyword:nato'")["silent"] == 0


async def test_a_group_member_who_is_not_admin_cannot_change_the_look(start_bot):
    bot = await start_bot()
    group = -5101
    [reply] = await bot.send(group, "/silent on", user_id=77)
    assert "Only this group's admins" in reply.text
    assert subscriber(bot, group) is None or subscriber(bot, group)["silent"] == 0


async def test_the_running_bot_sends_the_alert_as_the_chat_asked(start_bot):
    bot = await start_bot()
    await bot.send(USER, "/silent on")
    await bot.send(USER, "/preview on")
    delivery_id = store_story(bot.db, chat_id=USER)
    alert = await sent_alert_in(bot, USER, delivery_id)
    assert alert.params["disable_notification"] is True
    assert alert.params["link_preview_options"] == {"is_disabled": False}
    assert alert.text.startswith("Clashes in Zvecan & Leposavic")


async def test_the_running_bot_sends_a_photo_alert_that_replies_find(start_bot):
    bot = await start_bot()
    first = store_story(bot.db, chat_id=USER)
    bot.db.execute("UPDATE articles SET image_url = 'https://img.example.org/z.jpg'")
    bot.db.conn.commit()
    photo = await sent_alert_in(bot, USER, first)
    assert photo.photo == "https://img.example.org/z.jpg" and photo.text.startswith("Clashes in Zvecan")
    [why] = await bot.send(USER, "/why", reply_to_message_id=photo.message_id)
    assert "Your subscription kosovo matched." in why.text, "a reply to a photo alert finds its alert"
