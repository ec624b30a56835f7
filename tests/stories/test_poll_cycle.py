"""Story grouping through the poll cycle: two outlets' differently worded reports are one story, one alert."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from alerts.fanout import fan_out, load_matcher
from feeds.ingest import poll_once, shutdown_parse_pool
from matching.query import parse_query
from storage import feeds as feed_store
from storage import subscribers, subscriptions
from storage.db import connect
from tests.feeds.conftest import make_config
from tests.support.feed_server import FeedServer


@pytest.fixture(autouse=True)
def _no_proxy_for_loopback(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")
    yield
    shutdown_parse_pool()


def feed(title: str, guid: str, headline: str, lead: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title>'
        f"<link>https://{guid}.test/</link><item><guid>{guid}</guid><title>{headline}</title>"
        f"<link>https://{guid}.test/world/{guid}</link><description>{lead}</description></item>"
        "<item><guid>other</guid><title>Central bank holds interest rates steady</title>"
        f"<link>https://{guid}.test/business/rates</link>"
        "<description>The bank kept its main rate unchanged, citing slowing inflation.</description></item>"
        "</channel></rss>"
    ).encode()


async def test_two_feeds_wording_one_quake_differently_give_one_story_and_one_alert() -> None:
    db = connect(":memory:")
    chats = (501, 502)
    for chat in chats:
        subscribers.upsert_subscriber(db, chat, now=time.time() - 60)
        query = parse_query("keyword:quake")
        subscriptions.add_subscription(
            db, chat, query.canonical, "quake", max_subscriptions=50, now=time.time() - 60
        )
    with FeedServer() as server:
        server.set(
            "/wire.xml",
            feed(
                "Wire",
                "wire",
                "6.1-magnitude quake strikes Indonesia's Aceh province",
                "A strong earthquake struck Aceh province on Sumatra on Tuesday, the geophysics agency said.",
            ),
        )
        server.set(
            "/daily.xml",
            feed(
                "Daily",
                "daily",
                "Dozens injured as 6.1-magnitude quake hits Indonesia's Aceh",
                "Buildings collapsed and dozens of people were hurt when the quake hit the northern tip of Sumatra.",
            ),
        )
        feed_store.add_feed(db, server.url("/wire.xml"), name="Wire")
        feed_store.add_feed(db, server.url("/daily.xml"), name="Daily")
        result = await poll_once(db, make_config(), only_due=False)

    assert result.feeds_failed == 0, result.errors
    rows = db.execute("SELECT title, story_id FROM articles ORDER BY id").fetchall()
    stories = {title: story for title, story in rows}
    assert len(rows) == 4
    [quake] = {stories[t] for t in stories if "quake" in t}
    assert len(set(stories.values())) == 2  # the two rate reports are one story too, the quake another

    matched = fan_out(db, load_matcher(db), result.new_article_ids, max_age_hours=48)
    assert sum(1 for chats_of in matched.values() if chats_of) == 1  # the second report alerts nobody again
    deliveries = db.execute("SELECT chat_id, story_id FROM deliveries ORDER BY chat_id").fetchall()
    assert deliveries == [(chat, quake) for chat in chats]
