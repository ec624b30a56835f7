"""/export and /import through the real stack: the file on the wire (sendDocument, getFile, download), the round
trip with per-subscription settings, and files that are refused whole."""

from __future__ import annotations

import asyncio
import time

from handlers.export_format import MAGIC

USER = 8201
OTHER = 8202


def subscriptions_of(bot, chat_id):
    return [
        (row["raw"], row["query"], row["silent"], row["muted_until"] is not None)
        for row in bot.db.query("SELECT * FROM subscriptions WHERE chat_id = ? ORDER BY id", [chat_id])
    ]


async def send_file(
    bot, chat_id, content: bytes, caption: str | None = "/import", replies: int = 1, **kwargs
):
    before = len(bot.fake.messages(chat_id))
    update = bot.fake.inject_document(chat_id, content, caption=caption, **kwargs)
    messages = await asyncio.to_thread(bot.fake.wait_for_messages, chat_id, before + replies)
    return update["message"]["message_id"], messages[before:]


async def export(bot, chat_id):
    [message] = await bot.send(chat_id, "/export")
    assert message.document is not None, message.text
    return message, bot.fake.file_content(message.document["file_id"]).decode()


async def test_export_then_import_in_another_chat_brings_every_subscription_and_its_settings(start_bot):
    bot = await start_bot()
    for query in ("kosovo", '"tear gas" -football', "keyword:nato", "#protest"):
        await bot.send(USER, f"/subscribe {query}")
    await bot.send(USER, "/silent 2 on")
    await bot.send(USER, "/mute 3 8h")
    message, text = await export(bot, USER)
    assert message.document["file_name"] == "newsalert-subscriptions.txt"
    assert "/import" in message.text and "4 subscription" in message.text
    lines = text.splitlines()
    assert lines[0].startswith(MAGIC + " v1")
    assert lines[3:5] == ["kosovo", '[silent] "tear gas" -football']
    assert lines[5].startswith("[muted until ") and lines[5].endswith("] keyword:nato")
    assert lines[6] == "[] #protest", "a query starting with # is not read back as a comment"

    _, [reply] = await send_file(bot, OTHER, text.encode(), file_name="newsalert-subscriptions.txt")
    assert "Imported 4 subscription(s)" in reply.text
    assert subscriptions_of(bot, OTHER) == subscriptions_of(bot, USER)
    muted = bot.row(
        "SELECT muted_until FROM subscriptions WHERE chat_id = ? AND raw = 'keyword:nato'", [OTHER]
    )
    assert muted["muted_until"] > time.time() + 7 * 3600
    ids = [row["id"] for row in bot.db.query("SELECT id FROM subscriptions WHERE chat_id = ?", [OTHER])]
    assert all(sub_id in bot.services.matcher for sub_id in ids), "imported subscriptions match at once"
    assert bot.fake.downloads, "the file was fetched through getFile and the file URL"

    # Replying /import to the bot's own export adds nothing twice.
    [again] = await bot.send(USER, "/import", reply_to_message_id=message.message_id)
    assert "already here" in again.text
    assert len(subscriptions_of(bot, USER)) == 4


async def test_a_file_with_bad_lines_is_refused_whole_with_each_line_named(start_bot):
    bot = await start_bot()
    await bot.send(USER, "/subscribe kosovo")
    content = "\n".join(
        [
            f"{MAGIC} v1",
            "keyword:nato",
            '"tear gas',
            "",
            "# a comment",
            "region:atlantis",
            "[loud] serbia",
            "[muted until tomorrow] belgrade",
            "-only -exclusions",
        ]
    ).encode()
    _, [reply] = await send_file(bot, USER, content)
    assert reply.text.startswith("Nothing was imported: 5 line(s) can't be used.")
    assert 'line 3: “"tear gas”: A quote is not closed' in reply.text
    assert "line 6: " in reply.text and "atlantis" in reply.text
    assert "line 7: unknown option “loud”" in reply.text
    assert "line 8: “tomorrow” is not a time" in reply.text
    assert "line 9: " in reply.text
    assert "line 2" not in reply.text
    assert [s[0] for s in subscriptions_of(bot, USER)] == ["kosovo"], "nothing half-imported"


async def test_files_that_are_not_exports_are_refused(start_bot):
    bot = await start_bot()
    _, [reply] = await send_file(bot, USER, b"kosovo\nserbia\n", file_name="list.txt")
    assert "not a newsalert export" in reply.text and MAGIC in reply.text
    _, [reply] = await send_file(bot, USER, b"\xff\xfe\x00garbage", file_name="x.bin")
    assert "not UTF-8 text" in reply.text
    downloads = len(bot.fake.downloads)
    _, [reply] = await send_file(bot, USER, b"x", file_size=5_000_000)
    assert "at most 64 KB" in reply.text
    assert len(bot.fake.downloads) == downloads, "a file too big is not even downloaded"
    _, [reply] = await send_file(bot, USER, f"{MAGIC} v1\n# nothing\n".encode())
    assert "no subscriptions in it" in reply.text
    [reply] = await bot.send(USER, "/import")
    assert "with /import as its caption" in reply.text
    assert subscriptions_of(bot, USER) == []


async def test_an_import_past_the_cap_adds_nothing(start_bot):
    bot = await start_bot(max_subscriptions=3)
    await bot.send(USER, "/subscribe kosovo")
    await bot.send(USER, "/subscribe serbia")
    content = f"{MAGIC} v1\nkosovo\nkeyword:nato\nbelgrade\n".encode()
    _, [reply] = await send_file(bot, USER, content)
    assert "would make 4 subscriptions here; the most I keep is 3" in reply.text
    assert [s[0] for s in subscriptions_of(bot, USER)] == ["kosovo", "serbia"]
    _, [reply] = await send_file(bot, USER, f"{MAGIC} v1\nkosovo\nkeyword:nato\n".encode())
    assert "Imported 1 subscription(s) (1 already here)" in reply.text
    many = f"{MAGIC} v1\n" + "\n".join(f"keyword:w{n}" for n in range(4))
    _, [reply] = await send_file(bot, USER, many.encode())
    assert "That file has 4 subscriptions; a chat keeps at most 3" in reply.text


async def test_export_of_an_empty_chat_says_so_and_a_file_without_caption_is_left_alone(start_bot):
    bot = await start_bot()
    [reply] = await bot.send(USER, "/export")
    assert "nothing to export" in reply.text
    await asyncio.to_thread(bot.fake.inject_document, USER, f"{MAGIC} v1\nkosovo\n".encode())
    await asyncio.to_thread(bot.fake.wait_for_updates_consumed)
    [reply] = await bot.send(USER, "/list")
    assert "No subscriptions yet" in reply.text


async def test_only_group_admins_import(start_bot):
    bot = await start_bot()
    group = -8203
    _, [reply] = await send_file(bot, group, f"{MAGIC} v1\nkosovo\n".encode(), user_id=77)
    assert "Only this group's admins" in reply.text
    assert subscriptions_of(bot, group) == []
