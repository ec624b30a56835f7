"""Canonical article URLs (tracking parameters off) and feed URL validation."""

from __future__ import annotations

import pytest

from feeds.urls import FeedUrlError, canonical_url, normalize_feed_url


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (
            "https://Example.ORG:443/News/Story?id=5&utm_source=rss&utm_medium=feed#comments",
            "https://example.org/News/Story?id=5",
        ),
        ("http://example.org:8080/a?fbclid=x&gclid=y&page=2", "http://example.org:8080/a?page=2"),
        ("https://example.org", "https://example.org/"),
        ("https://example.org/a?b=1&a=2&mc_cid=z&_hsenc=q&msclkid=m", "https://example.org/a?b=1&a=2"),
        ("  https://example.org/a?ocid=rss&ref=twitter  ", "https://example.org/a"),
        ("urn:uuid:1234", "urn:uuid:1234"),
        ("https://[::1]:8443/x?utm_campaign=c", "https://[::1]:8443/x"),
    ],
)
def test_canonical_url(raw: str, expected: str) -> None:
    assert canonical_url(raw) == expected


def test_canonical_url_empty() -> None:
    assert canonical_url(None) is None
    assert canonical_url("") is None


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("https://Example.org/rss.xml", "https://example.org/rss.xml"),
        ("example.org/feed", "https://example.org/feed"),
        ("http://example.org", "http://example.org/"),
    ],
)
def test_feed_url_normalised(raw: str, expected: str) -> None:
    assert normalize_feed_url(raw) == expected


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty"),
        ("ftp://example.org/feed", "only http and https"),
        ("file:///etc/passwd", "only http and https"),
        ("https://user:secret@example.org/feed", "user name or password"),
        ("https://example.org:99999/feed", "not a valid URL"),
        ("https://exa mple.org/feed", "spaces"),
        ("notaurl", "not a feed address: give the whole URL"),
        ("not a url", "not a feed address"),
    ],
)
def test_feed_url_refused(raw: str, reason: str) -> None:
    with pytest.raises(FeedUrlError, match=reason):
        normalize_feed_url(raw)
