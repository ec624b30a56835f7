"""How an alert looks on the wire: photo alerts and their text fallbacks, silent alerts, link previews.

Real PTB against the fake Bot API, which keeps Telegram's caption limit (1,024 characters after entity parsing)
and can refuse a photo URL as Telegram does when it cannot fetch the image.
"""

from __future__ import annotations

import asyncio
import time

import sqlite_utils

from alerts.delivery import Deliverer
from alerts.outcomes import DeliveryStats
from storage import outbox
from tests.delivery.conftest import seed, states
from tests.support.fake_telegram import MAX_CAPTION, FakeTelegram
from tests.support.telegram_html import visible_length

IMAGE = "https://images.example.org/zvecan.jpg"


async def drain(app, db: sqlite_utils.Database, timeout: float = 20.0) -> DeliveryStats:
    deliverer = Deliverer(app.bot, db, backoff_base=0.05)
    total = DeliveryStats()
    deadline = time.monotonic() + timeout
    while outbox.queue_depth(db):
        assert time.monotonic() < deadline, f"queue not drained within {timeout} s: {states(db)}"
        total.add(await deliverer.run_until_idle())
        await asyncio.sleep(0.02)
    return total


def with_image(db: sqlite_utils.Database, delivery_id: int, url: str = IMAGE) -> None:
    article_id = outbox.get_delivery(db, delivery_id)["article_id"]
    with db.conn:
        db.execute("UPDATE articles SET image_url = ? WHERE id = ?", [url, article_id])


def chat_setting(db: sqlite_utils.Database, chat_id: int, **values: int) -> None:
    with db.conn:
        for name, value in values.items():
            db.execute(f"UPDATE subscribers SET {name} = ? WHERE chat_id = ?", [value, chat_id])


async def test_an_article_with_an_image_arrives_as_a_photo_with_the_alert_as_caption(fake, app, db):
    ids = seed(db, [1001])
    with_image(db, ids[1001])
    stats = await drain(app, db)
    [message] = fake.messages(1001)
    assert message.photo == IMAGE
    assert message.text.startswith("KFOR troops injured in Zvečan clashes\nExample News")
    assert "NATO-led peacekeepers were hurt" in message.text and message.text.endswith("Read on example.org")
    assert {
        "type": "bold",
        "offset": 0,
        "length": len("KFOR troops injured in Zvečan clashes"),
    } in message.entities
    assert [b["callback_data"] for b in message.buttons] == [
        f"{a}:{ids[1001]}" for a in ("more", "why", "mute")
    ]
    assert not message.params.get("disable_notification")
    assert stats.photos == 1 and stats.photo_fallbacks == 0 and stats.sent == 1
    assert outbox.find_by_message(db, 1001, message.message_id)["id"] == ids[1001]
    assert fake.calls("sendMessage") == []


async def test_a_long_summary_is_shortened_to_fit_the_caption_however_long_the_address(fake, app, db):
    summary = " ".join(
        f"Sentence {n} says what the peacekeepers saw in Zvečan & Leposavić." for n in range(60)
    )
    url = "https://example.org/news/" + "a" * 1400  # the href does not count against the caption
    ids = seed(db, [1002], summary=summary, url=url)
    with_image(db, ids[1002])
    stats = await drain(app, db)
    [message] = fake.messages(1002)
    assert message.photo == IMAGE and stats.photos == 1
    assert visible_length(message.text) <= MAX_CAPTION
    assert visible_length(message.text) > MAX_CAPTION - 80, "the budget was not spent on the address"
    assert "Sentence 0 says" in message.text and "…" in message.text
    assert any(e["type"] == "text_link" and e["url"] == url for e in message.entities)


async def test_a_refused_photo_falls_back_to_the_text_alert_once(fake, app, db):
    ids = seed(db, [1003]) | seed(db, [1004], url="https://example.org/news/other")
    with_image(db, ids[1003])
    with_image(db, ids[1004], "https://images.example.org/ok.jpg")
    fake.refuse_photos(IMAGE)
    stats = await drain(app, db)
    [text] = fake.messages(1003)
    assert text.photo is None and text.text.startswith("KFOR troops injured in Zvečan clashes")
    assert [b["callback_data"] for b in text.buttons] == [f"{a}:{ids[1003]}" for a in ("more", "why", "mute")]
    [photo] = fake.messages(1004)
    assert photo.photo == "https://images.example.org/ok.jpg"
    assert stats.photo_fallbacks == 1 and stats.photos == 1 and stats.sent == 2
    assert outbox.get_delivery(db, ids[1003])["state"] == "sent"
    assert outbox.get_delivery(db, ids[1003])["message_id"] == text.message_id
    refused = [c for c in fake.calls("sendPhoto") if c.status == 400]
    assert len(refused) == 1 and "wrong file identifier" in refused[0].description


async def test_a_photo_telegram_cannot_fetch_or_a_caption_it_finds_too_long_goes_as_text(fake, app, db):
    ids = seed(db, [1005, 1006])
    for delivery_id in ids.values():
        with_image(db, delivery_id)
    fake.fail_next(
        1, status=400, description="Bad Request: failed to get HTTP URL content", methods=["sendPhoto"]
    )
    fake.fail_next(
        1, status=400, description="Bad Request: message caption is too long", methods=["sendPhoto"]
    )
    stats = await drain(app, db)
    for chat_id in ids:
        [message] = fake.messages(chat_id)
        assert message.photo is None and "NATO-led peacekeepers" in message.text
    assert stats.photo_fallbacks == 2 and stats.failed == 0


async def test_a_photo_alert_meets_a_429_like_a_text_alert_and_is_sent_once(fake, app, db):
    ids = seed(db, [1007])
    with_image(db, ids[1007])
    fake.too_many_next(2, retry_after=1, methods=["sendPhoto"])
    await drain(app, db)
    [message] = fake.messages(1007)
    assert message.photo == IMAGE


async def test_photos_off_sends_the_text_alert(fake, app, db):
    ids = seed(db, [1008])
    with_image(db, ids[1008])
    chat_setting(db, 1008, photos=0)
    await drain(app, db)
    [message] = fake.messages(1008)
    assert message.photo is None and fake.calls("sendPhoto") == []


async def test_silent_chat_and_link_preview_reach_telegram(fake, app, db):
    seed(db, [1009, 1010, 1011])
    chat_setting(db, 1009, silent=1)
    chat_setting(db, 1010, link_preview=1)
    await drain(app, db)
    [silent], [preview], [default] = (fake.messages(c) for c in (1009, 1010, 1011))
    assert silent.params["disable_notification"] is True
    assert silent.params["link_preview_options"] == {"is_disabled": True}
    assert not preview.params.get("disable_notification")
    assert preview.params["link_preview_options"] == {"is_disabled": False}
    assert not default.params.get("disable_notification")
    assert default.params["link_preview_options"] == {"is_disabled": True}


async def test_a_silent_subscription_makes_its_alert_silent(fake, app, db):
    ids = seed(db, [1012, 1013])  # one article: its image goes to both chats
    with db.conn:
        db.execute("UPDATE subscriptions SET silent = 1 WHERE chat_id = 1012")
        for chat_id, delivery_id in ids.items():
            sub_id = db.execute("SELECT id FROM subscriptions WHERE chat_id = ?", [chat_id]).fetchone()[0]
            db.execute("UPDATE deliveries SET subscription_id = ? WHERE id = ?", [sub_id, delivery_id])
    with_image(db, ids[1012])
    await drain(app, db)
    [silent] = fake.messages(1012)
    [loud] = fake.messages(1013)
    assert silent.photo == IMAGE and silent.params["disable_notification"] is True
    assert loud.photo == IMAGE and not loud.params.get("disable_notification")


def test_the_fake_refuses_a_caption_past_1024_characters(fake: FakeTelegram):
    import httpx

    url = f"{fake.base_url}{fake.token}/sendPhoto"
    answer = httpx.post(url, data={"chat_id": "1", "photo": IMAGE, "caption": "x" * 1025}).json()
    assert answer == {
        "ok": False,
        "error_code": 400,
        "description": "Bad Request: message caption is too long",
    }
    answer = httpx.post(
        url,
        data={"chat_id": "1", "photo": IMAGE, "caption": "<b>" + "x" * 1024 + "</b>", "parse_mode": "HTML"},
    ).json()
    assert answer["ok"] and answer["result"]["caption"] == "x" * 1024
