"""The daily retention job in the running bot: scheduled, and deleting thousands of rows while commands answer."""

from __future__ import annotations

import asyncio
import time

from bot.retention import INTERVAL, RetentionJob
from storage import articles
from storage import feeds as feed_store

USER = 6001
DAY = 86_400


async def test_retention_runs_daily_and_commands_answer_while_it_deletes(start_bot):
    bot = await start_bot()
    [job] = bot.app.job_queue.get_jobs_by_name("retention")
    assert isinstance(job.callback, RetentionJob)
    assert job.trigger.interval.total_seconds() == INTERVAL
    [reply] = await bot.send(USER, "/subscribe keyword:harbour")
    assert "Subscribed" in reply.text
    feed = feed_store.add_feed(bot.db, "https://old.test/rss", now=1.0)
    old = time.time() - 30 * DAY
    items = [
        {
            "guid_hash": f"g{n}",
            "url": f"https://old.test/{n}",
            "title": f"Old story {n}",
            "text": "word " * 200,
            "summary": "",
            "published": old - 600,
        }
        for n in range(3000)
    ]
    articles.insert_articles(bot.db, feed, items, now=old)
    run = asyncio.create_task(job.callback.run())
    answered = 0
    while not run.done():
        [listing] = await bot.send(USER, "/list", timeout=5)
        assert "harbour" in listing.text
        answered += 1
    done = await run
    assert done.articles == 3000
    assert bot.db.execute("SELECT count(*) FROM articles").fetchone()[0] == 0
    assert bot.db.execute("SELECT count(*) FROM subscriptions").fetchone()[0] == 1
    assert answered >= 1
