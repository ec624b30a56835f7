"""Random hostile text as feed titles, bodies and feed names, through the whole path an article takes: loopback
HTTP → poll cycle (parse in the process pool, clean, summarise, store, stories) → fan-out → delivery through PTB to
the fake Bot API. Every alert is accepted as HTML on the first try, fits 4,096 characters, and nothing is left
unsent.
"""

from __future__ import annotations

import asyncio
import itertools
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from xml.sax.saxutils import escape

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from telegram.ext import ApplicationBuilder

from alerts.delivery import Deliverer, rate_limiter
from alerts.fanout import fan_out_pending
from bot.config import Config, PollingConfig
from feeds.ingest import poll_once, shutdown_parse_pool
from matching import Matcher, parse_query
from storage import feeds as feed_store
from storage import outbox, subscribers, subscriptions
from storage.db import connect
from tests.fuzz.strategies import hostile_text, short_text
from tests.support.fake_telegram import FakeTelegram
from tests.support.feed_server import FeedServer
from tests.support.telegram_html import parse_html

MARK = "zqxjv"  # every generated title carries it, so the one subscription matches every article
CHAT = 7001
_paths = itertools.count()


@pytest.fixture(scope="module")
def servers() -> Iterator[tuple[FakeTelegram, FeedServer]]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("NO_PROXY", "127.0.0.1,localhost")
        patch.setenv("no_proxy", "127.0.0.1,localhost")
        with FakeTelegram(rate=1000, chat_rate=1000, chat_burst=1000) as fake, FeedServer() as feeds:
            yield fake, feeds
    shutdown_parse_pool()


def xml_text(text: str, cdata: bool) -> str:
    """Text as a feed would carry it: escaped, or raw inside CDATA (control characters left in, as real feeds do)."""
    if cdata and "]]>" not in text:
        return f"<![CDATA[{text}]]>"
    return escape(text)


def feed_xml(name: str, items: list[tuple[str, str, bool]]) -> bytes:
    now = time.strftime("%a, %d %b %Y %H:%M:%S +0000", time.gmtime())
    body = "".join(
        f"<item><guid>g{n}</guid><title>{xml_text(f'{MARK} {title}', cdata)}</title>"
        f"<link>https://fuzz.example/{n}?q={escape(title[:20])}</link><pubDate>{now}</pubDate>"
        f"<description>{xml_text(text, cdata)}</description></item>"
        for n, (title, text, cdata) in enumerate(items)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{escape(name)}</title>'
        f"<link>https://fuzz.example/</link>{body}</channel></rss>"
    ).encode("utf-8", "surrogatepass")


async def pipeline(fake: FakeTelegram, url: str, db_path: Path) -> tuple[int, int]:
    """One poll → fan-out → delivery round; returns (articles stored, plain-text fallbacks)."""
    db = connect(db_path)
    try:
        earlier = time.time() - 60
        subscribers.upsert_subscriber(db, CHAT, now=earlier)
        query = parse_query(f"keyword:{MARK}")
        added = subscriptions.add_subscription(
            db, CHAT, query.canonical, MARK, max_subscriptions=5, now=earlier
        )
        assert added.subscription is not None
        matcher = Matcher()
        matcher.add(int(added.subscription["id"]), query)
        feed_id = feed_store.add_feed(db, url, now=earlier)
        config = Config(polling=PollingConfig(timeout_seconds=5))
        result = await poll_once(db, config, feeds=[feed_store.get_feed(db, feed_id)], allow_private=True)
        assert result.feeds_failed == 0 or "not a feed" in str(result.errors) or "parse" in str(result.errors)
        await asyncio.to_thread(fan_out_pending, connect(db_path), matcher, max_age_hours=48)
        app = (
            ApplicationBuilder()
            .token(fake.token)
            .base_url(fake.base_url)
            .rate_limiter(rate_limiter(500))
            .build()
        )
        fallbacks = 0
        async with app:
            deliverer = Deliverer(app.bot, db, per_chat_interval=0.0, backoff_base=0.01)
            deadline = time.monotonic() + 20
            while outbox.queue_depth(db):
                assert time.monotonic() < deadline, "alerts left unsent"
                fallbacks += (await deliverer.run_until_idle()).plain_fallbacks
                await asyncio.sleep(0.01)
        states = dict(db.execute("SELECT state, count(*) FROM deliveries GROUP BY state").fetchall())
        stored = db.execute("SELECT count(*) FROM articles").fetchone()[0]
        assert set(states) <= {"sent"}, states
        return stored, fallbacks
    finally:
        db.conn.close()


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck), database=None)
@given(
    name=short_text,
    items=st.lists(st.tuples(hostile_text, hostile_text, st.booleans()), min_size=1, max_size=3),
)
def test_hostile_feed_text_becomes_alerts_telegram_accepts(servers, name, items):
    fake, feeds = servers
    path = f"/fuzz{next(_paths)}.xml"
    url = feeds.set(path, feed_xml(name, items))
    before = len(fake.messages(CHAT))
    with tempfile.TemporaryDirectory() as tmp:
        stored, fallbacks = asyncio.run(pipeline(fake, url, Path(tmp) / "fuzz.db"))
    alerts = fake.messages(CHAT)[before:]
    assert fallbacks == 0, "Telegram refused an alert's HTML"
    assert stored == 0 or alerts, "stored articles matched the subscription but no alert went out"
    for alert in alerts:
        assert alert.parse_mode == "HTML" and len(alert.text) <= 4096
        parse_html(alert.raw_text)
        assert "\x00" not in alert.text
