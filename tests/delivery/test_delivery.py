"""The outbox sender through the real python-telegram-bot stack against the fake Bot API server."""

from __future__ import annotations

import asyncio
import logging
import time

import pytest
import sqlite_utils
from telegram.ext import Application

from alerts.delivery import Deliverer, deliver_due, recover
from alerts.outcomes import DeliveryStats
from alerts.redaction import install_token_redaction, redact
from storage import outbox
from tests.delivery.conftest import add_article, add_subscriber, build_app, seed, states
from tests.support.fake_telegram import FakeTelegram
from tests.support.telegram_html import parse_html


async def drain(deliverer: Deliverer, db: sqlite_utils.Database, timeout: float = 20.0) -> DeliveryStats:
    """Run the sender until the queue is empty (retries included), within a deadline."""
    total = DeliveryStats()
    deadline = time.monotonic() + timeout
    while outbox.queue_depth(db):
        if time.monotonic() > deadline:
            raise AssertionError(f"queue not drained within {timeout} s: {states(db)}")
        total.add(await deliverer.run_until_idle())
        await asyncio.sleep(0.02)
    return total


def sender(app: Application, db: sqlite_utils.Database, **kwargs) -> Deliverer:
    kwargs.setdefault("backoff_base", 0.05)
    return Deliverer(app.bot, db, **kwargs)


def assert_once_each(fake: FakeTelegram, chats) -> None:
    for chat_id in chats:
        assert len(fake.messages(chat_id)) == 1, (chat_id, [m.text[:40] for m in fake.messages(chat_id)])


async def test_each_alert_arrives_once_with_html_and_buttons(fake, app, db):
    ids = seed(db, range(1001, 1021), title="Clashes in <Zvečan> & Leposavić")
    stats = await drain(sender(app, db), db)
    assert stats.sent == 20
    assert_once_each(fake, range(1001, 1021))
    message = fake.messages(1001)[0]
    assert message.parse_mode == "HTML"
    assert message.text.startswith("Clashes in <Zvečan> & Leposavić\n")
    assert {"type": "bold", "offset": 0, "length": len("Clashes in <Zvečan> & Leposavić")} in message.entities
    assert [b["callback_data"] for b in message.buttons] == [
        f"{a}:{ids[1001]}" for a in ("more", "why", "mute")
    ]
    row = outbox.get_delivery(db, ids[1001])
    assert row["state"] == "sent" and row["message_id"] == message.message_id and row["attempts"] == 1
    assert outbox.find_by_message(db, 1001, message.message_id)["id"] == ids[1001]
    # Nothing is sent twice by running again.
    assert (await sender(app, db).run_until_idle()).sent == 0
    assert fake.stats.sent == 20


async def test_a_chat_with_several_alerts_gets_them_paced_not_429d(fake, app, db):
    fake.chat_burst, fake.chat_rate = 1, 4.0  # one message per 0.25 s in a chat
    for _ in range(4):
        seed(db, [2001])
    deliverer = sender(app, db, per_chat_interval=0.3)
    await drain(deliverer, db)
    sends = [c for c in fake.calls("sendMessage") if c.params["chat_id"] == 2001]
    assert len(fake.messages(2001)) == 4
    assert all(c.status == 200 for c in sends), [c.status for c in sends]
    gaps = [b.at - a.at for a, b in zip(sends, sends[1:], strict=False)]
    assert min(gaps) >= 0.25


async def test_429_bursts_are_waited_out_and_nothing_is_lost(fake, db):
    fake.rate = 10.0
    fake._reset_state()  # rebuild the overall bucket at 10/s
    app = build_app(fake, rate=1000, retries=0)  # a limiter that lets 429s through to the outbox
    async with app:
        chats = list(range(3001, 3041))
        seed(db, chats)
        stats = await drain(sender(app, db), db, timeout=30)
    assert fake.stats.too_many > 0, stats
    assert stats.rate_limited == fake.stats.too_many
    assert_once_each(fake, chats)
    assert states(db) == {"sent": 40}
    # A 429 never counts as an attempt that brings a row nearer to being given up.
    assert db.execute("SELECT max(attempts) FROM deliveries").fetchone()[0] == 1


async def test_growing_retry_after_from_the_limiter_is_waited_out(fake, app, db):
    fake.too_many_next(3, retry_after=1, growth=0, methods=["sendMessage"])
    seed(db, [3101, 3102])
    started = time.monotonic()
    await drain(sender(app, db), db)
    assert_once_each(fake, [3101, 3102])
    assert fake.stats.too_many == 3
    assert time.monotonic() - started >= 1.0  # it waited instead of hammering


async def test_server_errors_timeouts_and_resets_are_retried(fake, app, db):
    chats = list(range(4001, 4011))
    seed(db, chats)
    fake.fail_next(3, status=500, methods=["sendMessage"])
    fake.fail_next(2, status=502, methods=["sendMessage"])
    fake.reset_next(3, methods=["sendMessage"])
    fake.delay_next(2, 1.5, methods=["sendMessage"])  # past the 1 s read timeout; dropped unprocessed
    stats = await drain(sender(app, db), db, timeout=30)
    assert_once_each(fake, chats)
    assert stats.retried >= 10  # each fault costs a retry (a slow loopback connect may add one)
    assert fake.stats.server_errors == 5 and fake.stats.resets == 3 and fake.stats.delayed == 2
    assert states(db) == {"sent": 10}


async def test_server_gone_for_a_while_then_everything_arrives_once(fake, app, db):
    chats = list(range(4101, 4106))
    seed(db, chats)
    fake.go_away(1.5)
    await drain(sender(app, db), db, timeout=30)
    assert_once_each(fake, chats)


async def test_transient_failures_give_up_after_max_attempts(fake, app, db):
    [delivery_id] = seed(db, [4201]).values()
    fake.fail_next(100, status=500, methods=["sendMessage"])
    deliverer = sender(app, db, max_attempts=3, backoff_base=0.01, per_chat_interval=0.05)
    await drain(deliverer, db)
    row = outbox.get_delivery(db, delivery_id)
    assert row["state"] == "failed" and row["attempts"] == 3
    assert "gave up after 3 attempts" in row["last_error"]
    assert fake.messages(4201) == []


async def test_blocked_user_is_marked_inactive_and_its_rows_dropped_at_the_first_403(fake, app, db):
    seed(db, [5001, 5002])
    for _ in range(4):
        seed(db, [5001])
    fake.block(5001)
    await drain(sender(app, db), db)
    assert len([c for c in fake.calls("sendMessage") if c.params["chat_id"] == 5001]) == 1
    assert db.execute("SELECT active FROM subscribers WHERE chat_id = 5001").fetchone()[0] == 0
    assert db.execute(
        "SELECT state, count(*) FROM deliveries WHERE chat_id = 5001 GROUP BY state"
    ).fetchall() == [("dropped", 5)]
    assert len(fake.messages(5002)) == 1
    # New rows for the inactive chat are never claimed.
    seed(db, [5001])
    assert (await sender(app, db).run_until_idle()).claimed == 0


async def test_deactivated_user_and_unknown_chat_count_as_gone(fake, app, db):
    seed(db, [5101, 5102])
    fake.block(5101, deactivated=True)
    fake.forget_chat(5102)
    stats = await drain(sender(app, db), db)
    assert stats.deactivated_chats == 2
    rows = dict(
        db.execute("SELECT chat_id, active FROM subscribers WHERE chat_id IN (5101, 5102)").fetchall()
    )
    assert rows == {5101: 0, 5102: 0}
    errors = {r[0] for r in db.execute("SELECT last_error FROM deliveries WHERE chat_id IN (5101, 5102)")}
    assert errors == {"Forbidden: user is deactivated", "Chat not found"}


async def test_migrated_group_moves_its_subscriptions_and_gets_the_alert(fake, app, db):
    old, new = -6001, -1006001
    add_subscriber(db, old, digest="off", timezone="Europe/Belgrade")
    seed(db, [old])
    seed(db, [old])
    fake.migrate_group(old, new, notify=False)
    stats = await drain(sender(app, db, per_chat_interval=0.05), db)
    assert stats.migrated_chats == 1
    assert len(fake.messages(new)) == 2 and fake.messages(old) == []
    assert db.execute("SELECT chat_type, timezone FROM subscribers WHERE chat_id = ?", [new]).fetchone() == (
        "supergroup",
        "Europe/Belgrade",
    )
    assert db.execute("SELECT count(*) FROM subscribers WHERE chat_id = ?", [old]).fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM subscriptions WHERE chat_id = ?", [new]).fetchone()[0] == 1
    assert db.execute("SELECT DISTINCT chat_id FROM deliveries").fetchall() == [(new,)]


async def test_html_refused_by_telegram_is_resent_as_plain_text(fake, app, db):
    [delivery_id] = seed(db, [7001], title="Tom & Jerry <live>").values()
    fake.fail_next(
        1,
        status=400,
        description="Bad Request: can't parse entities: Unsupported start tag",
        methods=["sendMessage"],
    )
    stats = await drain(sender(app, db), db)
    assert stats.plain_fallbacks == 1 and stats.sent == 1
    [message] = fake.messages(7001)
    assert message.parse_mode is None
    assert message.text.startswith("Tom & Jerry <live>\nExample News")
    assert "https://example.org/news/kosovo" in message.text
    assert [b["callback_data"] for b in message.buttons][0] == f"more:{delivery_id}"


async def test_other_bad_requests_fail_without_retry(fake, app, db):
    [delivery_id] = seed(db, [7101]).values()
    fake.fail_next(1, status=400, description="Bad Request: BUTTON_DATA_INVALID", methods=["sendMessage"])
    stats = await drain(sender(app, db), db)
    assert stats.failed == 1
    assert outbox.get_delivery(db, delivery_id)["state"] == "failed"
    assert len(fake.calls("sendMessage")) == 1


async def test_huge_summary_becomes_one_message_the_parser_accepts(fake, app, db):
    summary = ("Serb protesters & police clashed near <the> municipal building. " * 160)[:10_000]
    seed(db, [8001], summary=summary)
    await drain(sender(app, db), db)
    [message] = fake.messages(8001)
    assert len(message.raw_text) <= 4096 and len(message.text) <= 4096
    assert message.text.rstrip().endswith("Read on example.org")
    assert "…" in message.text


@pytest.mark.parametrize(
    "title",
    [
        "<script>alert('x')</script>",
        "AT&T &amp; &nbsp; &#0; &lt;b&gt;",
        "Quote \"this\" and 'that'",
        "\u202eevil RTL\u200f mark\u200d joiner",
        "NUL\x00in\x00title\x07bell",
        "Emoji 🇽🇰🔥👩‍👩‍👧 flags",
        "</b><b>unbalanced",
    ],
)
async def test_hostile_titles_are_accepted_by_telegrams_parser(fake, app, db, title):
    seed(
        db, [8100], title=title, summary=title * 3, url='https://example.org/a?x=1&y="2"<3>', feed_name=title
    )
    await drain(sender(app, db), db)
    [message] = fake.messages(8100)
    assert message.parse_mode == "HTML"
    parse_html(message.raw_text)
    assert "\x00" not in message.text
    link = next(e for e in message.entities if e["type"] == "text_link")
    assert link["url"] == 'https://example.org/a?x=1&y="2"<3>'


async def test_digest_rows_and_paused_or_muted_chats_wait(fake, app, db):
    story_id, article_id = add_article(db)
    add_subscriber(db, 9001)
    add_subscriber(db, 9002, paused=1)
    add_subscriber(db, 9003, muted_until=time.time() + 3600)
    outbox.enqueue(db, 9001, story_id, article_id, mode="digest")
    outbox.enqueue(db, 9002, story_id, article_id)
    outbox.enqueue(db, 9003, story_id, article_id)
    stats = await sender(app, db).run_until_idle()
    assert stats.claimed == 0 and fake.stats.sent == 0
    assert states(db) == {"pending": 3}


async def test_rows_left_sending_by_a_crash_are_requeued_and_sent_once(fake, app, db):
    chats = list(range(9101, 9111))
    seed(db, chats)
    # A first process claimed five rows and sent two of them, then died before recording anything else.
    claimed = outbox.claim_due(db, limit=5)
    for row in claimed[:2]:
        message = await app.bot.send_message(row["chat_id"], "alert sent just before the crash")
        outbox.mark_sent(db, row["id"], message.message_id)
    assert states(db) == {"sent": 2, "sending": 3, "pending": 5}
    # Restart.
    assert recover(db) == 3
    await drain(sender(app, db), db)
    assert_once_each(fake, chats)
    assert states(db) == {"sent": 10}


async def test_a_send_cancelled_mid_flight_stays_sending_until_recovery(fake, app, db):
    seed(db, [9201])
    fake.delay_next(1, 0.8, methods=["sendMessage"], process=True)
    deliverer = sender(app, db)
    task = asyncio.create_task(deliverer.run_until_idle())
    await asyncio.to_thread(fake.wait_for_call, "sendMessage", 1, 5)
    task.cancel()  # like a kill: the answer never reaches the outbox
    with pytest.raises(asyncio.CancelledError):
        await task
    assert states(db) == {"sending": 1}
    assert recover(db) == 1
    assert states(db) == {"pending": 1}


async def test_module_level_deliver_due_sends_one_batch(fake, app, db):
    seed(db, [9301, 9302, 9303])
    stats = await deliver_due(app.bot, db, limit=2)
    assert stats.claimed == 2 and stats.sent == 2
    assert outbox.queue_depth(db) == 1


async def test_the_token_never_reaches_logs_or_the_database(fake, app, db, caplog):
    install_token_redaction(fake.token)
    caplog.set_level(logging.DEBUG)
    logging.getLogger("httpx").setLevel(logging.DEBUG)
    seed(db, [9401, 9402])
    fake.reset_next(2, methods=["sendMessage"])
    fake.fail_next(1, status=400, description=f"Bad Request: echo {fake.token}", methods=["sendMessage"])
    logging.getLogger("test").info("url was %s/sendMessage", fake.base_url + fake.token)
    await drain(sender(app, db), db)
    text = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert "/sendMessage" in text  # PTB and httpx did log the URLs
    secret = fake.token.split(":")[1]
    assert secret not in text and fake.token not in text
    stored = " ".join(str(r) for r in db.execute("SELECT last_error FROM deliveries").fetchall())
    assert secret not in stored
    assert redact(f"x{fake.token}y", fake.token) == "x<redacted-token>y"


def test_redaction_covers_tracebacks_and_format_arguments(caplog):
    token = "4242:SecretPartOfTheTokenXYZ"
    install_token_redaction(token)
    log = logging.getLogger("newsalert.test")
    try:
        raise RuntimeError(f"POST https://api.telegram.org/bot{token}/getMe failed")
    except RuntimeError:
        log.exception("request to %s failed", f"/bot{token}/getMe")
    [record] = [r for r in caplog.records if r.name == "newsalert.test"]
    formatted = logging.Formatter().format(record)
    assert "SecretPartOfTheTokenXYZ" not in formatted
    assert "request to /bot<redacted-token>/getMe failed" in formatted and "RuntimeError" in formatted


async def test_group_that_muted_the_bot_counts_as_gone(fake, app, db):
    seed(db, [-5201])
    seed(db, [-5201])
    fake.fail_next(
        1,
        status=400,
        description="Bad Request: not enough rights to send text messages to the chat",
        methods=["sendMessage"],
    )
    stats = await drain(sender(app, db), db)
    assert stats.deactivated_chats == 1 and stats.dropped == 2
    assert db.execute("SELECT active FROM subscribers WHERE chat_id = -5201").fetchone()[0] == 0
    assert len(fake.calls("sendMessage")) == 1


async def test_stop_and_time_slice_finish_what_is_in_flight_and_leave_the_rest_pending(fake, db):
    app = build_app(fake, rate=20)
    async with app:
        seed(db, range(9501, 9561))
        stop = asyncio.Event()
        deliverer = sender(app, db)
        task = asyncio.create_task(deliverer.run_until_idle(limit=20, stop=stop))
        await asyncio.to_thread(fake.wait_for_total, 5)
        stop.set()
        stats = await asyncio.wait_for(task, 5)
        assert 5 <= stats.sent < 60 and stats.sent == stats.claimed
        assert "sending" not in states(db)
        # A time slice ends the same way; a later call carries on.
        sliced = await deliverer.run_until_idle(limit=20, max_seconds=0.3)
        assert 0 < sliced.sent < 60 - stats.sent and "sending" not in states(db)
        await drain(deliverer, db)
    assert_once_each(fake, range(9501, 9561))


async def test_alerts_backing_off_after_an_outage_go_as_soon_as_telegram_answers_again(fake, app, db):
    first = seed(db, [4301, 4302, 4303])
    fake.fail_next(3, status=502, methods=["sendMessage"])
    deliverer = sender(app, db, backoff_base=120.0)  # first retry would be 96-144 s later
    await deliverer.run_until_idle()
    assert {outbox.get_delivery(db, i)["state"] for i in first.values()} == {"pending"}
    assert min(outbox.get_delivery(db, i)["next_attempt_at"] for i in first.values()) > time.time() + 60
    seed(db, [4304])  # a new alert: Telegram accepts it, so the backed-off ones are due at once
    await drain(deliverer, db, timeout=10)
    assert_once_each(fake, [4301, 4302, 4303, 4304])
