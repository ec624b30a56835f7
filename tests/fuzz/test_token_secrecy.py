"""The bot token never appears in a log line (at DEBUG, every library included), an error, a reply or the database,
while the bot is made to fail in every way we can provoke: Telegram errors that echo the token, 5xx and resets on
the long poll, a refused alert, an outage, failing feeds.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest

from bot.cli.running import setup_logging
from bot.config import FeedConfig
from storage import outbox, subscribers
from tests.support.fake_telegram import FakeTelegram
from tests.support.feed_server import FeedServer

USER = 6201
ADMIN = 6202


@pytest.fixture
def debug_log() -> Iterator[io.StringIO]:
    """The bot's own logging set-up (as ``newsalert run`` does it), then everything at DEBUG into a buffer."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    saved_levels = {name: logging.getLogger(name).level for name in ("httpx", "httpcore", "apscheduler")}
    buffer = io.StringIO()
    setup_logging(logging.DEBUG, FakeTelegram().token)
    capture = logging.StreamHandler(buffer)
    capture.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
    root.addHandler(capture)
    for name in saved_levels:  # more than the bot logs, on purpose: httpx puts the token in every request URL
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield buffer
    root.handlers[:], _ = saved
    root.setLevel(saved[1])
    for name, level in saved_levels.items():
        logging.getLogger(name).setLevel(level)


async def test_the_token_appears_nowhere(start_bot, fake: FakeTelegram, debug_log, capsys):
    token = fake.token
    secret = token.split(":", 1)[1]
    with FeedServer() as server:
        server.error("/broken.xml", 500)
        feed = FeedConfig(url=server.url(f"/broken.xml?t={token}"), name="Broken", interval_seconds=1)
        fake.fail_next(2, status=500, methods=["getUpdates"])
        fake.reset_next(1, methods=["getUpdates"])
        bot = await start_bot(admins=(ADMIN,), feeds=(feed,))
        await bot.send(USER, "/start")
        await bot.send(ADMIN, "/start")
        # The admin chat may hear of the failing feed first: wait for the reply itself, or the error armed below
        # would meet a late /start reply instead of the alert.
        await bot.until(lambda: any("/help explains" in m.text for m in fake.messages(ADMIN)), timeout=10)

        # A Telegram error whose description carries the token, on an alert: the outbox keeps the error text.
        story = bot.db["stories"].insert({"first_seen": 1.0, "last_seen": 1.0, "title": "t"}).last_pk
        feed_id = bot.db["feeds"].insert({"url": "https://x.example/f", "added_at": 1.0}).last_pk
        article = (
            bot.db["articles"]
            .insert(
                {
                    "feed_id": feed_id,
                    "guid_hash": "g",
                    "title": "Harbour",
                    "first_seen": 1.0,
                    "story_id": story,
                }
            )
            .last_pk
        )
        subscribers.upsert_subscriber(bot.db, USER)
        fake.fail_next(
            1, status=400, description=f"Bad Request: wrong token {token}", methods=["sendMessage"]
        )
        delivery = outbox.enqueue(bot.db, USER, story, article)
        await bot.until(lambda: outbox.get_delivery(bot.db, delivery)["state"] == "failed", timeout=10)

        # The same on a command's reply (retried or dropped by the handler, as long as nothing leaks).
        fake.fail_next(
            1, status=400, description=f"Bad Request: chat {token} not found", methods=["sendMessage"]
        )
        await bot.send(USER, "/subscribe kosovo", replies=0)
        await bot.send(USER, "/subscribe harbour")

        # Telegram away for a moment, then the operator looks at feed health (the broken feed has failed by now).
        fake.go_away(1.0)
        await bot.until(
            lambda: bot.row("SELECT error_count FROM feeds WHERE name = 'Broken' AND error_count >= 3"),
            timeout=20,
        )
        await bot.send(ADMIN, "/feeds", timeout=10)
        await bot.send(ADMIN, "/stats")

    logged = debug_log.getvalue() + capsys.readouterr().err
    assert "/getUpdates" in logged and "HTTP Request" in logged, "httpx and PTB did log their requests"
    assert "not found" in logged.lower() and "wrong token" in logged.lower(), (
        "the provoked failures were logged"
    )
    assert secret not in logged
    replies = "\n".join(m.raw_text for m in fake.messages())
    assert secret not in replies
    stored = "\n".join(
        str(value)
        for table, column in (("deliveries", "last_error"), ("feeds", "last_error"))
        for (value,) in bot.db.execute(f"SELECT {column} FROM {table}")
    )
    assert "wrong token" in stored.lower() and secret not in stored


async def test_a_token_echoed_by_telegram_is_redacted_whatever_its_case(
    start_bot, fake: FakeTelegram, debug_log
):
    secret = fake.token.split(":", 1)[1]
    bot = await start_bot()
    story = bot.db["stories"].insert({"first_seen": 1.0, "last_seen": 1.0, "title": "t"}).last_pk
    feed_id = bot.db["feeds"].insert({"url": "https://x.example/f", "added_at": 1.0}).last_pk
    article = (
        bot.db["articles"]
        .insert(
            {"feed_id": feed_id, "guid_hash": "g", "title": "Harbour", "first_seen": 1.0, "story_id": story}
        )
        .last_pk
    )
    subscribers.upsert_subscriber(bot.db, USER)
    fake.fail_next(
        1, status=400, description=f"Bad Request: wrong token {fake.token}", methods=["sendMessage"]
    )
    delivery = outbox.enqueue(bot.db, USER, story, article)
    await bot.until(lambda: outbox.get_delivery(bot.db, delivery)["state"] == "failed", timeout=10)
    stored = outbox.get_delivery(bot.db, delivery)["last_error"]
    assert "wrong token" in stored.lower()
    assert secret.lower() not in stored.lower()
    assert secret.lower() not in debug_log.getvalue().lower()
