"""``newsalert backup PATH``: a consistent copy of the live database, taken while another connection keeps writing.

SQLite's online backup in small page steps restarts whenever another connection writes, and a test of it once
hung; ``VACUUM INTO`` reads one snapshot in one read transaction, which WAL writers never wait for.
"""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest

from bot.cli import main
from storage import articles, subscribers, subscriptions
from storage import feeds as feed_store
from storage.backup import backup_database
from storage.db import connect

SUBSCRIBERS = 200


def _live_database(path: Path) -> None:
    """Subscriptions to check, and a few MB of articles so the copy takes long enough to overlap the writer."""
    db = connect(path)
    for chat in range(1, SUBSCRIBERS + 1):
        subscribers.upsert_subscriber(db, chat, now=1.0)
        subscriptions.add_subscription(db, chat, f"keyword:topic{chat}", f"topic{chat}", max_subscriptions=5)
    feed = feed_store.add_feed(db, "https://backup.test/rss", now=1.0)
    items = [
        {
            "guid_hash": f"g{n}",
            "url": f"https://backup.test/{n}",
            "title": f"Story {n}",
            "text": f"word{n} " * 600,
            "summary": "s",
            "published": 1.0,
        }
        for n in range(3000)
    ]
    articles.insert_articles(db, feed, items, now=2.0)
    db.conn.close()


def _write_until(path: Path, stop: threading.Event, commits: list[float]) -> None:
    """Another connection (the bot) commits in a loop; records when each commit finished."""
    db = connect(path)
    chat = 100_000
    try:
        while not stop.is_set():
            chat += 1
            subscribers.upsert_subscriber(db, chat, now=3.0)
            subscriptions.add_subscription(db, chat, "keyword:busy", "busy", max_subscriptions=5)
            commits.append(time.monotonic())
    finally:
        db.conn.close()


def test_a_backup_taken_while_another_connection_writes_is_whole_and_consistent(tmp_path: Path) -> None:
    live, copy = tmp_path / "live.db", tmp_path / "copy.db"
    _live_database(live)
    stop, commits = threading.Event(), []
    writer = threading.Thread(target=_write_until, args=(live, stop, commits))
    writer.start()
    try:
        deadline = time.monotonic() + 10
        while not commits and time.monotonic() < deadline:  # the writer is under way before the backup starts
            time.sleep(0.001)
        started = time.monotonic()
        size = backup_database(live, copy)
        finished = time.monotonic()
    finally:
        stop.set()
        writer.join(timeout=30)
    assert not writer.is_alive()
    assert finished - started < 30
    assert any(started <= at <= finished for at in commits), "the writer kept committing during the backup"
    assert size == copy.stat().st_size > 0
    conn = sqlite3.connect(copy)
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        originals = conn.execute(
            "SELECT chat_id, query FROM subscriptions WHERE chat_id <= ? ORDER BY chat_id", (SUBSCRIBERS,)
        ).fetchall()
        assert originals == [(chat, f"keyword:topic{chat}") for chat in range(1, SUBSCRIBERS + 1)]
        # A snapshot: each busy chat's subscriber and subscription were committed together, so both or neither.
        busy_chats = conn.execute("SELECT count(*) FROM subscribers WHERE chat_id > 100000").fetchone()[0]
        busy_subs = conn.execute("SELECT count(*) FROM subscriptions WHERE chat_id > 100000").fetchone()[0]
        assert busy_chats - busy_subs in (0, 1)  # at most the one between its two commits
        assert conn.execute("SELECT count(*) FROM articles").fetchone()[0] == 3000
    finally:
        conn.close()
    assert not (tmp_path / "copy.db.partial").exists()


def test_the_copy_opens_as_a_newsalert_database(tmp_path: Path) -> None:
    live, copy = tmp_path / "live.db", tmp_path / "copy.db"
    _live_database(live)
    backup_database(live, copy)
    db = connect(copy)
    assert subscriptions.count_subscriptions(db, 7) == 1
    db.conn.close()


def _config(tmp_path: Path, db: Path) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\npath = "{db}"\n')
    return config


def test_the_command_refuses_an_existing_file_unless_forced(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    live, copy = tmp_path / "live.db", tmp_path / "copy.db"
    connect(live).conn.close()
    copy.write_text("keep me")
    config = _config(tmp_path, live)
    assert main(["backup", str(copy), "--config", str(config)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "already exists" in err and "--force" in err
    assert copy.read_text() == "keep me"
    assert main(["backup", str(copy), "--force", "--config", str(config)]) == 0
    assert "backed up" in capsys.readouterr().err
    assert sqlite3.connect(copy).execute("PRAGMA integrity_check").fetchone() == ("ok",)


@pytest.mark.parametrize("case", ["no database", "no directory", "not a database"])
def test_the_command_fails_in_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str], case: str) -> None:
    live, copy = tmp_path / "live.db", tmp_path / "copy.db"
    if case == "no directory":
        connect(live).conn.close()
        copy = tmp_path / "missing" / "copy.db"
    elif case == "not a database":
        live.write_bytes(b"\x00garbage" * 4096)
    assert main(["backup", str(copy), "--config", str(_config(tmp_path, live))]) == 1
    err = capsys.readouterr().err
    assert err.startswith("newsalert: ") and err.count("\n") == 1 and "Traceback" not in err
    assert not copy.exists()
