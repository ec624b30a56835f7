"""One alert per story, then edits: later reports of a story edit the sent alert ("Also reported by ...") through
the real PTB Bot against the fake Bot API, at most once per interval, and Telegram's answers to an edit."""

from __future__ import annotations

import asyncio
import itertools
import time

import pytest
import sqlite_utils
from telegram.ext import Application

from alerts import timing
from alerts.delivery import Deliverer
from alerts.fanout import fan_out, load_matcher
from alerts.story_edits import StoryEdits, recover
from matching import Document, parse_query
from storage import alert_edits, articles, subscribers, subscriptions
from storage import feeds as feed_store
from tests.delivery.conftest import build_app
from tests.support.fake_telegram import FakeTelegram
from tests.support.telegram_html import parse_html

CHAT = 7001
T0 = time.time()
_n = itertools.count(1)


class Story:
    """Subscribers and the reports of one story, written through the real storage code and fan-out."""

    def __init__(self, db: sqlite_utils.Database) -> None:
        self.db = db
        self.story_id: int | None = None
        self.feeds: dict[str, int] = {}

    def subscribe(self, chat_id: int, *queries: str) -> None:
        subscribers.upsert_subscriber(self.db, chat_id, now=T0 - 3600)
        for raw in queries:
            canonical = parse_query(raw).canonical
            subscriptions.add_subscription(
                self.db, chat_id, canonical, raw, max_subscriptions=100, now=T0 - 3600
            )

    def report(self, outlet: str, title: str, *, at: float, image_url: str | None = None) -> list[int]:
        """``outlet`` reports the story at ``at`` (the first report starts it); returns the chats newly alerted."""
        if outlet not in self.feeds:
            url = f"https://{outlet.lower().replace(' ', '-')}.example/rss.xml"
            self.feeds[outlet] = feed_store.add_feed(self.db, url, name=outlet, now=T0 - 7200)
        n = next(_n)
        item = {
            "guid_hash": f"g{n}",
            "url": f"https://{outlet.lower().replace(' ', '-')}.example/news/{n}",
            "title": title,
            "text": f"{title}. More follows.",
            "summary": f"{title}. More follows.",
            "published": at - 30,
            "image_url": image_url,
        }
        [article_id] = articles.insert_articles(self.db, self.feeds[outlet], [item], now=at)
        if self.story_id is not None:  # the same story, whatever the grouper would say of these test titles
            with self.db.conn:
                self.db.execute("UPDATE articles SET story_id = ? WHERE id = ?", [self.story_id, article_id])
        created = fan_out(self.db, load_matcher(self.db), [article_id], max_age_hours=48, now=at)
        self.story_id = articles.get_article(self.db, article_id)["story_id"]
        return created[article_id]

    def deliveries(self) -> list[dict]:
        return list(self.db.query("SELECT * FROM deliveries ORDER BY id"))


@pytest.fixture
def story(db: sqlite_utils.Database) -> Story:
    return Story(db)


def paced_off(app: Application, db: sqlite_utils.Database) -> Deliverer:
    """A deliverer without per-chat pacing: these tests edit a message a moment after sending it (the pacing
    itself is tested below)."""
    return Deliverer(app.bot, db, per_chat_interval=0.0)


async def first_alert(story: Story, app: Application, fake: FakeTelegram, *, chat: int = CHAT):
    """The chat subscribes, the first report arrives and its alert is sent; returns (deliverer, message)."""
    story.subscribe(chat, "kfor")
    assert story.report("Balkan Wire", "KFOR troops injured in Zvecan clashes", at=T0) == [chat]
    deliverer = paced_off(app, story.db)
    stats = await deliverer.deliver_due(now=T0 + 1)
    assert stats.sent == 1
    [message] = fake.messages(chat)
    assert "Also reported" not in message.text
    return deliverer, message


def edit_state(db: sqlite_utils.Database, delivery_id: int) -> str | None:
    row = alert_edits.get_edit(db, delivery_id)
    return None if row is None else row["state"]


async def test_a_second_outlet_edits_the_alert_instead_of_sending_another(story, app, fake, db):
    deliverer, alert = await first_alert(story, app, fake)
    buttons = alert.buttons
    assert (
        story.report("Reuters <Wire>", "KFOR soldiers hurt as Zvecan protest turns violent", at=T0 + 10) == []
    )
    assert len(story.deliveries()) == 1, "one alert per story and chat"
    stats = await StoryEdits(deliverer).run_until_idle(now=T0 + 10)
    assert stats.edited == 1
    [message] = fake.messages(CHAT)
    assert message.message_id == alert.message_id and message.edits == 1
    assert "Also reported by Reuters <Wire>" in message.text, "the outlet's name, escaped in the HTML"
    assert "Reuters &lt;Wire&gt;" in message.raw_text
    assert message.text.startswith("KFOR troops injured in Zvecan clashes\nBalkan Wire · ")
    assert message.parse_mode == "HTML" and parse_html(message.raw_text).text == message.text
    assert message.buttons == buttons, "the edit keeps More / Why / Mute"
    assert any(e["type"] == "bold" for e in message.entities)
    assert len(message.text) <= 4096
    assert len(fake.calls("sendMessage")) == 1
    [delivery] = story.deliveries()
    assert delivery["outlets_shown"] == 1 and edit_state(db, delivery["id"]) == "done"


async def test_reports_within_the_interval_make_one_edit(story, app, fake, db):
    deliverer, alert = await first_alert(story, app, fake)
    edits = StoryEdits(deliverer)
    story.report("Reuters", "KFOR soldiers hurt in Zvecan", at=T0 + 10)
    assert (await edits.run_until_idle(now=T0 + 10)).edited == 1
    story.report("AP", "Zvecan clashes: KFOR troops wounded", at=T0 + 20)
    story.report("DW", "Clashes in northern Kosovo injure KFOR troops", at=T0 + 30)
    story.report("DW", "Update: KFOR says 25 soldiers injured", at=T0 + 40)
    assert (await edits.run_until_idle(now=T0 + 60)).claimed == 0, "within the interval: no edit yet"
    assert (await edits.run_until_idle(now=T0 + 10 + timing.EDIT_INTERVAL - 1)).claimed == 0
    stats = await edits.run_until_idle(now=T0 + 10 + timing.EDIT_INTERVAL)
    assert stats.edited == 1 and stats.claimed == 1
    [message] = fake.messages(CHAT)
    assert message.edits == 2 and len(fake.calls("editMessageText")) == 2
    assert "Also reported by Reuters, AP and DW" in message.text
    assert len(story.deliveries()) == 1 and len(fake.calls("sendMessage")) == 1
    assert (await edits.run_until_idle(now=T0 + 3 * timing.EDIT_INTERVAL)).claimed == 0, "nothing new: done"


async def test_many_outlets_are_counted_and_a_few_named(story, app, fake, db):
    deliverer, alert = await first_alert(story, app, fake)
    for index, outlet in enumerate(["Reuters", "AP", "DW", "BBC", "Al Jazeera"]):
        story.report(outlet, f"KFOR troops hurt in Zvecan ({outlet})", at=T0 + 10 + index)
    assert (await StoryEdits(deliverer).run_until_idle(now=T0 + 20)).edited == 1
    [message] = fake.messages(CHAT)
    assert "Also reported by 5 outlets: Reuters, AP and 3 more" in message.text


async def test_a_report_from_an_outlet_already_named_needs_no_edit(story, app, fake, db):
    deliverer, alert = await first_alert(story, app, fake)
    edits = StoryEdits(deliverer)
    story.report("Reuters", "KFOR soldiers hurt in Zvecan", at=T0 + 10)
    await edits.run_until_idle(now=T0 + 10)
    story.report("Reuters", "KFOR soldiers hurt in Zvecan (updated)", at=T0 + 20)
    stats = await edits.run_until_idle(now=T0 + 20 + timing.EDIT_INTERVAL)
    assert stats.unchanged == 1 and stats.edited == 0
    assert len(fake.calls("editMessageText")) == 1, "no request when the message already names the outlet"


async def test_not_modified_after_a_crash_mid_edit_counts_as_done(story, app, fake, db):
    deliverer, alert = await first_alert(story, app, fake)
    [delivery] = story.deliveries()
    story.report("Reuters", "KFOR soldiers hurt in Zvecan", at=T0 + 10)
    await StoryEdits(deliverer).run_until_idle(now=T0 + 10)
    # A crash between Telegram's answer and recording it: the row is left in flight as claimed, due when it was
    # claimed, with the old count stored.
    with db.conn:
        db.execute(
            "UPDATE alert_edits SET state = 'editing', due_at = ?, last_edit_at = NULL WHERE delivery_id = ?",
            [T0 + 10, delivery["id"]],
        )
        db.execute("UPDATE deliveries SET outlets_shown = 0 WHERE id = ?", [delivery["id"]])
    assert recover(db) == 1
    stats = await StoryEdits(deliverer).run_until_idle(now=T0 + 11)
    [again] = fake.calls("editMessageText")[1:]
    assert again.status == 400 and "message is not modified" in (again.description or "")
    assert stats.unchanged == 1 and stats.stopped == 0
    assert edit_state(db, delivery["id"]) == "done"
    assert db.execute("SELECT outlets_shown FROM deliveries").fetchone()[0] == 1
    assert fake.messages(CHAT)[0].edits == 1


async def test_a_message_the_user_deleted_is_not_edited_again(story, app, fake, db):
    deliverer, alert = await first_alert(story, app, fake)
    [delivery] = story.deliveries()
    fake.delete_message(CHAT, alert.message_id)
    edits = StoryEdits(deliverer)
    story.report("Reuters", "KFOR soldiers hurt in Zvecan", at=T0 + 10)
    stats = await edits.run_until_idle(now=T0 + 10)
    [call] = fake.calls("editMessageText")
    assert call.status == 400 and "message to edit not found" in (call.description or "")
    assert stats.stopped == 1 and edit_state(db, delivery["id"]) == "stopped"
    story.report("AP", "Zvecan clashes: KFOR troops wounded", at=T0 + 20)
    assert (await edits.run_until_idle(now=T0 + 20 + timing.EDIT_INTERVAL)).claimed == 0
    assert len(fake.calls("editMessageText")) == 1 and fake.messages(CHAT) == []
    assert db.execute("SELECT active FROM subscribers WHERE chat_id = ?", [CHAT]).fetchone()[0] == 1


async def test_a_blocked_chat_is_marked_inactive_at_the_edit(story, app, fake, db):
    deliverer, alert = await first_alert(story, app, fake)
    fake.block(CHAT)
    story.report("Reuters", "KFOR soldiers hurt in Zvecan", at=T0 + 10)
    stats = await StoryEdits(deliverer).run_until_idle(now=T0 + 10)
    assert stats.deactivated_chats == 1
    assert db.execute("SELECT active FROM subscribers WHERE chat_id = ?", [CHAT]).fetchone()[0] == 0
    story.report("AP", "Zvecan clashes: KFOR troops wounded", at=T0 + 20)
    assert (await StoryEdits(deliverer).run_until_idle(now=T0 + 1000)).claimed == 0
    assert len(fake.calls("editMessageText")) == 1


async def test_a_429_on_an_edit_waits_retry_after_without_counting_an_attempt(story, fake, db):
    app = build_app(fake, retries=0)  # no in-place retries: the 429 comes back to the edit
    async with app:
        deliverer, alert = await first_alert(story, app, fake)
        [delivery] = story.deliveries()
        fake.too_many_next(1, retry_after=7, methods=["editMessageText"])
        edits = StoryEdits(deliverer)
        story.report("Reuters", "KFOR soldiers hurt in Zvecan", at=T0 + 10)
        assert (await edits.run_until_idle(now=T0 + 10)).rate_limited == 1
        row = alert_edits.get_edit(db, delivery["id"])
        assert row["state"] == "waiting" and row["due_at"] == T0 + 17 and row["attempts"] == 0
        assert (await edits.run_until_idle(now=T0 + 16)).claimed == 0
        assert (await edits.run_until_idle(now=T0 + 17)).edited == 1
    assert "Also reported by Reuters" in fake.messages(CHAT)[0].text


async def test_a_report_matching_another_subscription_is_still_the_same_story(story, app, fake, db):
    story.subscribe(CHAT, "kfor", "keyword:leposavic")
    story.subscribe(CHAT + 1, "keyword:leposavic")
    assert story.report("Balkan Wire", "KFOR troops injured in Zvecan clashes", at=T0) == [CHAT]
    deliverer = paced_off(app, db)
    await deliverer.deliver_due(now=T0 + 1)
    # Matches none of the subscriptions the first alert matched, but another of this chat's: still one story.
    title = "Leposavic and Zvecan: unrest spreads in the north"
    matched = load_matcher(db).match(Document(title=title, text=title))
    kfor, leposavic = [r["id"] for r in db.query("SELECT id FROM subscriptions WHERE chat_id = ?", [CHAT])]
    assert leposavic in matched and kfor not in matched
    later = story.report("Reuters", title, at=T0 + 10)
    assert later == [CHAT + 1], "a chat that was not alerted yet gets its first alert of the story"
    [mine] = [d for d in story.deliveries() if d["chat_id"] == CHAT]
    assert mine["article_id"] != story.deliveries()[-1]["article_id"]
    await deliverer.deliver_due(now=T0 + 11)
    assert (await StoryEdits(deliverer).run_until_idle(now=T0 + 11)).edited == 1
    [message] = fake.messages(CHAT)
    assert "Also reported by Reuters" in message.text
    [other] = fake.messages(CHAT + 1)
    assert "Also reported by Balkan Wire" in other.text, "its alert names the outlet that reported first"
    assert alert_edits.get_edit(db, story.deliveries()[-1]["id"]) is None


async def test_an_alert_sent_after_several_reports_names_them_at_once(story, app, fake, db):
    story.subscribe(CHAT, "kfor")
    story.report("Balkan Wire", "KFOR troops injured in Zvecan clashes", at=T0)
    story.report("AP", "Zvecan clashes: KFOR troops wounded", at=T0 + 5)
    deliverer = paced_off(app, db)
    assert (await deliverer.deliver_due(now=T0 + 6)).sent == 1
    assert "Also reported by AP" in fake.messages(CHAT)[0].text
    assert story.deliveries()[0]["outlets_shown"] == 1
    stats = await StoryEdits(deliverer).run_until_idle(now=T0 + 6)
    assert stats.edited == 0 and not fake.calls("editMessageText"), "the alert already showed the outlet"


async def test_an_edit_waits_for_the_chats_pacing(story, app, fake, db):
    story.subscribe(CHAT, "kfor")
    story.report("Balkan Wire", "KFOR troops injured in Zvecan clashes", at=T0)
    deliverer = Deliverer(app.bot, db, per_chat_interval=0.5)
    await deliverer.deliver_due(now=T0 + 1)
    story.report("Reuters", "KFOR soldiers hurt in Zvecan", at=T0 + 2)
    edits = StoryEdits(deliverer)
    assert (await edits.run_until_idle(now=T0 + 2)).claimed == 0, "the chat was sent to a moment ago"
    deadline = time.monotonic() + 5
    while deliverer.busy_chats():  # a condition with a deadline, on the loop that owns the deliverer
        assert time.monotonic() < deadline
        await asyncio.sleep(0.02)
    assert (await edits.run_until_idle(now=T0 + 2)).edited == 1
    [send, edit] = fake.calls("sendMessage") + fake.calls("editMessageText")
    assert edit.at - send.at >= 0.45


PHOTO = "https://balkan-wire.example/img/zvecan.jpg"
LONG = "Zvecan clashes. " + "KFOR troops were injured when protesters clashed with soldiers in Zvecan. " * 40


async def first_photo_alert(story: Story, app: Application, fake: FakeTelegram):
    """The first report has an image and a long text: its alert goes as a photo with a full 1,024 caption."""
    story.subscribe(CHAT, "kfor")
    assert story.report("Balkan Wire", "KFOR troops injured in Zvecan clashes", at=T0, image_url=PHOTO) == [
        CHAT
    ]
    with story.db.conn:
        story.db.execute("UPDATE articles SET text = ?, summary = ?", [LONG, LONG])
    deliverer = paced_off(app, story.db)
    assert (await deliverer.deliver_due(now=T0 + 1)).sent == 1
    [message] = fake.messages(CHAT)
    assert message.photo == PHOTO and story.deliveries()[0]["photo"] == 1
    return deliverer, message


async def test_a_photo_alert_is_edited_by_its_caption_within_1024_characters(story, app, fake, db):
    deliverer, alert = await first_photo_alert(story, app, fake)
    buttons = alert.buttons
    story.report("Reuters <Wire>", "KFOR soldiers hurt as Zvecan protest turns violent", at=T0 + 10)
    stats = await StoryEdits(deliverer).run_until_idle(now=T0 + 10)
    assert stats.edited == 1
    assert not fake.calls("editMessageText"), "a photo has no text to edit"
    [call] = fake.calls("editMessageCaption")
    assert call.status == 200
    [message] = fake.messages(CHAT)
    assert message.photo == PHOTO and message.edits == 1
    assert "Also reported by Reuters <Wire>" in message.text and "Reuters &lt;Wire&gt;" in message.raw_text
    assert len(message.text) <= 1024 and len(message.text) > 900, "the summary is cut to fit the caption"
    assert message.parse_mode == "HTML" and message.buttons == buttons
    [delivery] = story.deliveries()
    assert delivery["outlets_shown"] == 1 and edit_state(db, delivery["id"]) == "done"


async def test_a_photo_alert_not_modified_counts_as_done(story, app, fake, db):
    deliverer, alert = await first_photo_alert(story, app, fake)
    [delivery] = story.deliveries()
    story.report("Reuters", "KFOR soldiers hurt in Zvecan", at=T0 + 10)
    await StoryEdits(deliverer).run_until_idle(now=T0 + 10)
    with db.conn:  # a crash between Telegram's answer and recording it: the same edit is made again
        db.execute(
            "UPDATE alert_edits SET state = 'editing', due_at = ? WHERE delivery_id = ?",
            [T0 + 10, delivery["id"]],
        )
        db.execute("UPDATE deliveries SET outlets_shown = 0 WHERE id = ?", [delivery["id"]])
    assert recover(db) == 1
    stats = await StoryEdits(deliverer).run_until_idle(now=T0 + 11)
    [again] = fake.calls("editMessageCaption")[1:]
    assert again.status == 400 and "message is not modified" in (again.description or "")
    assert stats.unchanged == 1 and stats.stopped == 0 and edit_state(db, delivery["id"]) == "done"
    assert fake.messages(CHAT)[0].edits == 1


async def test_a_deleted_photo_alert_is_not_edited_again(story, app, fake, db):
    deliverer, alert = await first_photo_alert(story, app, fake)
    [delivery] = story.deliveries()
    fake.delete_message(CHAT, alert.message_id)
    edits = StoryEdits(deliverer)
    story.report("Reuters", "KFOR soldiers hurt in Zvecan", at=T0 + 10)
    stats = await edits.run_until_idle(now=T0 + 10)
    [call] = fake.calls("editMessageCaption")
    assert call.status == 400 and "message to edit not found" in (call.description or "")
    assert stats.stopped == 1 and edit_state(db, delivery["id"]) == "stopped"
    story.report("AP", "Zvecan clashes: KFOR troops wounded", at=T0 + 20)
    assert (await edits.run_until_idle(now=T0 + 20 + timing.EDIT_INTERVAL)).claimed == 0
    assert len(fake.calls("editMessageCaption")) == 1 and not fake.calls("editMessageText")


async def test_a_photo_alert_sent_before_deliveries_recorded_photos_is_edited_by_its_caption(
    story, app, fake, db
):
    deliverer, alert = await first_photo_alert(story, app, fake)
    with db.conn:
        db.execute("UPDATE deliveries SET photo = 0")  # as migration 12 leaves an alert sent before it
    story.report("Reuters", "KFOR soldiers hurt in Zvecan", at=T0 + 10)
    assert (await StoryEdits(deliverer).run_until_idle(now=T0 + 10)).edited == 1
    [wrong] = fake.calls("editMessageText")
    assert wrong.status == 400 and "there is no text in the message to edit" in (wrong.description or "")
    [right] = fake.calls("editMessageCaption")
    assert right.status == 200
    message = fake.messages(CHAT)[0]
    assert "Also reported by Reuters" in message.text and len(message.text) <= 1024
