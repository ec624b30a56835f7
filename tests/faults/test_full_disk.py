"""A full disk, in the running bot: read-only commands keep answering, writing ones say "try again later", no
alert is lost, the log says so once, and everything works again by itself when space returns.

The disk is "filled" with SQLite's own limit: ``PRAGMA max_page_count`` at the file's current size on every
connection the bot has, so any write that needs a new page fails with SQLITE_FULL, as on a full disk. The test
then fills the free room a ``/subscribe`` would use (see :func:`_fill`), so its write fails for certain.
"""

from __future__ import annotations

import logging
import sqlite3

import pytest

import bot.app
from bot.config import FeedConfig
from handlers import TRY_AGAIN_LATER
from storage import subscribers
from tests.support.feed_server import FeedServer

USER = 7001
FILLER_CHAT = USER - 1  # its rows sort just before USER's in every index /subscribe writes to
NO_LIMIT = 1_073_741_823


def rss(*items: tuple[str, str]) -> bytes:
    body = "".join(
        f"<item><guid>{guid}</guid><title>{title}</title><link>https://harbour.example/{guid}</link>"
        f"<description>{title}. {'The ferry crossed the harbour again today. ' * 300}</description></item>"
        for guid, title in items
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Harbour News</title>'
        f"<link>https://harbour.example/</link><description>d</description>{body}</channel></rss>"
    ).encode()


async def _limit_pages(bot_under_test, pages: int) -> None:
    """The same page limit on every connection of the running bot (it is a per-connection setting)."""
    sql = f"PRAGMA max_page_count = {pages}"
    pipeline = bot_under_test.app.bot_data["pipeline"]
    for conn in (pipeline.poll_db.conn, pipeline.deliverer.db.conn, bot_under_test.db.conn):
        conn.execute(sql)
    await bot_under_test.services.db.run(lambda db: db.execute(sql))


def _fill(path, pages: int) -> int:
    """Use up the file's free pages and the room in the last page of each b-tree a subscription goes into.

    Subscriptions of FILLER_CHAT with ever larger short queries land exactly where USER's next one would (the
    right edge of the table and of both its indexes), and are smaller than it, so once one no longer fits,
    USER's cannot either. Returns how many went in."""
    conn = sqlite3.connect(path, timeout=30)
    conn.execute(f"PRAGMA max_page_count = {pages}")
    added = 0
    try:
        while True:
            with conn:
                conn.execute(
                    "INSERT INTO subscriptions (chat_id, query, raw, created_at) VALUES (?, ?, '', 0)",
                    (FILLER_CHAT, f"k{added:06d}"),
                )
            added += 1
    except sqlite3.OperationalError as error:
        assert error.sqlite_errorname == "SQLITE_FULL"
    finally:
        conn.close()
    return added


async def test_a_full_disk_keeps_reads_refuses_writes_kindly_loses_nothing_and_recovers(
    start_bot, fake, caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    caplog.set_level(logging.INFO)
    monkeypatch.setattr(bot.app, "FULL_RETRY_SECONDS", 0.5)
    with FeedServer() as server:
        url = server.set("/harbour.xml", rss(("1", "Harbour reopens after the storm")))
        under_test = await start_bot(feeds=(FeedConfig(url=url, name="Harbour News", interval_seconds=1),))
        [reply] = await under_test.send(USER, "/subscribe keyword:harbour")
        assert "Subscribed" in reply.text
        subscribers.upsert_subscriber(under_test.db, FILLER_CHAT)
        await under_test.until(
            lambda: under_test.row("SELECT id FROM articles WHERE matched = 1"), timeout=30
        )
        await (
            under_test.until(  # its alert (if the subscription was in time) is out before replies are counted
                lambda: (
                    under_test.row(
                        "SELECT count(*) AS n FROM deliveries WHERE state IN ('pending', 'sending')"
                    )["n"]
                    == 0
                )
            )
        )
        path = under_test.app.bot_data["config"].storage.path

        # The disk fills up.
        under_test.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        pages = under_test.db.execute("PRAGMA page_count").fetchone()[0]
        await _limit_pages(under_test, pages)
        assert _fill(path, pages) > 0
        server.set(
            "/harbour.xml", rss(("1", "Harbour reopens after the storm"), ("2", "Harbour ferry returns"))
        )
        asked = len(server.requests("/harbour.xml"))
        await under_test.until(lambda: len(server.requests("/harbour.xml")) >= asked + 3, timeout=30)
        assert under_test.row("SELECT id FROM articles WHERE title LIKE 'Harbour ferry%'") is None

        # Reads still answer; a write says to try again later, in one line, and changes nothing.
        [listing] = await under_test.send(USER, "/list")
        assert "harbour" in listing.text
        [latest] = await under_test.send(USER, "/latest harbour", timeout=10)
        assert "Harbour reopens after the storm" in latest.text
        [refused] = await under_test.send(USER, "/subscribe keyword:ferry")
        assert refused.text == TRY_AGAIN_LATER and "\n" not in refused.text
        assert under_test.row("SELECT id FROM subscriptions WHERE query = 'keyword:ferry'") is None
        [refused_again] = await under_test.send(USER, "/subscribe keyword:tide")
        assert refused_again.text == TRY_AGAIN_LATER
        full_lines = [r for r in caplog.records if "storage is full" in r.getMessage()]
        assert len(full_lines) == 1, [r.getMessage() for r in full_lines]
        assert full_lines[0].levelno == logging.WARNING and full_lines[0].exc_info is None
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR], "no tracebacks, no errors"

        # Space returns: the article the full disk held back is stored and alerted, and writes work again.
        await _limit_pages(under_test, NO_LIMIT)
        alert = await under_test.until(
            lambda: next((m for m in fake.messages(USER) if "Harbour ferry returns" in m.text), None),
            timeout=30,
        )
        [accepted] = await under_test.send(USER, "/subscribe keyword:ferry")
        assert "Subscribed" in accepted.text
        assert [m.text for m in fake.messages(USER)].count(alert.text) == 1
        room = [r for r in caplog.records if "room again" in r.getMessage()]
        assert len(room) == 1
        assert len([r for r in caplog.records if "storage is full" in r.getMessage()]) == 1
