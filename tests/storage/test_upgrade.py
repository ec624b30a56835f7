"""A database made by the first release opens with the current code, migrates, and keeps every subscription.

The first release's schema is frozen in ``data/schema_v1.sql`` (dumped from commit cd965fc's ``_v1``), so an edit
to ``_v1`` today cannot make this test build a database no real user ever had.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

from matching import Matcher
from storage import articles, subscriptions
from storage.db import SCHEMA_VERSION, connect

SCHEMA_V1 = Path(__file__).with_name("data") / "schema_v1.sql"
CHATS = 40


def _first_release_database(path: Path) -> list[tuple[int, int, str, str]]:
    """A v1 file with subscribers, subscriptions, feeds, articles (indexed by v1's FTS triggers), a story and an
    outbox row; returns the subscriptions as (id, chat, query, raw)."""
    conn = sqlite3.connect(path)
    conn.executescript(SCHEMA_V1.read_text())
    conn.execute("PRAGMA user_version = 1")
    conn.execute("INSERT INTO feeds (id, url, name, added_at) VALUES (1, 'https://old.test/rss', 'Old', 1.0)")
    conn.execute(
        "INSERT INTO stories (id, first_seen, last_seen, title) VALUES (1, 2.0, 2.0, 'Harbour reopens')"
    )
    for n in range(1, 6):
        conn.execute(
            "INSERT INTO articles (feed_id, guid_hash, url, title, text, first_seen, story_id, matched) "
            "VALUES (1, ?, ?, ?, 'The harbour in Zvecan reopened.', 2.0, 1, 1)",
            (f"g{n}", f"https://old.test/{n}", f"Harbour reopens {n}"),
        )
    subs = []
    for chat in range(1, CHATS + 1):
        conn.execute(
            "INSERT INTO subscribers (chat_id, created_at, timezone, digest) VALUES (?, 1.0, 'Europe/Kyiv', ?)",
            (chat, "daily" if chat % 3 == 0 else "off"),
        )
        for query, raw in ((f"keyword:topic{chat}", f"topic{chat}"), ("region:XK", "kosovo")):
            cursor = conn.execute(
                "INSERT INTO subscriptions (chat_id, query, raw, created_at) VALUES (?, ?, ?, 1.5)",
                (chat, query, raw),
            )
            subs.append((int(cursor.lastrowid or 0), chat, query, raw))
    conn.execute(
        "INSERT INTO deliveries (chat_id, story_id, article_id, state, created_at, sent_at, message_id) "
        "VALUES (1, 1, 1, 'sent', 3.0, 3.0, 77)"
    )
    conn.commit()
    conn.close()
    return subs


def _columns(db, table: str) -> list[tuple[str, str, int]]:
    return [(row[1], row[2], row[3]) for row in db.execute(f"PRAGMA table_info({table})")]


def test_a_first_release_database_migrates_and_keeps_every_subscription(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    subs = _first_release_database(path)
    db = connect(path)
    try:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        kept = db.execute("SELECT id, chat_id, query, raw FROM subscriptions ORDER BY id").fetchall()
        assert kept == subs
        assert [row["query"] for row in subscriptions.list_subscriptions(db, 3)] == [
            "keyword:topic3",
            "region:XK",
        ]
        assert db.execute("SELECT count(*) FROM subscriptions WHERE muted_until IS NULL").fetchone()[
            0
        ] == len(subs)
        assert db.execute("SELECT timezone, digest FROM subscribers WHERE chat_id = 3").fetchone() == (
            "Europe/Kyiv",
            "daily",
        )
        assert db.execute("SELECT state, message_id FROM deliveries").fetchall() == [("sent", 77)]
        # v1's FTS triggers still index what the current code stores, and old rows stay searchable.
        assert len(articles.search_articles(db, "harbour zvecan", limit=10)) == 5
        assert articles.insert_articles(
            db,
            1,
            [
                {
                    "guid_hash": "new",
                    "url": None,
                    "title": "Ferry",
                    "text": "A ferry returns.",
                    "summary": "",
                    "published": None,
                }
            ],
            now=4.0,
        )
        assert [row["title"] for row in articles.search_articles(db, "ferry")] == ["Ferry"]
    finally:
        db.conn.close()
    fresh = connect(tmp_path / "fresh.db")
    upgraded = connect(path)
    try:
        tables = [row[0] for row in fresh.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        for table in tables:  # the same columns as a database created today, table for table
            assert _columns(upgraded, table) == _columns(fresh, table), table
        # The subscriptions are usable by today's matcher.
        matcher = Matcher()
        assert matcher.add_many(subscriptions.all_subscriptions(upgraded)) == []
        assert len(matcher) == len(subs)
    finally:
        fresh.conn.close()
        upgraded.conn.close()
