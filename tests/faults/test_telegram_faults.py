"""Telegram misbehaving under a running ``newsalert run``: 429s with a growing retry_after, 500s, timeouts,
connection resets, then the Bot API gone for 30 seconds. Every alert still arrives exactly once, and the bot
answers commands again once Telegram is back (a command's reply is resent for about 7 s only, see
``handlers.context.send_reliably`` and ``test_command_replies.py``, so the command here is sent after the outage).

(The sender's answer handling is tested piece by piece in ``tests/delivery/test_delivery.py``; this is the whole
process with the faults stacked, as a bad day at Telegram looks.)
"""

from __future__ import annotations

import email.utils
import sqlite3
import time
from collections import Counter
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from matching import parse_query
from storage import subscribers, subscriptions
from storage.db import connect
from tests.faults.botproc import BotProcess, delivery_ids, wait_until, write_config
from tests.support.fake_telegram import FakeTelegram
from tests.support.feed_server import FeedServer

CHATS = list(range(40_001, 40_041))
OUTAGE = 30.0
BEFORE = ("Harbour pilots warn of fog delays", "Pilots said the harbour would stay open despite the fog.")
DURING = ("Storm surge floods the old harbour", "Water rose over the quay of the old harbour at dawn.")


def rss(items: list[tuple[str, str]], now: float) -> bytes:
    body = "".join(
        f"<item><title>{escape(title)}</title><link>https://wire.example/{n}</link><guid>g{n}</guid>"
        f"<pubDate>{email.utils.formatdate(now)}</pubDate><description>{escape(text)}</description></item>"
        for n, (title, text) in enumerate(items)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Wire</title>'
        f"<link>https://wire.example/</link><description>d</description>{body}</channel></rss>"
    ).encode()


def sent_rows(db_path: Path) -> int:
    conn = sqlite3.connect(db_path)
    try:
        return int(conn.execute("SELECT count(*) FROM deliveries WHERE state = 'sent'").fetchone()[0])
    finally:
        conn.close()


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    with FakeTelegram(chat_burst=50) as fake, FeedServer() as feeds:
        db_path = tmp_path / "bot.db"
        db = connect(db_path)
        canonical = parse_query("keyword:harbour").canonical
        for chat_id in CHATS:
            subscribers.upsert_subscriber(db, chat_id, now=time.time() - 60)
            subscriptions.add_subscription(
                db, chat_id, canonical, "keyword:harbour", max_subscriptions=5, now=time.time() - 60
            )
        db.conn.close()
        config = write_config(
            tmp_path / "config.toml",
            base_url=fake.base_url,
            db_path=db_path,
            feeds=[(feeds.url("/wire.xml"), "Wire")],
        )
        bot = BotProcess(config, fake.token, tmp_path / "bot.log")
        yield fake, feeds, bot, db_path
        bot.cleanup()


def test_every_alert_arrives_once_through_429s_errors_resets_timeouts_and_a_30s_outage(world):
    fake, feeds, bot, db_path = world
    feeds.set("/wire.xml", rss([BEFORE], time.time()))
    # Stacked on sendMessage, consumed in this order: 429 with retry_after 1, 2, 3, 4 s (more than the rate
    # limiter's three in-place retries, so the last one reaches the outbox), 500s, 502s, resets, and answers held
    # past PTB's 5 s read timeout (dropped unprocessed, as when Telegram never got the request).
    fake.too_many_next(4, retry_after=1, growth=1, methods=["sendMessage"])
    fake.fail_next(4, status=500, methods=["sendMessage"])
    fake.fail_next(2, status=502, methods=["sendMessage"])
    fake.reset_next(4, methods=["sendMessage"])
    fake.delay_next(2, 6.0, methods=["sendMessage"])
    bot.start()
    wait_until(lambda: sent_rows(db_path) >= 20, 90, "the first alerts through the faults", bot=bot)
    faulted = fake.stats_json()
    assert faulted["too_many"] == 4 and faulted["server_errors"] == 6
    assert faulted["resets"] == 4 and faulted["delayed"] == 2
    retry_afters = [c.description for c in fake.calls("sendMessage") if c.status == 429]
    assert retry_afters == [f"Too Many Requests: retry after {n}" for n in (1, 2, 3, 4)]

    # Telegram goes away for 30 s while alerts are still queued, and a new story is published meanwhile.
    fake.go_away(OUTAGE)
    down_at = time.monotonic()
    feeds.set("/wire.xml", rss([BEFORE, DURING], time.time()))
    wait_until(lambda: time.monotonic() - down_at >= OUTAGE, OUTAGE + 5, "the outage to end")
    back_at = time.monotonic()
    fake.inject_message(CHATS[0], "/help")

    expected = 2 * len(CHATS)
    wait_until(lambda: sent_rows(db_path) == expected, 75, "every alert after the outage", bot=bot)
    alerts_back = time.monotonic() - back_at
    help_reply = wait_until(
        lambda: [
            m for m in fake.messages(CHATS[0]) if "/subscribe" in m.text and "why" not in str(m.buttons)
        ],
        45,
        "/help to be answered after the outage",
        bot=bot,
    )
    help_back = time.monotonic() - back_at
    assert help_reply

    sent = Counter(delivery_ids(fake.messages()))
    assert len(sent) == expected, "an alert was lost"
    assert max(sent.values()) == 1, "an alert was sent twice"
    for chat_id in CHATS:
        titles = [m.text.splitlines()[0] for m in fake.messages(chat_id) if delivery_ids([m])]
        assert sorted(titles) == sorted([BEFORE[0], DURING[0]])  # order across stories may change on retries
    conn = sqlite3.connect(db_path)
    states = dict(conn.execute("SELECT state, count(*) FROM deliveries GROUP BY state").fetchall())
    # A 429 is not an attempt: only the errors, resets and timeouts (and refused connections) count.
    max_attempts = conn.execute("SELECT max(attempts) FROM deliveries").fetchone()[0]
    conn.close()
    assert states == {"sent": expected}
    assert bot.terminate() == 0
    log = bot.log.read_text(errors="replace")
    assert "Traceback" not in log and fake.token.split(":")[1] not in log
    print(
        f"after a {OUTAGE:g} s outage: all alerts sent {alerts_back:.1f} s and /help answered {help_back:.1f} s "
        f"after Telegram came back; most attempts for one alert: {max_attempts}"
    )
