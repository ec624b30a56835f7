"""Digest tests: the real PTB Bot against the fake Bot API, and a database filled through the real fan-out."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Iterator, Sequence
from datetime import UTC, datetime

import pytest
import sqlite_utils
from telegram.ext import AIORateLimiter, Application, ApplicationBuilder

from alerts.delivery import Deliverer
from alerts.digests import DigestSender
from alerts.fanout import fan_out, load_matcher
from matching import parse_query
from storage import articles, subscribers, subscriptions
from storage import feeds as feed_store
from storage.db import connect
from tests.support.fake_telegram import FakeTelegram, fake_telegram  # noqa: F401 - the fixture


@pytest.fixture(autouse=True)
def _loopback_without_proxy(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture
def fake(fake_telegram: FakeTelegram) -> FakeTelegram:  # noqa: F811 - the imported fixture
    return fake_telegram


def build_app(fake: FakeTelegram, *, retries: int = 3) -> Application:
    """The Application as the bot builds it: real PTB and httpx, the fake's base_url, AIORateLimiter."""
    return (
        ApplicationBuilder()
        .token(fake.token)
        .base_url(fake.base_url)
        .rate_limiter(AIORateLimiter(overall_max_rate=29, max_retries=retries))
        .read_timeout(2.0)
        .connect_timeout(1.0)
        .write_timeout(1.0)
        .pool_timeout(5.0)
        .build()
    )


@pytest.fixture
async def app(fake: FakeTelegram) -> AsyncIterator[Application]:
    application = build_app(fake)
    async with application:
        yield application


@pytest.fixture
def db(tmp_path) -> Iterator[sqlite_utils.Database]:
    database = connect(tmp_path / "newsalert.db")
    yield database
    database.conn.close()


def sender(app: Application, db: sqlite_utils.Database, **kwargs) -> DigestSender:
    """A digest sender as the bot keeps one: on a Deliverer, with fast backoff and part pacing for tests."""
    deliverer = Deliverer(app.bot, db, backoff_base=0.05, max_attempts=kwargs.pop("max_attempts", 30))
    kwargs.setdefault("part_interval", 0.05)
    return DigestSender(deliverer, **kwargs)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> float:
    return datetime(year, month, day, hour, minute, tzinfo=UTC).timestamp()


_WORDS = [
    "harbour",
    "bridge",
    "council",
    "ministry",
    "convoy",
    "border",
    "village",
    "election",
    "river",
    "mayor",
    "strike",
    "flood",
    "court",
    "pipeline",
    "minister",
    "airport",
    "summit",
    "ceasefire",
    "protest",
    "railway",
    "drought",
    "vaccine",
    "factory",
    "reactor",
    "budget",
    "senate",
    "embassy",
    "parliament",
    "tunnel",
    "glacier",
    "wildfire",
    "earthquake",
    "satellite",
    "orchestra",
    "museum",
    "festival",
    "stadium",
    "marathon",
    "cathedral",
    "monastery",
    "vineyard",
    "refinery",
    "lighthouse",
    "copper",
    "lithium",
    "harvest",
    "tariff",
    "verdict",
    "referendum",
]


class World:
    """Subscribers, subscriptions and articles written through the real storage code, at chosen instants, and
    turned into outbox rows by the real fan-out with a real matcher."""

    def __init__(self, db: sqlite_utils.Database, *, max_per_hour: int = 20) -> None:
        self.db = db
        self.max_per_hour = max_per_hour
        self.feed_id = feed_store.add_feed(db, "https://news.example.org/rss.xml", name="Example News", now=0)
        self._rng = random.Random(7)
        self._n = 0

    def subscriber(
        self, chat_id: int, *, at: float, queries: Sequence[str] = ("kfor",), **settings: object
    ) -> None:
        subscribers.upsert_subscriber(
            self.db, chat_id, chat_type="private" if chat_id > 0 else "group", now=at
        )
        if settings:
            subscribers.update_settings(self.db, chat_id, **settings)
        for raw in queries:
            canonical = parse_query(raw).canonical
            subscriptions.add_subscription(self.db, chat_id, canonical, raw, max_subscriptions=100, now=at)

    def headline(self, keyword: str = "KFOR", words: int = 7) -> str:
        """A title with ``keyword`` and words no other title shares in the same order (so no two are one story)."""
        self._n += 1
        return f"{keyword} {' '.join(self._rng.sample(_WORDS, words))} {self._n}"

    def publish(self, title: str, *, at: float, url: str | None = None, summary: str = "") -> int:
        """Store an article first seen at ``at`` and fan it out at ``at``; returns the article id."""
        self._n += 1
        item = {
            "guid_hash": f"guid-{self._n}",
            "url": url or f"https://news.example.org/a/{self._n}",
            "title": title,
            "text": summary or title,
            "summary": summary or title,
            "published": at,
        }
        [article_id] = articles.insert_articles(self.db, self.feed_id, [item], now=at)
        fan_out(
            self.db,
            load_matcher(self.db),
            [article_id],
            max_age_hours=48,
            max_per_hour=self.max_per_hour,
            now=at,
        )
        return article_id

    def rows(self, chat_id: int) -> list[dict]:
        return list(self.db.query("SELECT * FROM deliveries WHERE chat_id = ? ORDER BY id", [chat_id]))
