"""A feed from the config file is first polled within the configured polling interval.

Found while building bench/soak.py: with ``[polling] interval_seconds = 10`` and feeds that set no interval of their
own, the first poll of each feed came up to five minutes after start, because its first check is spread over the
built-in default interval (300 s) rather than the configured one.
"""

from __future__ import annotations

from bot.config import FeedConfig

# A fixed URL, so the spread is the same on every run (this one lands at 75 % of the spread window).
URL = "http://127.0.0.1:9/feed.xml"


async def test_first_check_of_a_config_feed_is_within_the_configured_interval(start_bot):
    bot = await start_bot(
        polling={"interval_seconds": 10}, feeds=(FeedConfig(url=URL, name="No own interval"),)
    )
    feed = bot.row("SELECT next_check_at, added_at FROM feeds WHERE name = 'No own interval'")
    assert feed is not None
    assert feed["next_check_at"] - feed["added_at"] <= 10
