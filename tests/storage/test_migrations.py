"""Schema versions: a database made by an earlier release is brought up to date at open."""

from __future__ import annotations

import sqlite3

import pytest
import sqlite_utils

from storage import updates
from storage.db import MIGRATIONS, SCHEMA_VERSION, connect


def test_new_database_is_at_the_current_version_in_wal_mode(tmp_path):
    db = connect(tmp_path / "n.db")
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert {"feeds", "articles", "stories", "subscribers", "subscriptions", "deliveries"} <= set(
        db.table_names()
    )
    assert "articles_fts" in db.table_names()
    assert not {"story_keys", "story_prints"} & set(db.table_names())  # the grouper's index lives in memory


def test_a_version_1_database_keeps_its_rows_and_is_brought_up_to_date(tmp_path):
    path = tmp_path / "old.db"
    old = sqlite_utils.Database(sqlite3.connect(str(path)))
    MIGRATIONS[0](old)
    old.execute("PRAGMA user_version = 1")
    old.execute("INSERT INTO feeds (url, added_at) VALUES ('https://a.test/rss', 0)")
    old.conn.commit()
    old.conn.close()
    db = connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert db.execute("SELECT url FROM feeds").fetchall() == [("https://a.test/rss",)]
    assert "story_keys" not in db.table_names()


def test_a_database_from_a_newer_release_is_refused(tmp_path):
    path = tmp_path / "new.db"
    conn = sqlite3.connect(str(path))
    conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    conn.close()
    with pytest.raises(RuntimeError, match="newer than this newsalert"):
        connect(path)


def test_handled_updates_are_remembered_and_old_ones_pruned(tmp_path):
    db = connect(tmp_path / "u.db")
    assert updates.first_time(db, 5, now=100.0)
    assert not updates.first_time(db, 5, now=101.0)
    assert updates.first_time(
        db, 1000, now=100.0 + updates.KEEP_SECONDS + 1
    )  # prunes what is older than a day
    assert updates.first_time(db, 5, now=100.0 + updates.KEEP_SECONDS + 2)


def test_a_version_5_database_gains_how_alerts_look_with_todays_behaviour_as_default(tmp_path):
    path = tmp_path / "v5.db"
    old = sqlite_utils.Database(sqlite3.connect(str(path)))
    for migration in MIGRATIONS[:5]:
        migration(old)
    old.execute("PRAGMA user_version = 5")
    old.execute("INSERT INTO subscribers (chat_id, created_at) VALUES (7, 0)")
    old.execute("INSERT INTO subscriptions (chat_id, query, raw, created_at) VALUES (7, 'nato', 'nato', 0)")
    old.conn.commit()
    old.conn.close()
    db = connect(path)
    assert db.execute("SELECT link_preview, photos, silent FROM subscribers").fetchall() == [(0, 1, 0)]
    assert db.execute("SELECT silent FROM subscriptions").fetchall() == [(0,)]
    assert "image_url" in db["articles"].columns_dict


def test_setting_an_articles_story_or_matched_flag_leaves_its_full_text_index_alone(tmp_path):
    db = connect(tmp_path / "fts.db")
    db.execute("INSERT INTO feeds (url, added_at) VALUES ('https://a.test/rss', 0)")
    db.execute(
        "INSERT INTO articles (feed_id, guid_hash, title, text, first_seen) VALUES (1, 'g', 'Quake hits Aceh', '', 0)"
    )
    story = db.execute("INSERT INTO stories (first_seen, last_seen, title) VALUES (0, 0, 'q')").lastrowid
    before = db.conn.total_changes
    db.execute("UPDATE articles SET story_id = ?, matched = 1 WHERE id = 1", [story])
    assert db.conn.total_changes - before == 1  # the row itself (the old trigger: 9, rewriting articles_fts)
    db.execute("UPDATE articles SET title = 'Flood hits Jakarta' WHERE id = 1")
    found = "SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?"
    assert db.execute(found, ["jakarta"]).fetchall() == [(1,)]
    assert db.execute(found, ["aceh"]).fetchall() == []
    db.execute("INSERT INTO articles_fts (articles_fts) VALUES ('integrity-check')")  # raises if out of step
