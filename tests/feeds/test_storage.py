"""Feed and article storage: add/remove/list/sync, health, published fallback, safe full-text search."""

from __future__ import annotations

import pytest
import sqlite_utils

from bot.config import FeedConfig
from feeds.urls import FeedUrlError
from storage import articles as article_store
from storage import feeds as feed_store

NOW = 1_780_000_000.0


def item(guid: str, title: str, text: str = "", published: float | None = None) -> dict[str, object]:
    return {
        "guid_hash": guid,
        "url": f"https://example.org/{guid}",
        "title": title,
        "text": text,
        "summary": text[:100],
        "published": published,
    }


def test_add_is_idempotent_and_validates(db: sqlite_utils.Database) -> None:
    first = feed_store.add_feed(db, "https://Example.org/rss.xml", name="Ex", now=NOW)
    again = feed_store.add_feed(db, "https://example.org/rss.xml", now=NOW)
    assert first == again
    assert feed_store.find_feed_by_url(db, "https://example.org/rss.xml")["id"] == first  # type: ignore[index]
    with pytest.raises(FeedUrlError):
        feed_store.add_feed(db, "javascript:alert(1)")
    feed = feed_store.get_feed(db, first)
    assert feed is not None and feed["status"] == "new" and feed["articles"] == 0  # never polled yet
    assert NOW <= feed["next_check_at"] < NOW + 300


def test_remove_deletes_articles(db: sqlite_utils.Database) -> None:
    feed_id = feed_store.add_feed(db, "https://example.org/rss.xml", now=NOW)
    article_store.insert_articles(db, feed_id, [item("a", "Alpha")], now=NOW)
    assert feed_store.remove_feed(db, feed_id) is True
    assert feed_store.remove_feed(db, feed_id) is False
    assert db.execute("SELECT count(*) FROM articles").fetchone()[0] == 0
    assert article_store.search_articles(db, "Alpha") == []


def test_sync_config_feeds_updates_names_and_keeps_others(db: sqlite_utils.Database) -> None:
    other = feed_store.add_feed(db, "https://other.example/rss", now=NOW)
    ids = feed_store.sync_config_feeds(
        db,
        [
            FeedConfig(url="https://a.example/rss", name="A", interval_seconds=120),
            FeedConfig(url="https://b.example/rss"),
        ],
    )
    ids_again = feed_store.sync_config_feeds(db, [FeedConfig(url="https://a.example/rss", name="A2")])
    assert ids_again == ids[:1]
    feeds = {f["url"]: f for f in feed_store.list_feeds(db)}
    assert (
        feeds["https://a.example/rss"]["name"] == "A2" and feeds["https://a.example/rss"]["interval"] is None
    )
    assert other in {f["id"] for f in feeds.values()}


def test_due_feeds_order_and_limit(db: sqlite_utils.Database) -> None:
    ids = [feed_store.add_feed(db, f"https://example.org/{i}.xml", now=NOW) for i in range(5)]
    with db.conn:
        for offset, feed_id in enumerate(ids):
            db.execute("UPDATE feeds SET next_check_at = ? WHERE id = ?", [NOW - offset, feed_id])
    due = feed_store.due_feeds(db, NOW, limit=3)
    assert [f["id"] for f in due] == [ids[4], ids[3], ids[2]]
    assert feed_store.due_feeds(db, NOW - 10) == []


def test_insert_dedups_and_fills_published(db: sqlite_utils.Database) -> None:
    feed_id = feed_store.add_feed(db, "https://example.org/rss.xml", now=NOW)
    other = feed_store.add_feed(db, "https://example.org/other.xml", now=NOW)
    new = article_store.insert_articles(
        db,
        feed_id,
        [item("a", "A", published=NOW - 60), item("b", "B"), item("c", "C", published=NOW + 86400)],
        now=NOW,
    )
    assert len(new) == 3
    assert article_store.insert_articles(db, feed_id, [item("a", "A"), item("d", "D")], now=NOW + 1)[1:] == []
    assert (
        len(article_store.insert_articles(db, other, [item("a", "A")], now=NOW)) == 1
    )  # unique per feed only
    published = [article_store.get_article(db, i)["published"] for i in new]  # type: ignore[index]
    assert published == [NOW - 60, NOW, NOW]  # no date → first_seen; a future date is clamped
    article = article_store.get_article(db, new[0])
    assert article is not None and article["feed_name"] == "https://example.org/rss.xml"


def test_unmatched_and_mark_matched(db: sqlite_utils.Database) -> None:
    feed_id = feed_store.add_feed(db, "https://example.org/rss.xml", now=NOW)
    ids = article_store.insert_articles(db, feed_id, [item(str(i), f"T{i}") for i in range(3)], now=NOW)
    assert [a["id"] for a in article_store.unmatched_articles(db, 10)] == ids
    article_store.mark_matched(db, ids[:2])
    assert [a["id"] for a in article_store.unmatched_articles(db, 10)] == ids[2:]


def test_search_is_newest_first_and_user_text_is_not_fts_syntax(db: sqlite_utils.Database) -> None:
    feed_id = feed_store.add_feed(db, "https://example.org/rss.xml", name="Ex", now=NOW)
    article_store.insert_articles(
        db,
        feed_id,
        [
            item("1", "Kosovo talks", "Clashes in Zvečan", published=NOW - 100),
            item("2", "Kosovo police", "Clashes again near Zvecan", published=NOW),
            item("3", "Weather", "Sunny", published=NOW),
        ],
        now=NOW,
    )
    found = article_store.search_articles(db, "kosovo clashes")
    assert [a["title"] for a in found] == ["Kosovo police", "Kosovo talks"]
    assert found[0]["feed_name"] == "Ex"
    assert len(article_store.search_articles(db, "zvecan")) == 2  # diacritics folded
    for hostile in ['kosovo" OR weather', "NEAR(kosovo weather)", "title:kosovo", "kos*", "-", '"', ")("]:
        article_store.search_articles(db, hostile)  # never an FTS syntax error
    assert article_store.search_articles(db, 'weather" OR "kosovo') == []
    assert article_store.search_articles(db, "   ") == []
    assert article_store.fts_query('a"b') == '"a" "b"'


def test_failure_streak_flags(db: sqlite_utils.Database) -> None:
    feed_id = feed_store.add_feed(db, "https://example.org/rss.xml", now=NOW)
    flags = [
        feed_store.record_failure(db, feed_id, now=NOW, error="HTTP 500", next_check_at=NOW) for _ in range(4)
    ]
    assert flags == [False, False, True, False]
    assert feed_store.record_success(db, feed_id, now=NOW, next_check_at=NOW + 300, etag='"x"') is True
    assert (
        feed_store.record_success(db, feed_id, now=NOW, next_check_at=NOW + 300, not_modified=True) is False
    )
    feed = feed_store.get_feed(db, feed_id)
    assert (
        feed is not None and feed["etag"] == '"x"' and feed["error_count"] == 0 and feed["last_error"] is None
    )


def test_known_hashes_are_the_newest_and_the_constraint_still_dedups(db: sqlite_utils.Database) -> None:
    feed_id = feed_store.add_feed(db, "https://example.org/rss.xml", now=NOW)
    article_store.insert_articles(db, feed_id, [item(str(i), f"T{i}") for i in range(5)], now=NOW)
    assert article_store.known_guid_hashes(db, feed_id, limit=2) == frozenset({"3", "4"})
    assert article_store.insert_articles(db, feed_id, [item("0", "T0")], now=NOW) == []


def test_first_check_is_spread_over_the_configured_interval(db: sqlite_utils.Database) -> None:
    ids = feed_store.sync_config_feeds(
        db, [FeedConfig(url=f"https://example.org/{i}.xml") for i in range(50)], now=NOW, default_interval=10
    )
    due = [feed_store.get_feed(db, feed_id)["next_check_at"] - NOW for feed_id in ids]  # type: ignore[index]
    assert all(0 <= delay < 10 for delay in due) and max(due) > 5
