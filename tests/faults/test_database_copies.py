"""Two databases polled in one process whose feed rows look alike (a restored copy of the file: same feed id, URL
and ``added_at``) must not share what the poll cycle remembers about a feed: what one has stored says nothing about
what the other holds. (The skip-seen-items cache once made the second database skip the first one's items.)
"""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.config import Config
from feeds.ingest import poll_once
from storage import feeds as feed_store
from storage.db import connect
from tests.support.feed_server import FeedServer

NOW = 1_780_000_000.0


def rss(*titles: str) -> bytes:
    items = "".join(
        f"<item><guid>g{n}</guid><title>{title}</title><link>https://copy.example/{n}</link>"
        f"<description>{title}, in full.</description></item>"
        for n, title in enumerate(titles)
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Copy</title>'
        f"<link>https://copy.example/</link><description>d</description>{items}</channel></rss>"
    ).encode()


def titles(db) -> list[str]:
    return [row[0] for row in db.execute("SELECT title FROM articles ORDER BY id")]


async def test_a_copy_of_the_database_stores_the_items_the_original_already_has(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    with FeedServer() as server, ThreadPoolExecutor(2) as executor:
        url = server.set("/copy.xml", rss("Harbour reopens", "Ferry returns"))
        original_path, copy_path = tmp_path / "original.db", tmp_path / "copy.db"
        setup = connect(original_path)
        feed_store.add_feed(setup, url, name="Copy", now=NOW, trusted=True)
        setup.conn.close()
        shutil.copyfile(original_path, copy_path)  # same feed row: id, url and added_at alike
        original, copy = connect(original_path), connect(copy_path)
        try:
            for db in (original, copy):
                result = await poll_once(db, Config(), only_due=False, now=NOW + 60, executor=executor)
                assert result.feeds_failed == 0, result.errors
                assert titles(db) == ["Harbour reopens", "Ferry returns"]
        finally:
            original.conn.close()
            copy.conn.close()
