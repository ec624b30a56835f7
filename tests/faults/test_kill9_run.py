"""``kill -9`` of the whole ``newsalert run`` process, 20+ times, at random moments while it polls, fans out and
delivers a burst of alerts: nothing is lost, only messages in flight at a kill go out twice, and SQLite stays intact.

(``tests/delivery/test_kill9.py`` kills a process that only runs the sender; this one kills the real bot, so kills
also land during start-up, the first poll, the fan-out transaction and the scheduler's delivery slices.)
"""

from __future__ import annotations

import contextlib
import email.utils
import random
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

KILLS = 20
CHATS = list(range(30_001, 30_151))
# Four unrelated stories, each naming the keyword every chat follows: 600 alerts in all.
STORIES = [
    ("Harbour cranes collapse during storm in Rotterdam", "Two cranes fell at the harbour overnight."),
    (
        "Ferry workers strike and close the harbour of Piraeus",
        "Unions said the harbour strike lasts two days.",
    ),
    ("Seals return to a quiet harbour in Cornwall", "Wildlife groups counted forty seals in the harbour."),
    ("New harbour tunnel opens to traffic in Sydney", "The tunnel under the harbour cost four billion."),
]


def wire(now: float) -> bytes:
    items = "".join(
        f"<item><title>{escape(title)}</title><link>https://wire.example/{n}</link><guid>story-{n}</guid>"
        f"<pubDate>{email.utils.formatdate(now)}</pubDate><description>{escape(text)}</description></item>"
        for n, (title, text) in enumerate(STORIES)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Wire</title>'
        f"<link>https://wire.example/</link><description>d</description>{items}</channel></rss>"
    ).encode()


def seed_subscribers(db_path: Path) -> None:
    db = connect(db_path)
    canonical = parse_query("keyword:harbour").canonical
    earlier = time.time() - 60
    for chat_id in CHATS:
        subscribers.upsert_subscriber(db, chat_id, now=earlier)
        subscriptions.add_subscription(
            db, chat_id, canonical, "keyword:harbour", max_subscriptions=5, now=earlier
        )
    db.conn.close()


def in_flight(db_path: Path) -> tuple[set[int], str]:
    """Rows the killed process left 'sending' (claimed, maybe sent, not recorded), and the integrity check."""
    conn = sqlite3.connect(db_path)
    try:
        rows = {r[0] for r in conn.execute("SELECT id FROM deliveries WHERE state = 'sending'")}
        return rows, conn.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        conn.close()


def count(db_path: Path, sql: str) -> int:
    conn = sqlite3.connect(db_path)
    try:
        return int(conn.execute(sql).fetchone()[0])
    finally:
        conn.close()


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    with FakeTelegram(rate=60, chat_burst=50) as fake, FeedServer() as feeds:
        db_path = tmp_path / "bot.db"
        seed_subscribers(db_path)
        url = feeds.set("/wire.xml", wire(time.time()))
        config = write_config(
            tmp_path / "config.toml",
            base_url=fake.base_url,
            db_path=db_path,
            feeds=[(url, "Wire")],
            messages_per_second=50,
            extra_telegram="paid_broadcast = true",  # past the free 30/s, as an operator would have to
        )
        bot = BotProcess(config, fake.token, tmp_path / "bot.log")
        yield fake, bot, db_path
        bot.cleanup()


def test_kill9_of_newsalert_run_loses_nothing_and_repeats_only_in_flight(world):
    fake, bot, db_path = world
    rng = random.Random(20_261_127)
    suspects: set[int] = set()  # rows in flight at some kill: the only ones allowed to arrive twice
    moments = Counter()
    for _ in range(KILLS):
        bot.start()
        if rng.random() < 0.5:
            # Any moment after start: import, storage recovery, first poll, fan-out, or mid-burst.
            time.sleep(rng.uniform(0.2, 3.0))
            moments["timed"] += 1
        else:
            target = fake.stats.sent + rng.randint(1, 40)
            with contextlib.suppress(TimeoutError):  # nothing left to send: kill it anyway
                fake.wait_for(lambda t=target: fake.stats.sent >= t, timeout=30)
            moments["mid-burst"] += 1
        bot.kill9()
        left, integrity = in_flight(db_path)
        assert integrity == "ok"
        suspects |= left
    # The last run finishes the job and stops cleanly. Its SIGTERM must wait until this process is up (it
    # long-polls once its stop handlers are set): the alerts may all be recorded as sent by the earlier runs.
    polls = fake.arrived("getUpdates")  # a killed run sends no more: a new request is this run's
    bot.start()
    wait_until(lambda: fake.arrived("getUpdates") > polls, 90, "the last run to poll", bot=bot)
    expected = len(CHATS) * len(STORIES)
    wait_until(
        lambda: count(db_path, "SELECT count(*) FROM deliveries WHERE state = 'sent'") == expected,
        90,
        "every alert to be recorded as sent",
        bot=bot,
    )
    assert bot.terminate() == 0
    assert "Traceback" not in bot.log.read_text(errors="replace")

    assert (
        count(db_path, "SELECT count(*) FROM deliveries") == expected
    )  # one row per story per chat, no more
    assert count(db_path, "SELECT count(*) FROM articles WHERE matched = 0") == 0
    sent = Counter(delivery_ids(fake.messages()))
    rows = {r[0] for r in sqlite3.connect(db_path).execute("SELECT id FROM deliveries")}
    assert set(sent) == rows, "an alert was lost"
    duplicated = {delivery for delivery, n in sent.items() if n > 1}
    assert duplicated <= suspects, (
        f"sent twice though not in flight at a kill: {sorted(duplicated - suspects)}"
    )
    assert all(n <= 1 + KILLS for n in sent.values())
    assert in_flight(db_path)[1] == "ok"
    # The kills did land during the burst, not only between runs.
    assert suspects and moments["mid-burst"] >= 5, moments
    print(f"kills {KILLS} {dict(moments)}: in flight at kills {len(suspects)}, sent twice {len(duplicated)}")
