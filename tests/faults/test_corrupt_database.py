"""A damaged database file at start: ``newsalert run``, ``chat`` and ``feeds list`` each say so in one line on
stderr and exit non-zero, before touching Telegram or the feeds (no traceback, nothing half started)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import StorageConfig
from storage import articles
from storage import feeds as feed_store
from storage.db import connect

REPO_ROOT = Path(__file__).resolve().parents[2]


def _truncated_real_database(path: Path) -> None:
    """A database the bot made (feeds, articles, FTS), cut in half as a full disk or a bad copy would leave it."""
    db = connect(path)
    feed = feed_store.add_feed(db, "https://cut.test/rss", now=1.0)
    items = [
        {
            "guid_hash": f"g{n}",
            "url": f"https://cut.test/{n}",
            "title": f"Story {n}",
            "text": "word " * 300,
            "summary": "",
            "published": 1.0,
        }
        for n in range(400)
    ]
    articles.insert_articles(db, feed, items, now=2.0)
    db.conn.close()  # checkpoints the WAL into the file
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])


def _random_bytes(path: Path) -> None:
    path.write_bytes(os.urandom(64 * 1024))


@pytest.mark.parametrize(
    "damage", [_truncated_real_database, _random_bytes], ids=["truncated", "random-bytes"]
)
@pytest.mark.parametrize("command", [["run"], ["chat"], ["feeds", "list"]], ids=["run", "chat", "feeds-list"])
def test_a_damaged_database_is_one_line_and_a_non_zero_exit(
    tmp_path: Path, damage, command: list[str]
) -> None:
    db_path = tmp_path / "bot.db"
    config = tmp_path / "config.toml"
    # Nothing listens on port 9: if the command got past the database check it would fail differently (or hang).
    config.write_text(f'[storage]\npath = "{db_path}"\n[telegram]\nbase_url = "http://127.0.0.1:9/bot"\n')
    damage(Path(StorageConfig(path=str(db_path)).chat_database()) if command == ["chat"] else db_path)
    before = sorted(p.name for p in tmp_path.iterdir())
    env = dict(
        os.environ, NO_PROXY="127.0.0.1,localhost", PYTHONPATH=str(REPO_ROOT), TELEGRAM_BOT_TOKEN="1:x"
    )
    done = subprocess.run(
        [sys.executable, "-m", "bot", *command, "--config", str(config)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode != 0
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("newsalert: the database ") and "is damaged" in lines[0], lines[0]
    assert "restore a backup" in lines[0]
    assert "Traceback" not in done.stderr
    if command != ["chat"]:
        assert done.stdout == ""
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(("-wal", "-shm"))) == before
