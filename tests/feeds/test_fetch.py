"""The fetcher against a real loopback server: conditional GET, gzip, redirects, and every hostile answer."""

from __future__ import annotations

import resource
import time

import pytest

from feeds.fetch import USER_AGENT, Fetcher
from tests.feeds.conftest import rss
from tests.support.feed_server import FeedServer

FEED = rss(("a", "Alpha"), ("b", "Beta"))


def max_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def test_plain_fetch_sends_user_agent(feed_server: FeedServer) -> None:
    url = feed_server.set("/feed.xml", FEED)
    async with Fetcher(timeout=3) as fetcher:
        result = await fetcher.fetch(url)
    assert result.ok and result.status == 200 and result.body == FEED
    assert result.etag and result.last_modified
    request = feed_server.requests("/feed.xml")[0]
    assert request.headers["User-Agent"] == USER_AGENT and "newsalert" in USER_AGENT
    assert "If-None-Match" not in request.headers


async def test_conditional_get_gives_304_without_body(feed_server: FeedServer) -> None:
    url = feed_server.set("/feed.xml", FEED)
    async with Fetcher(timeout=3) as fetcher:
        first = await fetcher.fetch(url)
        second = await fetcher.fetch(url, etag=first.etag, last_modified=first.last_modified)
        only_date = await fetcher.fetch(url, last_modified=first.last_modified)
    assert second.not_modified and second.body is None and second.ok
    assert only_date.not_modified
    sent = feed_server.requests("/feed.xml")[1].headers
    assert sent["If-None-Match"] == first.etag
    assert sent["If-Modified-Since"] == first.last_modified


async def test_changed_feed_is_fetched_again(feed_server: FeedServer) -> None:
    url = feed_server.set("/feed.xml", FEED)
    async with Fetcher(timeout=3) as fetcher:
        first = await fetcher.fetch(url)
        feed_server.set("/feed.xml", rss(("c", "Gamma"), ("a", "Alpha")))
        second = await fetcher.fetch(url, etag=first.etag)
    assert second.status == 200 and b"Gamma" in (second.body or b"")
    assert second.etag != first.etag


async def test_gzip_is_decoded(feed_server: FeedServer) -> None:
    url = feed_server.set("/feed.xml", FEED, gzip=True)
    async with Fetcher(timeout=3) as fetcher:
        result = await fetcher.fetch(url)
    assert result.body == FEED


async def test_redirects_are_followed_up_to_five(feed_server: FeedServer) -> None:
    feed_server.set("/final.xml", FEED)
    for hop in range(5):
        feed_server.redirect(
            f"/r{hop}", f"/r{hop + 1}" if hop < 4 else "/final.xml", status=301 if hop % 2 else 302
        )
    feed_server.redirect("/r-extra", "/r0")
    async with Fetcher(timeout=3) as fetcher:
        ok = await fetcher.fetch(feed_server.url("/r0"))
        too_many = await fetcher.fetch(feed_server.url("/r-extra"))
    assert ok.ok and ok.body == FEED and ok.url.endswith("/final.xml")
    assert too_many.error is not None and "too many redirects" in too_many.error


async def test_redirect_loop_ends_as_an_error(feed_server: FeedServer) -> None:
    feed_server.redirect("/a", "/b")
    feed_server.redirect("/b", "/a")
    async with Fetcher(timeout=3) as fetcher:
        result = await fetcher.fetch(feed_server.url("/a"))
    assert result.error is not None and "too many redirects" in result.error
    assert len(feed_server.requests()) == 6


@pytest.mark.parametrize(
    ("status", "headers", "retry_after"),
    [
        (500, {}, None),
        (404, {}, None),
        (429, {"Retry-After": "120"}, 120.0),
        (503, {"Retry-After": "7"}, 7.0),
    ],
)
async def test_http_errors(
    feed_server: FeedServer, status: int, headers: dict[str, str], retry_after: float | None
) -> None:
    url = feed_server.error("/feed.xml", status, headers)
    async with Fetcher(timeout=3) as fetcher:
        result = await fetcher.fetch(url)
    assert result.error is not None and result.error.startswith(f"HTTP {status}")
    assert result.body is None
    assert result.retry_after == retry_after


async def test_cache_control_max_age_is_reported(feed_server: FeedServer) -> None:
    url = feed_server.set("/feed.xml", FEED, headers={"Cache-Control": "public, max-age=900"})
    async with Fetcher(timeout=3) as fetcher:
        result = await fetcher.fetch(url)
    assert result.max_age == 900


async def test_slow_answer_times_out(feed_server: FeedServer) -> None:
    url = feed_server.set("/feed.xml", FEED, delay=30)
    async with Fetcher(timeout=1) as fetcher:
        started = time.monotonic()
        result = await fetcher.fetch(url)
    assert time.monotonic() - started < 3
    assert result.error is not None and "timed out" in result.error


async def test_hang_mid_body_times_out(feed_server: FeedServer) -> None:
    url = feed_server.set("/feed.xml", FEED, hang_after=40)
    async with Fetcher(timeout=1) as fetcher:
        started = time.monotonic()
        result = await fetcher.fetch(url)
    assert time.monotonic() - started < 3
    assert result.error is not None and result.body is None


async def test_huge_body_stops_at_the_cap(feed_server: FeedServer) -> None:
    url = feed_server.url("/huge.xml")
    feed_server.huge("/huge.xml", size=500_000_000)
    async with Fetcher(timeout=10, max_body_bytes=1_000_000) as fetcher:
        result = await fetcher.fetch(url)
    assert result.error == "response body larger than 1000000 bytes"
    assert result.body is None


async def test_declared_huge_length_is_refused_before_reading(feed_server: FeedServer) -> None:
    url = feed_server.set("/big.xml", b"x" * 3_000_000)
    async with Fetcher(timeout=5, max_body_bytes=1_000_000) as fetcher:
        result = await fetcher.fetch(url)
    assert result.error is not None and "larger than" in result.error


async def test_gzip_bomb_stops_at_the_cap_with_bounded_memory(feed_server: FeedServer) -> None:
    """1.5 MB of gzip that inflates to 1.5 GB: we stop at max_body_bytes and never hold more than ~a chunk."""
    feed_server.gzip_bomb("/bomb.xml")
    before = max_rss_mb()
    async with Fetcher(timeout=15, max_body_bytes=5_000_000) as fetcher:
        started = time.monotonic()
        result = await fetcher.fetch(feed_server.url("/bomb.xml"))
    assert time.monotonic() - started < 15
    assert result.error == "response body larger than 5000000 bytes"
    assert max_rss_mb() - before < 100


async def test_unreachable_host_is_an_error() -> None:
    async with Fetcher(timeout=2) as fetcher:
        result = await fetcher.fetch("http://127.0.0.1:9/feed.xml")
    assert result.error is not None and "connect" in result.error


async def test_concurrency_limit_holds(feed_server: FeedServer) -> None:
    import asyncio

    url = feed_server.set("/slow.xml", FEED, delay=0.3)
    async with Fetcher(timeout=5, max_concurrency=2) as fetcher:
        started = time.monotonic()
        results = await asyncio.gather(*(fetcher.fetch(url) for _ in range(4)))
    assert all(r.ok for r in results)
    assert time.monotonic() - started >= 0.55  # 4 requests, 2 at a time, 0.3 s each


async def test_a_dropped_connection_is_retried_once(feed_server: FeedServer) -> None:
    url = feed_server.set("/feed.xml", FEED)
    async with Fetcher(timeout=3) as fetcher:
        feed_server.drop("/feed.xml", 1)
        retried = await fetcher.fetch(url)
        feed_server.drop("/feed.xml", 2)
        failed = await fetcher.fetch(url)
    assert retried.ok and retried.body == FEED
    assert failed.error is not None and "broken HTTP response" in failed.error
    assert len(feed_server.requests("/feed.xml")) == 4
