"""Story grouping against a real SQLite database: URL joins, wire rewrites, windows, same-feed rule, determinism."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from storage.db import connect
from storage.stories import (
    WINDOW_SECONDS,
    assign_pending_stories,
    assign_stories,
    rebuild_story_index,
    story_articles,
)

NOW = 1_780_000_000.0
_guids = itertools.count()

LEAD = (
    "Ukrainian and Russian negotiators met in Istanbul on Friday for the first direct talks in three years, "
    "agreeing to swap 1,000 prisoners each but failing to reach a ceasefire deal."
)


@pytest.fixture
def db() -> sqlite_utils.Database:
    database = connect(":memory:")
    for name in ("Reuters", "AP", "BBC"):
        database.execute(
            "INSERT INTO feeds (url, name, added_at) VALUES (?, ?, ?)",
            [f"https://{name.lower()}.test/rss", name, 0],
        )
    database.conn.commit()
    return database


def add(
    db: sqlite_utils.Database, feed_id: int, title: str, text: str = "", url: str | None = None, **kw: Any
) -> int:
    cursor = db.execute(
        "INSERT INTO articles (feed_id, guid_hash, url, title, text, published, first_seen) VALUES (?,?,?,?,?,?,?)",
        [feed_id, f"g{next(_guids)}", url, title, text, kw.get("published"), kw.get("first_seen", NOW)],
    )
    db.conn.commit()
    return int(cursor.lastrowid or 0)


def story_of(db: sqlite_utils.Database, article_id: int) -> int:
    return db.execute("SELECT story_id FROM articles WHERE id = ?", [article_id]).fetchone()[0]


def test_same_canonical_url_joins_the_story_and_lists_feeds_oldest_first(db: sqlite_utils.Database) -> None:
    first = add(
        db, 1, "Talks in Istanbul", url="https://www.example.com/world/talks/?utm_source=rss", first_seen=NOW
    )
    assign_stories(db, [first], now=NOW)
    second = add(
        db, 2, "Completely other headline", url="http://example.com/world/talks#top", first_seen=NOW + 60
    )
    assign_stories(db, [second], now=NOW + 60)

    assert story_of(db, first) == story_of(db, second)
    listed = story_articles(db, story_of(db, first))
    assert [(a["id"], a["feed_name"]) for a in listed] == [(first, "Reuters"), (second, "AP")]
    story = db.execute(
        "SELECT title, url, last_seen FROM stories WHERE id = ?", [story_of(db, first)]
    ).fetchone()
    assert story == ("Talks in Istanbul", "https://www.example.com/world/talks/?utm_source=rss", NOW + 60)


def test_wire_rewrite_from_another_feed_joins_the_story(db: sqlite_utils.Database) -> None:
    original = add(
        db, 1, "Russia and Ukraine agree prisoner swap at Istanbul talks", LEAD, "https://a.test/1"
    )
    rewrite = add(
        db,
        2,
        "Istanbul talks: Ukraine, Russia agree to prisoner swap - Reuters",
        LEAD.split(", agreeing")[0] + ".",
        "https://b.test/2",
    )
    other = add(
        db,
        3,
        "Zelensky says Ukraine will not cede territory in Istanbul talks",
        "Ukraine's president said on Friday that no land would be given up, as delegations prepared to meet.",
        "https://c.test/3",
    )
    assign_stories(db, [other, rewrite, original], now=NOW)

    assert story_of(db, original) == story_of(db, rewrite)
    assert story_of(db, other) != story_of(db, original)
    # The lower id is handled first, so the story carries the first report's title.
    title = db.execute("SELECT title FROM stories WHERE id = ?", [story_of(db, original)]).fetchone()[0]
    assert title == "Russia and Ukraine agree prisoner swap at Istanbul talks"


def test_reports_older_than_the_window_start_a_new_story(db: sqlite_utils.Database) -> None:
    old = add(db, 1, "Russia and Ukraine agree prisoner swap at Istanbul talks", LEAD, "https://a.test/1")
    assign_stories(db, [old], now=NOW)
    later = NOW + WINDOW_SECONDS + 3600
    again = add(
        db,
        2,
        "Russia and Ukraine agree prisoner swap at Istanbul talks",
        LEAD,
        "https://a.test/1",
        first_seen=later,
    )
    assign_stories(db, [again], now=later)
    assert story_of(db, again) != story_of(db, old)


def test_same_feed_needs_a_closer_match_to_merge(db: sqlite_utils.Database) -> None:
    first = add(db, 1, "Russia and Ukraine agree prisoner swap at Istanbul talks", LEAD, "https://a.test/1")
    repost = add(db, 1, "Russia and Ukraine agree prisoner swap at Istanbul talks", LEAD, "https://a.test/3")
    # One outlet's next item on the same talks is a new development, not another report of this one.
    follow_up = add(
        db,
        1,
        "Zelensky says Ukraine will not cede territory in Istanbul talks",
        "Ukraine's president said on Friday that no land would be given up, as delegations prepared to meet.",
        "https://a.test/4",
    )
    assign_stories(db, [first, repost, follow_up], now=NOW)
    assert story_of(db, repost) == story_of(db, first)
    assert story_of(db, follow_up) != story_of(db, first)


def test_grouping_is_idempotent_and_pending_articles_are_caught_up(db: sqlite_utils.Database) -> None:
    a = add(db, 1, "Russia and Ukraine agree prisoner swap at Istanbul talks", LEAD, "https://a.test/1")
    b = add(db, 2, "Russia, Ukraine agree prisoner swap at Istanbul talks (AP)", LEAD, "https://b.test/1")
    assert assign_pending_stories(db, now=NOW) == 2
    before = [story_of(db, a), story_of(db, b)]
    assign_stories(db, [a, b], now=NOW)
    assert assign_pending_stories(db, now=NOW) == 0
    assert [story_of(db, a), story_of(db, b)] == before
    assert before[0] == before[1]
    assert db.execute("SELECT COUNT(*) FROM stories").fetchone()[0] == 1


def test_far_apart_publication_times_keep_reports_apart(db: sqlite_utils.Database) -> None:
    a = add(
        db, 1, "Annual budget vote passes parliament", LEAD, "https://a.test/1", published=NOW - 10 * 86400
    )
    b = add(db, 2, "Annual budget vote passes parliament", LEAD, "https://b.test/1", published=NOW)
    assign_stories(db, [a, b], now=NOW)
    assert story_of(db, a) != story_of(db, b)


def test_items_that_all_link_to_the_front_page_are_not_one_story(db: sqlite_utils.Database) -> None:
    a = add(db, 1, "Parliament passes the annual budget after a long night", url="https://news.test/")
    b = add(db, 2, "Storm closes schools across the northern region", url="https://news.test/")
    assign_stories(db, [a, b], now=NOW)
    assert story_of(db, a) != story_of(db, b)


def test_a_report_without_lead_joins_by_its_title_alone(
    db: sqlite_utils.Database,
) -> None:
    full = add(db, 1, "Russia and Ukraine agree prisoner swap at Istanbul talks", LEAD, "https://a.test/1")
    bare = add(db, 2, "Russia, Ukraine agree prisoner swap at Istanbul talks - AFP", "", "https://b.test/1")
    meet = add(
        db,
        1,
        "US and Iran to meet for second round of nuclear talks",
        "Representatives for the U.S. and Iran will meet in Geneva Tuesday for a second round of nuclear talks as "
        "the U.S. builds up military forces in the region.",
        "https://a.test/2",
    )
    wrap = add(db, 3, "U.S. and Iran wrap up second round of nuclear talks", "", "https://c.test/1")
    assign_stories(db, [full, bare, meet, wrap], now=NOW)
    assert story_of(db, bare) == story_of(db, full)
    assert story_of(db, wrap) == story_of(db, meet)
    assert story_of(db, meet) != story_of(db, full)


def test_the_grouper_is_rebuilt_from_the_stored_window(db: sqlite_utils.Database) -> None:
    first = add(db, 1, "Russia and Ukraine agree prisoner swap at Istanbul talks", LEAD, "https://a.test/1")
    assign_stories(db, [first], now=NOW)
    # The grouper's state is derived data: dropped, it is rebuilt from the grouped articles of the window.
    assert rebuild_story_index(db, now=NOW + 60) == 1
    again = add(
        db, 3, "Russia and Ukraine agree prisoner swap at Istanbul talks (AP)", LEAD, "https://c.test/1"
    )
    assign_stories(db, [again], now=NOW + 120)
    assert story_of(db, again) == story_of(db, first)


def test_a_second_connection_sees_what_the_first_grouped(tmp_path: Path) -> None:
    """Two processes on one database (the bot, and `newsalert poll --once`): each catches up with the other."""
    path = tmp_path / "n.db"
    one, two = connect(path), connect(path)
    one.execute(
        "INSERT INTO feeds (url, added_at) VALUES ('https://a.test/rss', 0), ('https://b.test/rss', 0)"
    )
    one.conn.commit()
    assign_stories(two, [], now=NOW)  # the second grouper exists before the first groups anything
    first = add(one, 1, "Vincent Gigante, ex-Mafia boss, dies in prison", LEAD, "https://a.test/1")
    assign_stories(one, [first], now=NOW)
    second = add(two, 2, "Ex-Mafia boss Vincent Gigante dies in prison", LEAD, "https://b.test/1")
    assign_stories(two, [second], now=NOW + 60)
    assert story_of(two, second) == story_of(one, first)


def test_story_articles_names_feeds_by_name_then_title_then_url(db: sqlite_utils.Database) -> None:
    db.execute(
        "INSERT INTO feeds (url, title, added_at) VALUES ('https://titled.test/rss', 'Titled Feed', 0)"
    )
    db.execute("INSERT INTO feeds (url, added_at) VALUES ('https://bare.test/rss', 0)")
    db.conn.commit()
    url = "https://example.com/world/talks"
    ids = [
        add(db, 1, "Talks in Istanbul", url=url, first_seen=NOW + 10, published=NOW - 50),
        add(db, 4, "Talks in Istanbul", url=url, first_seen=NOW),
        add(db, 5, "Talks in Istanbul", url=url, first_seen=NOW + 20),
    ]
    assign_stories(db, ids, now=NOW + 20)
    listed = story_articles(db, story_of(db, ids[0]))
    assert [a["feed_name"] for a in listed] == ["Titled Feed", "Reuters", "https://bare.test/rss"]
    assert [a["id"] for a in listed] == [ids[1], ids[0], ids[2]]
    assert listed[1]["published"] == NOW - 50
    assert set(listed[0]) == {"id", "feed_id", "feed_name", "url", "title", "published", "first_seen"}
