"""``[metrics] listen``: ``/healthz`` and ``/metrics`` of the running bot, read over HTTP as Prometheus would."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import sys

from bot.config import FeedConfig
from storage import articles, outbox, stories
from storage import feeds as feed_store
from storage.subscribers import upsert_subscriber
from tests.observe.conftest import endpoint, get, scrape
from tests.support.feed_server import FeedServer

CHAT = 4242
EMPTY = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title><link>http://x/</link>'
    b"<description>d</description></channel></rss>"
)
ONE_ITEM = EMPTY.replace(
    b"</channel>",
    b"<item><title>Harbour reopens in Zvecan</title><link>http://x/1</link><guid>1</guid>"
    b"<description>The harbour reopened on Monday after a week.</description></item></channel>",
)
LISTEN = {"listen": "127.0.0.1:0"}


async def until_healthy(bot, timeout: float = 60.0) -> str:
    async def probe() -> str:
        while True:
            response = await get(bot, "/healthz")
            if response.status_code == 200:
                return response.text
            await asyncio.sleep(0.05)

    return await asyncio.wait_for(probe(), timeout)


async def until_unhealthy(bot, timeout: float = 20.0) -> str:
    async def probe() -> str:
        while True:
            response = await get(bot, "/healthz")
            if response.status_code == 503:
                return response.text
            assert response.status_code == 200
            await asyncio.sleep(0.05)

    return await asyncio.wait_for(probe(), timeout)


async def test_metrics_count_a_poll_and_a_delivery(start_bot, fake):
    with FeedServer() as feeds:
        feeds.set("/wire.xml", EMPTY)
        bot = await start_bot(
            metrics=LISTEN, feeds=(FeedConfig(url=feeds.url("/wire.xml"), name="Wire", interval_seconds=1),)
        )
        assert await until_healthy(bot) == "ok\n"
        [reply] = await bot.send(CHAT, "/subscribe kosovo")
        assert "Subscribed" in reply.text
        feeds.set("/wire.xml", ONE_ITEM)
        await asyncio.to_thread(fake.wait_for_messages, CHAT, 2, 20)
        assert "Harbour reopens" in fake.messages(CHAT)[1].text

        async def delivered() -> dict:
            while True:
                metrics = await scrape(bot)
                if metrics[("newsalert_messages_sent_total", (("kind", "alert"),))] >= 1:
                    return metrics
                await asyncio.sleep(0.05)

        metrics = await asyncio.wait_for(delivered(), 20)
    assert metrics[("newsalert_messages_sent_total", (("kind", "alert"),))] == 1
    assert metrics[("newsalert_messages_sent_total", (("kind", "digest"),))] == 0
    assert (
        metrics[("newsalert_poll_cycle_seconds_count", ())] >= 2
    )  # the empty feed, then the one with the item
    assert 0 < metrics[("newsalert_poll_cycle_seconds_sum", ())] < 20
    assert metrics[("newsalert_matching_seconds_count", ())] >= 1
    assert metrics[("newsalert_feeds", (("status", "ok"),))] == 1
    assert metrics[("newsalert_feeds", (("status", "failing"),))] == 0
    assert metrics[("newsalert_articles_stored", ())] == 1
    assert metrics[("newsalert_outbox_rows", (("state", "sent"),))] == 1
    assert metrics[("newsalert_outbox_rows", (("state", "pending"),))] == 0
    assert metrics[("newsalert_subscribers", (("state", "active"),))] == 1
    assert metrics[("newsalert_subscriptions", ())] == 1
    assert metrics[("newsalert_telegram_errors_total", (("code", "429"),))] == 0
    assert metrics[("newsalert_telegram_errors_total", (("code", "403"),))] == 0
    assert metrics[("newsalert_delivery_retries_total", (("reason", "transient"),))] == 0
    assert metrics[("newsalert_healthy", ())] == 1
    assert metrics[("newsalert_database_bytes", ())] > 10_000


def queue_alert(bot, chat_id: int) -> None:
    """An outbox row for ``chat_id``, as fan-out would write it."""
    feed_id = feed_store.add_feed(bot.db, f"http://127.0.0.1:9/{chat_id}.xml", name="Wire")
    item = {
        "guid_hash": str(chat_id),
        "url": None,
        "title": "T",
        "text": "",
        "summary": "",
        "published": None,
    }
    [article_id] = articles.insert_articles(bot.db, feed_id, [item])
    stories.assign_stories(bot.db, [article_id])
    upsert_subscriber(bot.db, chat_id)
    outbox.enqueue(
        bot.db, chat_id, articles.get_article(bot.db, article_id)["story_id"], article_id, explanation="{}"
    )


async def test_429s_403s_and_retries_are_counted(start_bot, fake):
    bot = await start_bot(metrics=LISTEN)
    fake.too_many_next(2, retry_after=0.2, methods=["sendMessage"])
    await bot.send(CHAT, "/help")  # answered after the rate limiter waited out the two 429s
    fake.fail_next(1, status=502, methods=["sendMessage"])
    queue_alert(bot, CHAT)  # 502, then sent after its backoff
    fake.block(CHAT + 1)
    queue_alert(bot, CHAT + 1)  # 403: dropped, the chat marked inactive

    async def counted() -> dict:
        while True:
            metrics = await scrape(bot)
            sent = metrics[("newsalert_messages_sent_total", (("kind", "alert"),))]
            if sent >= 1 and metrics[("newsalert_outbox_rows", (("state", "dropped"),))] >= 1:
                return metrics
            await asyncio.sleep(0.05)

    metrics = await asyncio.wait_for(counted(), 20)
    assert metrics[("newsalert_telegram_errors_total", (("code", "429"),))] == 2
    assert metrics[("newsalert_telegram_errors_total", (("code", "502"),))] == 1
    assert metrics[("newsalert_telegram_errors_total", (("code", "403"),))] == 1
    assert metrics[("newsalert_delivery_retries_total", (("reason", "transient"),))] == 1
    assert metrics[("newsalert_outbox_rows", (("state", "dropped"),))] == 1
    assert metrics[("newsalert_subscribers", (("state", "inactive"),))] == 1


async def test_healthz_is_503_with_the_reason_when_telegram_stops_answering(start_bot, fake):
    bot = await start_bot(metrics=LISTEN)
    assert await until_healthy(bot) == "ok\n"
    bot.app.bot_data["monitoring"].health.telegram_stale_after = 1.0
    fake.go_away(4)
    reason = await until_unhealthy(bot)
    assert reason.startswith("no answer from Telegram for ") and reason.endswith(" s\n")
    assert await until_healthy(bot) == "ok\n", "it recovers by itself when Telegram answers again"


async def test_healthz_is_503_when_the_feed_loop_is_stuck(start_bot, fake):
    with FeedServer() as feeds:
        feeds.set("/slow.xml", EMPTY, delay=5)
        bot = await start_bot(
            metrics=LISTEN,
            polling={"interval_seconds": 1, "timeout_seconds": 10},
            feeds=(FeedConfig(url=feeds.url("/slow.xml")),),
        )
        # Each cycle waits 5 s on the feed: the loop is healthy while the last tick is under 3 intervals old.
        assert await until_healthy(bot) == "ok\n"
        reason = await until_unhealthy(bot)
        assert reason.startswith("the feed loop last ran ") and reason.endswith(" s ago\n")
        assert await until_healthy(bot) == "ok\n", "healthy again when the cycle ends"


async def test_healthz_is_503_when_the_bot_stops_polling_telegram(start_bot):
    bot = await start_bot(metrics=LISTEN)
    assert await until_healthy(bot) == "ok\n"
    await bot.app.updater.stop()
    response = await get(bot, "/healthz")
    assert (response.status_code, response.text) == (503, "not polling Telegram\n")
    assert (await scrape(bot))[("newsalert_healthy", ())] == 0
    await bot.app.updater.start_polling(poll_interval=0, timeout=5)  # the fixture stops it again


async def test_unknown_paths_are_404(start_bot):
    bot = await start_bot(metrics=LISTEN)
    assert (await get(bot, "/")).status_code == 404
    assert endpoint(bot).startswith("http://127.0.0.1:")


async def test_no_endpoint_by_default(start_bot):
    bot = await start_bot()
    assert bot.app.bot_data["monitoring"].server is None


def test_a_port_in_use_is_one_line_before_the_bot_starts(tmp_path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        config = tmp_path / "config.toml"
        config.write_text(
            f'[storage]\npath = "{tmp_path / "bot.db"}"\n[metrics]\nlisten = "127.0.0.1:{port}"\n'
            '[telegram]\nbase_url = "http://127.0.0.1:9/bot"\n'
        )
        done = subprocess.run(
            [sys.executable, "-m", "bot", "run", "--config", str(config)],
            env={**os.environ, "TELEGRAM_BOT_TOKEN": "123:abc"},
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert done.returncode == 1
    assert done.stderr == (
        f"newsalert: cannot listen on metrics.listen = '127.0.0.1:{port}': Address already in use\n"
    )
