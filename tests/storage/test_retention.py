"""Retention: what goes, what stays, and that "one alert per story per chat, ever" survives deleting outbox rows.

Through the real storage, story grouping, matcher and fan-out; time is passed in (``now=``), never waited for.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlite_utils

from alerts.fanout import fan_out, load_matcher
from matching import Matcher
from storage import articles, outbox, retention, updates
from storage import feeds as feed_store
from storage.db import connect
from tests.digests.conftest import World, utc

DAY = 86_400
KEEP = 14
T0 = utc(2026, 11, 1, 9)


@pytest.fixture
def db(tmp_path: Path) -> Iterator[sqlite_utils.Database]:
    database = connect(tmp_path / "newsalert.db")
    yield database
    database.conn.close()


def _item(n: int, title: str, *, published: float | None) -> dict:
    return {
        "guid_hash": f"g{n}",
        "url": f"https://news.example.org/{n}",
        "title": title,
        "text": f"{title}. Reported in full.",
        "summary": title,
        "published": published,
    }


def _store(
    world: World, n: int, title: str, *, at: float, dated: bool = True, feed_id: int | None = None
) -> list[int]:
    return articles.insert_articles(
        world.db,
        world.feed_id if feed_id is None else feed_id,
        [_item(n, title, published=at - 600 if dated else None)],
        now=at,
    )


def _alert(
    world: World, article_ids: list[int], at: float, matcher: Matcher | None = None
) -> dict[int, list[int]]:
    matcher = matcher if matcher is not None else load_matcher(world.db)
    return fan_out(world.db, matcher, article_ids, max_age_hours=48, now=at)


def _count(db: sqlite_utils.Database, table: str) -> int:
    return int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def test_articles_past_the_window_go_with_their_search_rows_and_new_ones_stay(db):
    world = World(db)
    old = articles.insert_articles(
        db, world.feed_id, [_item(n, f"Harbour story {n}", published=T0 - 600) for n in range(1200)], now=T0
    )
    new = _store(world, 5000, "Harbour reopens", at=T0 + 10 * DAY)
    done = retention.prune_all(db, keep_articles_days=KEEP, now=T0 + 15 * DAY)
    assert done.articles == len(old) == 1200
    assert [row[0] for row in db.execute("SELECT id FROM articles")] == new
    assert [a["id"] for a in articles.search_articles(db, "harbour", limit=10)] == new
    db.execute("INSERT INTO articles_fts (articles_fts) VALUES ('integrity-check')")  # raises if out of step
    assert done.tombstones == 0  # dated articles need none


def test_an_article_a_waiting_alert_points_at_is_kept(db):
    world = World(db)
    world.subscriber(1, at=T0 - 60)  # its alert is queued and not sent yet (a long outage, say)
    [article] = _store(world, 1, "KFOR patrols the bridge", at=T0)
    assert _alert(world, [article], T0 + 1) == {article: [1]}
    retention.prune_all(db, keep_articles_days=KEEP, now=T0 + 30 * DAY)
    assert _count(db, "articles") == 1
    assert db.execute("SELECT state FROM deliveries").fetchall() == [("pending",)]


def test_an_outbox_row_goes_only_with_its_story_and_the_story_is_never_alerted_again(db):
    world = World(db)
    world.subscriber(1, at=T0 - 60)
    matcher = load_matcher(db)
    title = "KFOR patrols reinforced near Zvečan"
    [first] = _store(world, 1, title, at=T0)
    assert _alert(world, [first], T0 + 1, matcher) == {first: [1]}
    outbox.mark_sent(db, 1, 10, now=T0 + 2)
    # The story runs for 13 days (a report a day from another outlet, each grouped with the day before): no
    # second alert, and its outbox row stays while the story has articles, though the row and the first report
    # are past the window.
    reports = [first]
    for day in range(1, 14):
        outlet = feed_store.add_feed(db, f"https://outlet{day}.example.org/rss.xml", name=f"Outlet {day}", now=0)
        [report] = _store(world, 1 + day, title, at=T0 + day * DAY, feed_id=outlet)
        assert _alert(world, [report], T0 + day * DAY, matcher) == {report: []}
        reports.append(report)
    story = db.execute("SELECT story_id FROM articles WHERE id = ?", [first]).fetchone()[0]
    assert {row[0] for row in db.execute("SELECT story_id FROM articles")} == {story}
    done = retention.prune_all(db, keep_articles_days=KEEP, now=T0 + 15 * DAY)
    assert (done.articles, done.deliveries, done.stories) == (1, 0, 0)
    assert _count(db, "deliveries") == 1
    # Once the whole story is past the window, its row and the story go.
    done = retention.prune_all(db, keep_articles_days=KEEP, now=T0 + 28 * DAY)
    assert (done.articles, done.deliveries, done.stories) == (13, 1, 1)
    assert _count(db, "deliveries") == _count(db, "stories") == 0
    # The feed still lists the dated items: they are stored again, as old news that alerts no one, not even a
    # chat that subscribed since.
    world.subscriber(2, at=T0 + 20 * DAY)
    again = articles.insert_articles(
        db,
        world.feed_id,
        [_item(n, title, published=T0 + (n - 1) * DAY - 600) for n in (1, 14)],
        now=T0 + 29 * DAY,
    )
    assert len(again) == 2
    assert _alert(world, again, T0 + 29 * DAY) == {again[0]: [], again[1]: []}
    assert _count(db, "deliveries") == 0


def test_an_undated_article_leaves_a_tombstone_so_its_feed_cannot_make_it_new_again(db):
    world = World(db)
    world.subscriber(1, at=T0 - 60)
    [article] = _store(world, 7, "KFOR convoy stopped at the border", at=T0, dated=False)
    assert _alert(world, [article], T0 + 1) == {article: [1]}
    outbox.mark_sent(db, 1, 10, now=T0 + 2)
    done = retention.prune_all(db, keep_articles_days=KEEP, now=T0 + 15 * DAY)
    assert (done.articles, done.tombstones, done.deliveries) == (1, 1, 1)
    # Without the tombstone this would be stored with first_seen (its only date) = now, and alerted again.
    assert _store(world, 7, "KFOR convoy stopped at the border", at=T0 + 16 * DAY, dated=False) == []
    assert _count(db, "deliveries") == 0


def test_handled_updates_and_the_file_shrink(tmp_path: Path):
    path = tmp_path / "shrink.db"
    db = connect(path)
    assert retention.is_incremental(db)  # new files are created incremental
    world = World(db)
    items = [_item(n, f"Story {n} " + "filler " * 400, published=T0 - 600) for n in range(1000)]
    ids = articles.insert_articles(db, world.feed_id, items, now=T0)
    _alert(world, ids, T0)
    for update_id in range(1, 1500):
        updates.first_time(db, update_id, now=T0)
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    before = path.stat().st_size
    done = retention.prune_all(db, keep_articles_days=KEEP, now=T0 + 15 * DAY)
    assert done.articles == 1000 and done.handled_updates == 1499
    assert _count(db, "handled_updates") == 0
    assert done.pages_freed > 0 and db.execute("PRAGMA freelist_count").fetchone()[0] == 0
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    assert path.stat().st_size < before / 4
    db.conn.close()


def test_each_batch_is_its_own_transaction_so_other_writers_get_in_between(tmp_path: Path):
    path = tmp_path / "batches.db"
    db = connect(path)
    world = World(db)
    articles.insert_articles(
        db, world.feed_id, [_item(n, f"Story {n}", published=T0 - 600) for n in range(1600)], now=T0
    )
    other = sqlite3.connect(path, timeout=0)  # fails at once if the lock is held
    steps = retention.prune(db, keep_articles_days=KEEP, now=T0 + 15 * DAY, batch=100)
    seen = []
    for done in steps:
        seen.append(done.articles)
        assert not db.conn.in_transaction
        with other:
            other.execute(
                "INSERT INTO handled_updates (update_id, handled_at) VALUES (?, ?)",
                (len(seen), T0 + 15 * DAY),
            )
    assert [n for n in seen if n][:4] == [100, 200, 300, 400] and max(seen) == 1600
    other.close()
    db.conn.close()


def test_an_existing_database_is_switched_to_incremental_vacuum_once_and_keeps_its_rows(tmp_path: Path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE filler (x)")  # a file created before the incremental default
    conn.close()
    db = connect(path)
    assert not retention.is_incremental(db)
    World(db).subscriber(1, at=T0)
    assert retention.enable_incremental_vacuum(db) is True
    assert retention.is_incremental(db)
    assert retention.enable_incremental_vacuum(db) is False
    assert db.execute("SELECT query FROM subscriptions").fetchall() == [("kfor",)]
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    db.conn.close()


def test_the_search_index_stays_level_when_as_many_articles_go_as_come(db):
    world = World(db)
    sizes = []
    for day in range(6):
        at = T0 + day * DAY
        items = [
            _item(day * 1000 + n, f"Story {day} {n} " + f"w{n} x{day} " * 60, published=at - 600)
            for n in range(300)
        ]
        articles.insert_articles(db, world.feed_id, items, now=at)
        retention.prune_all(db, keep_articles_days=2, now=at + 1)
        sizes.append(db.execute("SELECT count(*), sum(length(block)) FROM articles_fts_data").fetchone()[1])
    assert _count(db, "articles") == 600
    assert max(sizes[3:]) <= sizes[2] * 1.1, sizes  # without merging it grew a tenth or more a day
    assert [a["title"][:7] for a in articles.search_articles(db, "x5", limit=1)] == ["Story 5"]
    assert articles.search_articles(db, "x2") == []
