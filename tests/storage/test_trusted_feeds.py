"""Which feeds the operator vouched for (and so may point at private addresses)."""

from __future__ import annotations

from bot.config import FeedConfig
from storage import feeds
from storage.db import connect


def test_config_and_cli_feeds_are_trusted_telegram_ones_are_not(tmp_path):
    db = connect(tmp_path / "t.db")
    from_telegram = feeds.add_feed(db, "http://10.0.0.5/rss.xml")
    from_cli = feeds.add_feed(db, "http://127.0.0.1:8080/rss.xml", trusted=True)
    [from_config] = feeds.sync_config_feeds(db, [FeedConfig(url="http://192.168.1.2/feed")])
    trusted = {row["id"]: row["trusted"] for row in feeds.all_feeds(db)}
    assert trusted == {from_telegram: 0, from_cli: 1, from_config: 1}
    # The operator adding a Telegram-added feed to the config vouches for it from then on.
    feeds.sync_config_feeds(db, [FeedConfig(url="http://10.0.0.5/rss.xml")])
    assert feeds.get_feed(db, from_telegram)["trusted"] == 1
