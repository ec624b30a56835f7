"""Digests arrive when the subscriber asked: daily at 08:00 in their zone across DST, at the end of quiet hours,
and at the next hour when the per-hour cap overflowed. Rows come from the real fan-out; time is passed as ``now``."""

from __future__ import annotations

import pytest

from alerts.delivery import Deliverer
from alerts.digests import send_due_digests
from storage import outbox
from tests.digests.conftest import World, sender, utc


@pytest.mark.parametrize(
    ("published", "due", "wrong", "local_times"),
    [
        # Spring forward on Sunday 29 March 2026 (03:00 EET -> 04:00 EEST at 01:00 UTC): 08:00 is 05:00 UTC that
        # morning, not 06:00 UTC as the day before.
        (
            (utc(2026, 3, 28, 9), utc(2026, 3, 28, 20)),
            utc(2026, 3, 29, 5),
            utc(2026, 3, 29, 6),
            ("28 Mar, 22:00 EET", "28 Mar, 11:00 EET"),
        ),
        # Fall back on Sunday 25 October 2026 (04:00 EEST -> 03:00 EET at 01:00 UTC): 08:00 is 06:00 UTC that
        # morning, not 05:00 UTC as the day before.
        (
            (utc(2026, 10, 24, 9), utc(2026, 10, 24, 20)),
            utc(2026, 10, 25, 6),
            utc(2026, 10, 25, 5),
            ("24 Oct, 23:00 EEST", "24 Oct, 12:00 EEST"),
        ),
    ],
    ids=["spring-forward", "fall-back"],
)
async def test_daily_digest_at_eight_kyiv_arrives_once_at_the_right_instant_across_dst(
    fake, app, db, published, due, wrong, local_times
):
    world = World(db)
    chat = 1001
    world.subscriber(
        chat, at=published[0] - 86400, timezone="Europe/Kyiv", digest="daily", digest_time="08:00"
    )
    titles = [world.headline() for _ in published]
    for title, at in zip(titles, published, strict=True):
        world.publish(title, at=at)
    rows = world.rows(chat)
    assert [(r["mode"], r["next_attempt_at"]) for r in rows] == [("digest", due)] * 2

    # Nothing before the instant (the instant sender leaves digest rows alone, too).
    assert await send_due_digests(app.bot, db, now=due - 1) == 0
    if wrong < due:
        assert await send_due_digests(app.bot, db, now=wrong) == 0
    assert (await Deliverer(app.bot, db).deliver_due(now=due - 1)).claimed == 0
    assert fake.messages(chat) == []

    # Exactly one message at the instant, newest story first, times in Kyiv time.
    assert await send_due_digests(app.bot, db, now=due) == 1
    [message] = fake.messages(chat)
    assert message.parse_mode == "HTML"
    assert message.text.startswith("📰 Your daily digest — 2 stories\n\n🔎 kfor\n• ")
    lines = message.text.splitlines()
    assert lines[3] == f"• {titles[1]}" and lines[5] == f"• {titles[0]}"
    assert [lines[4].split(" · ")[1], lines[6].split(" · ")[1]] == list(local_times)
    assert lines[4].strip().startswith("Example News · ")
    links = [e for e in message.entities if e["type"] == "text_link"]
    assert [e["url"] for e in links] == [
        r["url"] for r in db.query("SELECT url FROM articles ORDER BY id DESC")
    ]
    assert {e["type"] for e in message.entities} >= {"bold", "text_link", "italic"}

    # Nothing again: not later, not at the wrong instant, not the next day without news.
    for later in (due + 30, max(due, wrong) + 1, due + 86400):
        assert await send_due_digests(app.bot, db, now=later) == 0
    assert len(fake.messages(chat)) == 1
    states = {(r["state"], r["message_id"]) for r in world.rows(chat)}
    assert states == {("sent", message.message_id)}
    assert outbox.find_by_message(db, chat, message.message_id)["chat_id"] == chat

    # News after the digest waits for the next morning's.
    world.publish(world.headline(), at=due + 3600)
    [row] = [r for r in world.rows(chat) if r["state"] == "pending"]
    assert row["next_attempt_at"] == due + 86400
    assert await send_due_digests(app.bot, db, now=due + 86400 - 1) == 0
    assert await send_due_digests(app.bot, db, now=due + 86400) == 1
    assert fake.messages(chat)[1].text.startswith("📰 Your daily digest — 1 story\n")


async def test_quiet_hours_hold_alerts_and_deliver_them_as_one_digest_when_they_end(fake, app, db):
    world = World(db)
    chat = 1101
    # Kyiv is UTC+2 in late November; quiet hours 22:00-07:00 local are 20:00-05:00 UTC.
    world.subscriber(
        chat, at=utc(2026, 11, 20), timezone="Europe/Kyiv", quiet_start="22:00", quiet_end="07:00"
    )
    evening, night, small_hours, morning = (
        utc(2026, 11, 24, 19),  # 21:00 local: instant
        utc(2026, 11, 24, 21, 30),  # 23:30 local: held
        utc(2026, 11, 25, 1),  # 03:00 local: held
        utc(2026, 11, 25, 6),  # 08:00 local: instant again
    )
    titles = {at: world.headline() for at in (evening, night, small_hours)}
    for at, title in titles.items():
        world.publish(title, at=at)
    end = utc(2026, 11, 25, 5)
    assert [(r["mode"], r["next_attempt_at"]) for r in world.rows(chat)] == [
        ("instant", evening),
        ("digest", end),
        ("digest", end),
    ]

    # During the night the instant sender sends only the evening alert, and no digest goes out.
    deliverer = Deliverer(app.bot, db)
    assert (await deliverer.deliver_due(now=small_hours + 60)).sent == 1
    assert (await deliverer.deliver_due(now=small_hours + 60)).claimed == 0
    assert await send_due_digests(app.bot, db, now=end - 1) == 0
    assert len(fake.messages(chat)) == 1

    # At 07:00 local the night's alerts arrive as one message, newest first.
    assert await send_due_digests(app.bot, db, now=end) == 1
    digest = fake.messages(chat)[1]
    assert digest.text.startswith("🌙 While you were in quiet hours — 2 stories\n\n🔎 kfor\n")
    assert digest.text.index(titles[small_hours]) < digest.text.index(titles[night])
    assert titles[evening] not in digest.text
    assert "03:00 EET" in digest.text and "24 Nov, 23:30 EET" in digest.text
    assert await send_due_digests(app.bot, db, now=end + 60) == 0

    # After quiet hours, alerts are instant again.
    world.publish(world.headline(), at=morning)
    assert world.rows(chat)[-1]["mode"] == "instant"


async def test_hourly_cap_overflows_into_the_next_hourly_digest(fake, app, db):
    world = World(db, max_per_hour=3)
    chat = 1201
    world.subscriber(chat, at=utc(2026, 11, 20))
    start = utc(2026, 11, 25, 10, 5)
    titles = [world.headline() for _ in range(5)]
    for index, title in enumerate(titles):
        world.publish(title, at=start + index * 300)
    next_hour = utc(2026, 11, 25, 11)
    assert [(r["mode"], r["next_attempt_at"]) for r in world.rows(chat)] == [
        ("instant", start),
        ("instant", start + 300),
        ("instant", start + 600),
        ("digest", next_hour),
        ("digest", next_hour),
    ]
    deliverer = sender(app, db).deliverer
    deliverer.per_chat_interval = 0.0
    sent = 0
    for _ in range(3):
        sent += (await deliverer.deliver_due(now=start + 1500)).sent
    assert sent == 3
    assert await send_due_digests(app.bot, db, now=next_hour - 1) == 0
    assert len(fake.messages(chat)) == 3

    assert await send_due_digests(app.bot, db, now=next_hour) == 1
    digest = fake.messages(chat)[3]
    assert digest.text.startswith("📬 More alerts from the past hour — 2 stories\n")
    assert digest.text.index(titles[4]) < digest.text.index(titles[3])
    assert not any(title in digest.text for title in titles[:3])
    assert await send_due_digests(app.bot, db, now=next_hour + 3600) == 0


async def test_hourly_digest_groups_by_subscription_newest_first(fake, app, db):
    world = World(db)
    chat = 1301
    world.subscriber(chat, at=utc(2026, 11, 20), queries=("kfor", "harbour"), digest="hourly")
    start = utc(2026, 11, 25, 9, 1)
    kfor = [world.headline("KFOR") for _ in range(2)]
    harbour = [world.headline("Harbour") for _ in range(2)]
    # Interleaved in time: harbour has the newest story, so its group comes first.
    for index, title in enumerate([kfor[0], harbour[0], kfor[1], harbour[1]]):
        world.publish(title, at=start + 60 * index)
    assert await send_due_digests(app.bot, db, now=utc(2026, 11, 25, 10)) == 1
    [message] = fake.messages(chat)
    lines = message.text.splitlines()
    assert lines[0] == "🕐 Your hourly digest — 4 stories"
    assert lines[2] == "🔎 harbour"
    assert [line[2:] for line in lines if line.startswith("• ")] == [harbour[1], harbour[0], kfor[1], kfor[0]]
    assert "🔎 kfor" in lines


async def test_muted_or_paused_chats_keep_their_digest_until_it_ends(fake, app, db):
    world = World(db)
    world.subscriber(1401, at=utc(2026, 11, 20), digest="hourly")
    world.publish(world.headline(), at=utc(2026, 11, 25, 9, 30))
    due = utc(2026, 11, 25, 10)
    db.execute("UPDATE subscribers SET muted_until = ? WHERE chat_id = 1401", [due + 1800])
    db.conn.commit()
    assert await send_due_digests(app.bot, db, now=due) == 0
    assert await send_due_digests(app.bot, db, now=due + 1800) == 1
    assert fake.messages(1401)[0].text.startswith("🕐 Your hourly digest — 1 story")
