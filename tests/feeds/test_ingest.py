"""Poll cycles end to end: real feeds over loopback HTTP into SQLite, through the real process pool."""

from __future__ import annotations

import logging
import resource
import time

import feedparser
import pytest
import sqlite_utils

from feeds.ingest import poll_once
from storage import feeds as feed_store
from tests.feeds.conftest import make_config, real_feed_files, rss
from tests.feeds.test_parse import REPAIRED, feedparser_distinct_entries
from tests.support.feed_server import FeedServer, add_items, entity_bomb

NOW = 1_780_000_000.0


def stored_counts(db: sqlite_utils.Database) -> dict[str, int]:
    return {feed["name"]: feed["articles"] for feed in feed_store.list_feeds(db)}


async def test_real_feeds_store_every_distinct_entry_once(
    feed_server: FeedServer, db: sqlite_utils.Database
) -> None:
    urls = feed_server.serve_directory("/real", real_feed_files()[0].parent, gzip=True)
    for name, url in urls.items():
        feed_store.add_feed(db, url, name=name, now=NOW)
    config = make_config()

    first = await poll_once(db, config, only_due=False, now=NOW)

    assert first.feeds_failed == 0, first.errors
    expected = {
        path.name: REPAIRED.get(path.name) or feedparser_distinct_entries(path) for path in real_feed_files()
    }
    assert stored_counts(db) == expected
    assert len(first.new_article_ids) == sum(expected.values())
    # Every article has a summary and a story; articles without a date got their first_seen.
    assert db.execute("SELECT count(*) FROM articles WHERE summary = '' AND text != ''").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM articles WHERE story_id IS NULL").fetchone()[0] == 0
    assert db.execute("SELECT count(*) FROM articles WHERE published IS NULL").fetchone()[0] == 0

    feed_server.clear_requests()
    second = await poll_once(db, config, only_due=False, now=NOW + 300)

    assert second.new_article_ids == []
    assert second.feeds_not_modified == len(urls)
    requests = feed_server.requests()
    assert len(requests) == len(urls)
    assert all("If-None-Match" in r.headers and "If-Modified-Since" in r.headers for r in requests)
    assert stored_counts(db) == expected


async def test_second_poll_without_validators_stores_nothing(
    feed_server: FeedServer, db: sqlite_utils.Database
) -> None:
    """A server with no ETag/Last-Modified sends the whole feed again; dedup keys keep it from being stored twice."""
    path = real_feed_files()[0].parent / "kagi_npr_world.xml"
    url = feed_server.set("/npr.xml", path.read_bytes(), etag=False, last_modified=False)
    feed_id = feed_store.add_feed(db, url, now=NOW)
    first = await poll_once(db, make_config(), only_due=False, now=NOW)
    second = await poll_once(db, make_config(), only_due=False, now=NOW + 300)
    assert len(first.new_article_ids) == len(feedparser.parse(path.read_bytes()).entries)
    assert second.new_article_ids == [] and second.feeds_not_modified == 0
    assert "If-None-Match" not in feed_server.requests("/npr.xml")[1].headers
    assert feed_store.get_feed(db, feed_id)["articles"] == len(first.new_article_ids)  # type: ignore[index]


async def test_mutable_feed_gains_items(feed_server: FeedServer, db: sqlite_utils.Database) -> None:
    base = (real_feed_files()[0].parent / "kagi_csmonitor.xml").read_bytes()
    url = feed_server.set("/cs.xml", base)
    feed_store.add_feed(db, url, now=NOW)
    first = await poll_once(db, make_config(), only_due=False, now=NOW)
    feed_server.set("/cs.xml", add_items(base, 1))
    second = await poll_once(db, make_config(), only_due=False, now=NOW + 300)
    assert len(second.new_article_ids) == 2
    titles = [db["articles"].get(i)["title"] for i in second.new_article_ids]
    assert all(title.startswith("Generated story 1-") for title in titles)
    assert len(first.new_article_ids) == 10


HOSTILE = {
    "slow": lambda s: s.set("/slow.xml", rss(("a", "A")), delay=30),
    "hang": lambda s: s.set("/hang.xml", rss(("a", "A")), hang_after=50),
    "error500": lambda s: s.error("/error500.xml", 500),
    "loop": lambda s: (s.redirect("/loop.xml", "/loop2"), s.redirect("/loop2", "/loop.xml"))[0],
    "huge": lambda s: (s.huge("/huge.xml", 800_000_000), s.url("/huge.xml"))[1],
    "gzipbomb": lambda s: (s.gzip_bomb("/gzipbomb.xml"), s.url("/gzipbomb.xml"))[1],
    "html": lambda s: s.set(
        "/html.xml", b"<!DOCTYPE html><html><body>shop</body></html>", content_type="text/html"
    ),
}


async def test_hostile_feeds_end_as_errors_quickly_with_bounded_memory(
    feed_server: FeedServer, db: sqlite_utils.Database
) -> None:
    ids = {
        name: feed_store.add_feed(db, make(feed_server), name=name, now=NOW) for name, make in HOSTILE.items()
    }
    bomb_id = feed_store.add_feed(
        db, feed_server.set("/entitybomb.xml", entity_bomb()), name="entitybomb", now=NOW
    )
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    started = time.monotonic()

    result = await poll_once(
        db, make_config(timeout_seconds=2, max_body_bytes=2_000_000), only_due=False, now=NOW
    )

    elapsed = time.monotonic() - started
    grown = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - before
    assert elapsed < 10
    assert grown < 150
    assert set(result.errors) == set(ids.values())
    for name, feed_id in ids.items():
        feed = feed_store.get_feed(db, feed_id)
        assert feed is not None and feed["status"] == "error" and feed["error_count"] == 1, name
        assert feed["articles"] == 0 and feed["last_error"]
        assert feed["next_check_at"] > NOW
    assert "HTML page" in result.errors[ids["html"]]
    assert "larger than" in result.errors[ids["gzipbomb"]]
    # The entity bomb is defused, not expanded: it parses quickly into its one harmless item.
    assert bomb_id not in result.errors
    text = db.execute("SELECT text FROM articles WHERE feed_id = ?", [bomb_id]).fetchone()[0]
    assert "A" * 100 not in text


async def test_failures_back_off_notify_once_and_recover(
    feed_server: FeedServer, db: sqlite_utils.Database
) -> None:
    url = feed_server.error("/flaky.xml", 500)
    feed_id = feed_store.add_feed(db, url, now=NOW)
    config = make_config()
    now = NOW
    started: list[int] = []
    delays = []
    for _ in range(5):
        result = await poll_once(db, config, only_due=False, now=now)
        started.append(len(result.started_failing))
        feed = feed_store.get_feed(db, feed_id)
        assert feed is not None
        delays.append(feed["next_check_at"] - now)
        now = feed["next_check_at"]
    assert started == [0, 0, 1, 0, 0]  # admins hear once, at the third failure in a row
    assert feed["error_count"] == 5 and feed["last_error"] == "HTTP 500 Internal Server Error"
    assert delays[1] > delays[0] * 1.5 and delays[4] > delays[3]

    feed_server.set("/flaky.xml", rss(("a", "Alpha")))
    result = await poll_once(db, config, only_due=False, now=now)
    assert [f["id"] for f in result.recovered] == [feed_id]
    feed = feed_store.get_feed(db, feed_id)
    assert feed is not None and feed["error_count"] == 0 and feed["status"] == "ok" and feed["articles"] == 1
    assert feed["next_check_at"] == now + 300


async def test_retry_after_and_ttl_lengthen_the_next_check(
    feed_server: FeedServer, db: sqlite_utils.Database
) -> None:
    limited = feed_store.add_feed(
        db, feed_server.error("/limited.xml", 429, {"Retry-After": "1800"}), now=NOW
    )
    slow_ttl = feed_store.add_feed(db, feed_server.set("/ttl.xml", rss(("a", "A"), ttl=30)), now=NOW)
    cached = feed_store.add_feed(
        db,
        feed_server.set("/cached.xml", rss(("b", "B")), headers={"Cache-Control": "max-age=86400"}),
        now=NOW,
    )
    await poll_once(db, make_config(), only_due=False, now=NOW)
    assert feed_store.get_feed(db, limited)["next_check_at"] == NOW + 1800  # type: ignore[index]
    assert feed_store.get_feed(db, slow_ttl)["next_check_at"] == NOW + 1800  # type: ignore[index]
    assert feed_store.get_feed(db, cached)["next_check_at"] == NOW + 3600  # type: ignore[index]


async def test_only_due_feeds_are_polled(feed_server: FeedServer, db: sqlite_utils.Database) -> None:
    due = feed_store.add_feed(db, feed_server.set("/due.xml", rss(("a", "A"))), now=NOW - 1000)
    later = feed_store.add_feed(db, feed_server.set("/later.xml", rss(("b", "B"))), now=NOW)
    with db.conn:
        db.execute("UPDATE feeds SET next_check_at = ? WHERE id = ?", [NOW + 100, later])
    progress: list[tuple[int, int]] = []
    result = await poll_once(
        db, make_config(), now=NOW, progress=lambda done, total: progress.append((done, total))
    )
    assert result.feeds_polled == 1
    assert [r.path for r in feed_server.requests()] == ["/due.xml"]
    assert progress == [(1, 1)]
    assert feed_store.get_feed(db, due)["articles"] == 1  # type: ignore[index]


@pytest.mark.parametrize("allow_private", [False])
async def test_untrusted_mode_refuses_loopback(
    feed_server: FeedServer, db: sqlite_utils.Database, allow_private: bool
) -> None:
    feed_id = feed_store.add_feed(db, feed_server.set("/feed.xml", rss(("a", "A"))), now=NOW)
    result = await poll_once(db, make_config(), only_due=False, now=NOW, allow_private=allow_private)
    assert "refused" in result.errors[feed_id]
    assert feed_server.requests() == []


async def test_a_failing_feed_is_logged_when_it_starts_every_tenth_failure_and_when_it_recovers(
    feed_server: FeedServer, db: sqlite_utils.Database, caplog: pytest.LogCaptureFixture
) -> None:
    url = feed_server.error("/dead.xml", 500)
    feed_id = feed_store.add_feed(db, url, now=NOW)
    config = make_config()
    caplog.set_level(logging.INFO, logger="feeds.ingest")
    for n in range(21):
        await poll_once(db, config, only_due=False, now=NOW + n)
    lines = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "feeds.ingest"]
    assert lines == [
        ("WARNING", f"feed {feed_id} ({url}) failing: HTTP 500 Internal Server Error"),
        ("WARNING", f"feed {feed_id} ({url}) still failing: 10 polls in a row, last: HTTP 500 Internal Server Error"),
        ("WARNING", f"feed {feed_id} ({url}) still failing: 20 polls in a row, last: HTTP 500 Internal Server Error"),
    ]
    caplog.clear()
    feed_server.set("/dead.xml", rss(("a", "Alpha")))
    await poll_once(db, config, only_due=False, now=NOW + 30)
    await poll_once(db, config, only_due=False, now=NOW + 31)
    lines = [(r.levelname, r.getMessage()) for r in caplog.records if r.name == "feeds.ingest"]
    assert lines == [("INFO", f"feed {feed_id} ({url}) recovered after 21 failed polls")]
