"""Fixtures for the delivery tests: a fake Bot API, a real PTB Application pointed at it, and a seeded database."""

from __future__ import annotations

import itertools
import time
from collections.abc import AsyncIterator, Iterable

import pytest
import sqlite_utils
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder

from bot.aiohttp_request import AiohttpRequest
from storage import outbox
from storage.db import connect
from tests.support.fake_telegram import FakeTelegram, fake_telegram  # noqa: F401 - the fixture


@pytest.fixture(autouse=True)
def _loopback_without_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    """httpx would send 127.0.0.1 traffic to an HTTP(S)_PROXY from the environment."""
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture
def fake(fake_telegram: FakeTelegram) -> FakeTelegram:  # noqa: F811 - the imported fixture
    return fake_telegram


def build_app(
    fake: FakeTelegram, *, rate: float = 29.0, retries: int = 3, read_timeout: float = 1.0
) -> Application:
    """The Application as the bot builds it: real PTB, the aiohttp transport the bot sends through, the fake's
    base_url, AIORateLimiter."""
    request = AiohttpRequest(read_timeout=read_timeout, connect_timeout=1.0, write_timeout=1.0, pool_timeout=5.0)
    return (
        ApplicationBuilder()
        .token(fake.token)
        .base_url(fake.base_url)
        .rate_limiter(AIORateLimiter(overall_max_rate=rate, max_retries=retries))
        .request(request)
        .build()
    )


@pytest.fixture
async def app(fake: FakeTelegram) -> AsyncIterator[Application]:
    application = build_app(fake)
    async with application:
        yield application


@pytest.fixture
def db(tmp_path) -> sqlite_utils.Database:
    database = connect(tmp_path / "newsalert.db")
    yield database
    database.conn.close()


_ids = itertools.count(1)


def add_subscriber(db: sqlite_utils.Database, chat_id: int, **fields) -> None:
    row = {"chat_id": chat_id, "chat_type": "private" if chat_id > 0 else "group", "created_at": time.time()}
    row.update(fields)
    db["subscribers"].insert(row, replace=True)
    db["subscriptions"].insert(
        {"chat_id": chat_id, "query": f"kosovo{chat_id}", "raw": "kosovo", "created_at": time.time()}
    )


def add_article(
    db: sqlite_utils.Database,
    *,
    title: str = "KFOR troops injured in Zvečan clashes",
    summary: str = "NATO-led peacekeepers were hurt as Serb protesters clashed with police in northern Kosovo.",
    url: str = "https://example.org/news/kosovo",
    feed_name: str = "Example News",
) -> tuple[int, int]:
    """A feed, a story and one article in it; returns (story_id, article_id)."""
    n = next(_ids)
    now = time.time()
    feed_id = (
        db["feeds"]
        .insert({"url": f"https://example.org/feed{n}.xml", "name": feed_name, "added_at": now})
        .last_pk
    )
    story_id = db["stories"].insert({"first_seen": now, "last_seen": now, "title": title, "url": url}).last_pk
    article_id = (
        db["articles"]
        .insert(
            {
                "feed_id": feed_id,
                "guid_hash": f"g{n}",
                "url": url,
                "title": title,
                "summary": summary,
                "text": summary,
                "published": now - 60,
                "first_seen": now,
                "story_id": story_id,
            }
        )
        .last_pk
    )
    return story_id, article_id


def seed(db: sqlite_utils.Database, chats: Iterable[int], **article) -> dict[int, int]:
    """Subscribers for ``chats`` and one alert each for a fresh story; returns chat_id -> delivery id."""
    story_id, article_id = add_article(db, **article)
    ids = {}
    for chat_id in chats:
        if not db.execute("SELECT 1 FROM subscribers WHERE chat_id = ?", [chat_id]).fetchone():
            add_subscriber(db, chat_id)
        ids[chat_id] = outbox.enqueue(db, chat_id, story_id, article_id, explanation="kosovo")
    return ids


def states(db: sqlite_utils.Database) -> dict[str, int]:
    return dict(db.execute("SELECT state, count(*) FROM deliveries GROUP BY state").fetchall())
