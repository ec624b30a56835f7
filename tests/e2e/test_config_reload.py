"""A running ``newsalert run`` takes up a feed added to config.toml, without a restart."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from tests.faults.botproc import BotProcess, tail, wait_until, write_config
from tests.support.fake_telegram import FakeTelegram
from tests.support.feed_server import FeedServer


def feed(title: str) -> bytes:
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title><item><guid>1</guid>'
        f"<title>{title}</title><description>{title}, officials said.</description></item></channel></rss>"
    ).encode()


def stored(db_path: Path, title: str) -> bool:
    """Read only (the bot may still be creating the tables): no migration of our own racing the bot's."""
    if not db_path.exists():
        return False
    db = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True)
    try:
        return db.execute("SELECT count(*) FROM articles WHERE title = ?", [title]).fetchone()[0] > 0
    except sqlite3.OperationalError:  # no table yet, or locked for a moment
        return False
    finally:
        db.close()


def test_a_feed_added_to_the_config_is_polled_by_the_running_bot(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    db_path = tmp_path / "bot.db"
    with FakeTelegram() as fake, FeedServer() as server:
        first = server.set("/first.xml", feed("Harbour closed"))
        second = server.set("/second.xml", feed("Bridge reopened"))
        config = tmp_path / "config.toml"
        write_config(config, base_url=fake.base_url, db_path=db_path, feeds=[(first, "First")])
        bot = BotProcess(config, fake.token, tmp_path / "bot.log")
        bot.start()
        try:
            wait_until(lambda: stored(db_path, "Harbour closed"), 60, "the first feed's article", bot=bot)
            assert f"1 feeds in config, database {db_path}" in tail(bot), "the log names the database"
            write_config(
                config, base_url=fake.base_url, db_path=db_path, feeds=[(first, "First"), (second, "Second")]
            )
            wait_until(lambda: stored(db_path, "Bridge reopened"), 30, "the added feed's article", bot=bot)
            assert "1 new (only [[feeds]] are re-read" in tail(bot)
            config.write_text("[polling\n")  # broken: said once, nothing changes, the bot goes on
            wait_until(lambda: "changed but cannot be used" in tail(bot), 30, "the refusal", bot=bot)
            assert bot.terminate() == 0
        finally:
            bot.cleanup()
        assert "Traceback" not in tail(bot, 100_000)
