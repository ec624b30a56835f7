"""Sending digests through the real PTB Bot against the fake Bot API: long digests split into valid messages, and
Telegram's answers (403, migration, refused HTML, 429, 5xx) handled as for instant alerts."""

from __future__ import annotations

import asyncio
import time

from alerts.digests import send_due_digests
from storage import feeds as feed_store
from storage import outbox
from tests.digests.conftest import World, build_app, sender, utc
from tests.support.telegram_html import parse_html

DUE = utc(2026, 11, 25, 10)


def hourly(world: World, chat: int, count: int, *, long: bool = False) -> list[str]:
    """``count`` stories in ``chat``'s next hourly digest (due at DUE); returns their titles."""
    world.subscriber(chat, at=utc(2026, 11, 20), digest="hourly")
    titles = []
    for index in range(count):
        title = world.headline("KFOR & <allies>") if long else world.headline()
        query = (
            "&".join(f"utm_{k}=a%20very%20long%20tracking%20value%20{k}" for k in range(6)) if long else ""
        )
        url = f"https://news.example.org/a/{chat}/{index}?{query}" if long else None
        world.publish(title, at=DUE - 3000 + index, url=url)
        titles.append(title)
    assert len(world.rows(chat)) == count, "each title must be its own story"
    return titles


def states(world: World, chat: int) -> dict[str, int]:
    result: dict[str, int] = {}
    for row in world.rows(chat):
        result[row["state"]] = result.get(row["state"], 0) + 1
    return result


async def test_a_digest_over_4096_characters_is_split_between_entries_into_valid_messages(fake, app, db):
    world = World(db)
    chat = 2001
    titles = hourly(world, chat, 60, long=True)
    stats = await sender(app, db).send_due(now=DUE)
    messages = fake.messages(chat)
    assert len(messages) >= 3 and stats.messages == len(messages) and stats.stories == 60
    total = len(messages)
    for number, message in enumerate(messages, 1):
        assert message.parse_mode == "HTML"  # the fake parsed it as Telegram would, or it would be refused
        assert parse_html(message.raw_text).text == message.text
        assert len(message.text) <= 4096
        assert message.text.startswith(f"🕐 Your hourly digest — 60 stories ({number}/{total})\n\n🔎 kfor")
        assert ("(continued)" in message.text.splitlines()[2]) == (number > 1)
        # Every entry is whole: a title line, its source line, and a link on the title.
        lines = message.text.splitlines()[3:]
        assert len(lines) % 2 == 0 and all(line.startswith("• ") for line in lines[::2])
        assert all(line.startswith("   Example News · ") for line in lines[1::2])
        assert len([e for e in message.entities if e["type"] == "text_link"]) == len(lines) // 2
    shown = [line[2:] for m in messages for line in m.text.splitlines() if line.startswith("• ")]
    assert shown == titles[::-1], "every story once, newest first"
    # Each row carries the id of the message it went out in, so a reply to that message finds it.
    rows = world.rows(chat)
    assert {r["state"] for r in rows} == {"sent"}
    assert {r["message_id"] for r in rows} == {m.message_id for m in messages}
    for message in messages:
        row = outbox.find_by_message(db, chat, message.message_id)
        assert row is not None and row["chat_id"] == chat


async def test_a_blocked_chat_digest_is_dropped_at_the_first_403_and_others_still_arrive(fake, app, db):
    world = World(db)
    hourly(world, 2101, 60, long=True)  # several messages' worth
    hourly(world, 2102, 2)
    queued = len(world.rows(2101))  # 62: the second chat's stories matched the first chat's subscription too
    fake.block(2101)
    stats = await sender(app, db).send_due(now=DUE)
    assert len([c for c in fake.calls("sendMessage") if c.params["chat_id"] == 2101]) == 1
    assert stats.deactivated_chats == 1 and stats.dropped == queued
    assert db.execute("SELECT active FROM subscribers WHERE chat_id = 2101").fetchone()[0] == 0
    assert states(world, 2101) == {"dropped": queued}
    assert {r["last_error"] for r in world.rows(2101)} == {"Forbidden: bot was blocked by the user"}
    assert len(fake.messages(2102)) == 1
    # Never tried again, and the inactive chat's new rows are not made or sent.
    world.publish(world.headline(), at=DUE + 60)
    assert len(world.rows(2101)) == queued
    assert await send_due_digests(app.bot, db, now=DUE + 7200) == 1  # the other chat's next digest
    assert len([c for c in fake.calls("sendMessage") if c.params["chat_id"] == 2101]) == 1


async def test_a_group_that_became_a_supergroup_gets_its_digest_at_the_new_id(fake, app, db):
    world = World(db)
    old, new = -6001, -1006001
    hourly(world, old, 2)
    fake.migrate_group(old, new, notify=False)
    stats = await sender(app, db).send_due(now=DUE)
    assert stats.migrated_chats == 1 and stats.messages == 1
    assert fake.messages(old) == [] and len(fake.messages(new)) == 1
    assert world.rows(old) == []
    assert states(world, new) == {"sent": 2}


async def test_html_refused_by_telegram_is_resent_as_plain_text(fake, app, db):
    world = World(db)
    titles = hourly(world, 2201, 2)
    fake.fail_next(
        1,
        status=400,
        description="Bad Request: can't parse entities: Unsupported start tag",
        methods=["sendMessage"],
    )
    stats = await sender(app, db).send_due(now=DUE)
    assert stats.plain_fallbacks == 1 and stats.messages == 1
    [message] = fake.messages(2201)
    assert message.parse_mode is None
    assert message.text.startswith(f"🕐 Your hourly digest — 2 stories\n\n🔎 kfor\n• {titles[1]}\n")
    assert "https://news.example.org/a/" in message.text
    assert states(world, 2201) == {"sent": 2}


async def test_429_makes_the_digest_wait_retry_after_without_counting_an_attempt(fake, db):
    world = World(db)
    hourly(world, 2301, 3)
    fake.too_many_next(1, retry_after=7, methods=["sendMessage"])
    async with build_app(fake, retries=0) as app:  # a limiter that lets the 429 through
        stats = await sender(app, db).send_due(now=DUE)
        assert stats.rate_limited == 1 and stats.messages == 0
        assert {(r["state"], r["attempts"], r["next_attempt_at"]) for r in world.rows(2301)} == {
            ("pending", 0, DUE + 7)
        }
        assert await send_due_digests(app.bot, db, now=DUE + 6) == 0
        assert await send_due_digests(app.bot, db, now=DUE + 7) == 1
    assert len(fake.messages(2301)) == 1 and states(world, 2301) == {"sent": 3}


async def test_a_server_error_mid_digest_resends_only_the_unsent_messages(fake, app, db):
    world = World(db)
    titles = hourly(world, 2401, 60, long=True)
    digests = sender(app, db, part_interval=0.4)
    task = asyncio.create_task(digests.send_due(now=DUE))
    deadline = time.monotonic() + 10
    while not fake.messages(2401):
        assert time.monotonic() < deadline, "the first message never arrived"
        await asyncio.sleep(0.01)
    fake.fail_next(1, status=500, methods=["sendMessage"])
    stats = await task
    assert stats.messages == 1 and stats.retried == 1
    [first] = fake.messages(2401)
    sent = [r for r in world.rows(2401) if r["state"] == "sent"]
    waiting = [r for r in world.rows(2401) if r["state"] == "pending"]
    assert {r["message_id"] for r in sent} == {first.message_id}
    assert len(sent) + len(waiting) == 60
    assert all(r["attempts"] == 1 and DUE < r["next_attempt_at"] <= DUE + 1 for r in waiting)

    assert (await digests.send_due(now=DUE + 5)).stories == len(waiting)
    shown = [line[2:] for m in fake.messages(2401) for line in m.text.splitlines() if line.startswith("• ")]
    assert sorted(shown) == sorted(titles), "every story exactly once"
    assert fake.messages(2401)[1].text.startswith(f"🕐 Your hourly digest — {len(waiting)} stories")


async def test_transient_failures_give_up_after_max_attempts(fake, app, db):
    world = World(db)
    hourly(world, 2501, 2)
    fake.fail_next(100, status=502, methods=["sendMessage"])
    digests = sender(app, db, max_attempts=2)
    assert (await digests.send_due(now=DUE)).retried == 1
    assert (await digests.send_due(now=DUE + 10)).failed == 2
    rows = world.rows(2501)
    assert {r["state"] for r in rows} == {"failed"} and {r["attempts"] for r in rows} == {2}
    assert all("gave up after 2 attempts" in r["last_error"] for r in rows)
    assert fake.messages(2501) == []


async def test_a_story_whose_feed_was_removed_shows_another_source_or_is_dropped(fake, app, db):
    world = World(db)
    titles = hourly(world, 2601, 2)
    other_feed = feed_store.add_feed(db, "https://wire.example.net/feed", name="Wire", now=0)
    kept_story = db.execute("SELECT story_id FROM deliveries WHERE chat_id = 2601 ORDER BY id").fetchone()[0]
    db["articles"].insert(
        {
            "feed_id": other_feed,
            "guid_hash": "wire-1",
            "url": "https://wire.example.net/1",
            "title": "Wire: " + titles[0],
            "published": DUE - 3500,
            "first_seen": DUE - 3500,
            "story_id": kept_story,
            "matched": 1,
        }
    )
    assert feed_store.remove_feed(db, world.feed_id)
    stats = await sender(app, db).send_due(now=DUE)
    assert stats.messages == 1 and stats.dropped == 1
    [message] = fake.messages(2601)
    assert message.text.startswith("🕐 Your hourly digest — 1 story\n")
    assert f"• Wire: {titles[0]}\n   Wire · " in message.text and titles[1] not in message.text
    assert states(world, 2601) == {"sent": 1, "dropped": 1}


async def test_shutdown_mid_digest_puts_the_rest_back_due_at_once(fake, app, db):
    world = World(db)
    hourly(world, 2701, 60, long=True)
    stop = asyncio.Event()
    digests = sender(app, db, part_interval=0.3)
    task = asyncio.create_task(digests.send_due(now=DUE, stop=stop))
    deadline = time.monotonic() + 10
    while not fake.messages(2701):
        assert time.monotonic() < deadline
        await asyncio.sleep(0.01)
    stop.set()
    stats = await task
    assert stats.messages == 1
    waiting = [r for r in world.rows(2701) if r["state"] == "pending"]
    assert waiting and all(r["next_attempt_at"] == DUE and r["attempts"] == 0 for r in waiting)
    assert (await digests.send_due(now=DUE)).stories == len(waiting)
    assert states(world, 2701) == {"sent": 60}
