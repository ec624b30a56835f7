"""``newsalert backup`` while another connection writes; old databases keep every subscription; bad files fail in one line."""

from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

import pytest
import sqlite_utils

from bot.cli import main
from storage.backup import backup_database
from storage.db import MIGRATIONS, SCHEMA_VERSION, connect


def _writer(path: Path, stop: threading.Event, written: list[int]) -> None:
    """Insert feeds one transaction at a time until told to stop, as a poll cycle would."""
    conn = sqlite3.connect(str(path), timeout=30)
    try:
        while not stop.is_set():
            with conn:
                conn.execute(
                    "INSERT INTO feeds (url, added_at, title) VALUES (?, 0, ?)",
                    (f"https://w.test/{len(written)}", "x" * 2000),
                )
            written.append(1)
    finally:
        conn.close()


def test_backup_while_another_connection_writes_is_consistent(tmp_path: Path) -> None:
    path = tmp_path / "live.db"
    db = connect(path)
    db.conn.executemany(
        "INSERT INTO feeds (url, added_at, title) VALUES (?, 0, ?)", [(f"https://s.test/{i}", "y" * 2000) for i in range(3000)]
    )
    db.conn.commit()
    stop, written = threading.Event(), []
    thread = threading.Thread(target=_writer, args=(path, stop, written))
    thread.start()
    deadline = time.monotonic() + 10
    while not written and time.monotonic() < deadline:
        time.sleep(0.001)
    try:
        backup_database(path, tmp_path / "copy.db")
    finally:
        stop.set()
        thread.join()
    assert written, "the writer never wrote"
    copy = sqlite3.connect(str(tmp_path / "copy.db"))
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    count = copy.execute("SELECT count(*) FROM feeds").fetchone()[0]
    assert 3000 <= count <= 3000 + len(written)
    assert copy.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert not (tmp_path / "copy.db.partial").exists()


def test_backup_command_writes_a_usable_copy(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "news.db"
    db = connect(path)
    db.execute("INSERT INTO feeds (url, added_at) VALUES ('https://a.test/rss', 0)")
    db.conn.commit()
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\npath = "{path}"\n')
    assert main(["backup", "--config", str(config), str(tmp_path / "b.db")]) == 0
    assert "backed up" in capsys.readouterr().err
    assert connect(tmp_path / "b.db").execute("SELECT url FROM feeds").fetchall() == [("https://a.test/rss",)]


def test_backup_of_a_missing_database_is_one_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\npath = "{tmp_path / "none.db"}"\n')
    assert main(["backup", "--config", str(config), str(tmp_path / "b.db")]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no database at" in err


def test_a_first_release_database_keeps_every_subscription(tmp_path: Path) -> None:
    path = tmp_path / "v1.db"
    old = sqlite_utils.Database(sqlite3.connect(str(path)))
    MIGRATIONS[0](old)
    old.execute("PRAGMA user_version = 1")
    for chat in (1, 2, 3):
        old.execute("INSERT INTO subscribers (chat_id, created_at) VALUES (?, 0)", [chat])
        for word in ("earthquake", "election", "rust"):
            old.execute(
                "INSERT INTO subscriptions (chat_id, query, raw, created_at) VALUES (?, ?, ?, 0)", [chat, word, word.upper()]
            )
    old.conn.commit()
    before = old.execute("SELECT id, chat_id, query, raw FROM subscriptions ORDER BY id").fetchall()
    old.conn.close()
    db = connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    assert db.execute("SELECT id, chat_id, query, raw FROM subscriptions ORDER BY id").fetchall() == before
    assert len(before) == 9


def test_a_corrupt_database_file_is_one_line_and_non_zero(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "bad.db"
    path.write_bytes(b"this is not a database, just garbage " * 200)
    config = tmp_path / "config.toml"
    config.write_text(f'[storage]\npath = "{path}"\n')
    assert main(["feeds", "list", "--config", str(config)]) != 0
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "not a database" in err and "Traceback" not in err
