"""Queries that try regex, SQL or FTS5 syntax are plain text to /subscribe, /latest and ``newsalert match``.

A ``.*`` must not become a subscription to everything, ``'; DROP TABLE`` must not reach SQL, and FTS5 operators
(``NEAR(``, ``*``, ``^``, a stray quote) must neither widen a search nor raise an FTS5 syntax error.
"""

from __future__ import annotations

import pytest

from bot.cli import main
from bot.config import FeedConfig
from matching import Document
from tests.support.feed_server import FeedServer

USER = 6101
TRICKS = [
    ".*",
    "^.+$",
    "'; DROP TABLE subscriptions; --",
    '" OR 1=1 --',
    "' OR '1'='1",
    "NEAR(harbour ferry)",
    "harbour NEAR/2 ferry",
    "*",
    "^",
    "wh*",
    "kan?as",
    "%",
    "_",
    "title:wheat",
    "{harbour ferry}",
    '"',
    "ferry)",
    "(",
    "\\",
    "[a-z]+",
    "%s%s%n",
]
UNRELATED = (
    "Wheat prices rise in Kansas. Farmers in Kansas expect a smaller wheat harvest after a dry spring."
)
RSS = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>Farm wire</title><link>http://farm.example/</link>'
    b"<item><guid>w1</guid><title>Wheat prices rise in Kansas</title><link>http://farm.example/w1</link>"
    b"<description>Farmers in Kansas expect a smaller wheat harvest after a dry spring.</description></item>"
    b"</channel></rss>"
)


@pytest.mark.parametrize("trick", TRICKS)
def test_newsalert_match_treats_syntax_as_text(trick, capsys):
    """Exit 1 (no match) or 2 (refused, one line), never 0 for a text that has none of the trick's words."""
    code = main(["match", trick, "--text", UNRELATED])
    captured = capsys.readouterr()
    assert code in (1, 2), captured.out
    if code == 2:
        assert captured.err.count("\n") == 1 and "Traceback" not in captured.err


def test_sql_words_in_a_query_match_as_words(capsys):
    assert (
        main(["match", "'; DROP TABLE subscriptions; --", "--text", "Fans drop the table of subscriptions"])
        == 0
    )


async def test_subscribe_and_latest_treat_syntax_as_text(start_bot, fake, caplog):
    with FeedServer() as server:
        url = server.set("/farm.xml", RSS)
        bot = await start_bot(
            commands_per_minute=10_000,
            max_subscriptions=100,
            feeds=(FeedConfig(url=url, interval_seconds=1),),
        )
        await bot.until(lambda: bot.row("SELECT id FROM articles WHERE title LIKE 'Wheat%'"), timeout=20)
        [control] = await bot.send(USER, "/latest wheat kansas")
        assert "Wheat prices rise in Kansas" in control.text

        for trick in TRICKS:
            [reply] = await bot.send(USER, f"/subscribe {trick}")
            assert "something went wrong" not in reply.text
            [found] = await bot.send(USER, f"/latest {trick}")
            # /latest speaks the query language: a trick is either refused as a query, as /subscribe
            # refuses it, or searched as plain words; it never widens the search to the wheat article.
            assert found.text.startswith(("Nothing stored mentions", "⚠️ I can't use")), (trick, found.text)
            assert "Wheat prices" not in found.text, (trick, found.text)

        subscribed = {r["raw"]: r["query"] for r in bot.db.query("SELECT raw, query FROM subscriptions")}
        assert set(subscribed) <= set(TRICKS)
        matches = bot.services.matcher.match(Document(title="Wheat prices rise in Kansas", text=UNRELATED))
        assert matches == {}, f"a trick matched an unrelated article: {matches}"
        tables = {r[0] for r in bot.db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        assert {"subscriptions", "subscribers", "articles", "deliveries", "feeds"} <= tables
        assert bot.db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert [r.getMessage() for r in caplog.records if r.levelname == "ERROR"] == []
