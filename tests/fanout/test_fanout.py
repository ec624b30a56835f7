"""Fan-out rules that outside checks rely on, through the real storage, stories and matcher."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlite_utils

from alerts.fanout import fan_out, fan_out_pending, load_matcher
from storage import articles, subscriptions
from storage.db import connect
from tests.digests.conftest import World, utc


@pytest.fixture
def db(tmp_path) -> Iterator[sqlite_utils.Database]:
    database = connect(tmp_path / "newsalert.db")
    yield database
    database.conn.close()


def _store(
    world: World, title: str, *, at: float, published: float | None = None, feed_id: int | None = None
) -> int:
    world._n += 1
    item = {
        "guid_hash": f"g{world._n}",
        "url": f"https://news.example.org/{world._n}",
        "title": title,
        "text": title,
        "summary": title,
        "published": at if published is None else published,
    }
    [article_id] = articles.insert_articles(world.db, feed_id or world.feed_id, [item], now=at)
    return article_id


def test_only_subscriptions_older_than_the_article_are_alerted(db):
    world = World(db)
    at = utc(2026, 11, 25, 10)
    world.subscriber(1, at=at - 60)
    world.subscriber(2, at=at + 60)
    article = _store(world, "KFOR patrols reinforced near Zvečan", at=at)
    result = fan_out(db, load_matcher(db), [article], max_age_hours=48, now=at + 120)
    assert result == {article: [1]}


def test_old_articles_are_stored_and_marked_matched_but_never_alerted(db):
    world = World(db)
    at = utc(2026, 11, 25, 10)
    world.subscriber(1, at=at - 10 * 86400)
    article = _store(world, "KFOR mission extended", at=at, published=at - 49 * 3600)
    assert fan_out(db, load_matcher(db), [article], max_age_hours=48, now=at) == {article: []}
    assert db.execute("SELECT matched FROM articles WHERE id = ?", [article]).fetchone()[0] == 1
    assert db.execute("SELECT count(*) FROM deliveries").fetchone()[0] == 0


def test_one_alert_per_story_per_chat_across_subscriptions_and_feeds(db):
    world = World(db)
    at = utc(2026, 11, 25, 10)
    world.subscriber(1, at=at - 60, queries=("kfor", "zvecan", "kosovo"))
    other_feed = world.db["feeds"].insert({"url": "https://other.example/rss", "added_at": 0}).last_pk
    title = "KFOR peacekeepers injured in clashes in Zvečan, northern Kosovo"
    first = _store(world, title, at=at)
    second = _store(world, title + " - Reuters", at=at + 30, feed_id=other_feed)
    matcher = load_matcher(db)
    assert fan_out(db, matcher, [first], max_age_hours=48, now=at + 1) == {first: [1]}
    assert fan_out(db, matcher, [second], max_age_hours=48, now=at + 31) == {second: []}
    rows = world.rows(1)
    assert len(rows) == 1
    assert '"subscription": "kfor"' in rows[0]["explanation"]  # the oldest matching subscription explains it


def test_cap_overflow_waits_for_the_end_of_quiet_hours(db):
    world = World(db, max_per_hour=1)
    world.subscriber(1, at=utc(2026, 11, 1), timezone="Europe/Kyiv", quiet_start="22:00", quiet_end="07:00")
    # 21:30 Kyiv (UTC+2 in November) is 19:30 UTC: the first alert goes out, the second overflows. The next full
    # hour (20:00 UTC = 22:00 Kyiv) is inside quiet hours, so the overflow waits until 07:00 Kyiv (05:00 UTC).
    world.publish(world.headline(), at=utc(2026, 11, 25, 19, 30))
    world.publish(world.headline(), at=utc(2026, 11, 25, 19, 31))
    assert [(r["mode"], r["next_attempt_at"]) for r in world.rows(1)] == [
        ("instant", utc(2026, 11, 25, 19, 30)),
        ("digest", utc(2026, 11, 26, 5)),
    ]


def test_articles_left_unmatched_by_a_crash_are_matched_next_cycle(db):
    world = World(db)
    at = utc(2026, 11, 25, 10)
    world.subscriber(1, at=at - 60)
    stored = [_store(world, world.headline(), at=at) for _ in range(3)]
    result = fan_out_pending(db, load_matcher(db), max_age_hours=48, now=at + 5, batch=2)
    assert result == {article: [1] for article in stored}
    assert fan_out_pending(db, load_matcher(db), max_age_hours=48, now=at + 6) == {}


def test_a_muted_subscription_is_silent_while_the_chats_other_subscriptions_alert(db):
    world = World(db)
    at = utc(2026, 11, 25, 10)
    world.subscriber(1, at=at - 60, queries=("kfor", "zvecan"))
    kfor, zvecan = (row["id"] for row in subscriptions.list_subscriptions(db, 1))
    subscriptions.set_muted_until(db, 1, kfor, at + 3600)
    matcher = load_matcher(db)
    both = _store(world, "KFOR patrols reinforced near Zvečan", at=at)
    assert fan_out(db, matcher, [both], max_age_hours=48, now=at + 1) == {both: [1]}
    assert '"subscription": "zvecan"' in world.rows(1)[0]["explanation"]  # the muted one does not explain it
    only_muted = _store(world, "KFOR mission extended by a year, says commander", at=at + 60)
    assert fan_out(db, matcher, [only_muted], max_age_hours=48, now=at + 61) == {only_muted: []}
    later = _store(world, "KFOR commander visits troops at the border crossing", at=at + 7200)
    assert fan_out(db, matcher, [later], max_age_hours=48, now=at + 7201) == {later: [1]}  # the mute ran out
