"""Parsing real feeds: item counts equal feedparser's distinct entries; hostile and broken input."""

from __future__ import annotations

import resource
import time
from pathlib import Path

import feedparser
import pytest

from feeds.parse import NotAFeedError, dedup_key, parse_feed, strip_doctype, trim_seen_items
from tests.feeds.conftest import real_feed_files, rss
from tests.support.feed_server import add_items, entity_bomb

# Feeds feedparser alone gets nothing from (junk before a broken XML declaration, undeclared rss: prefixes);
# our repair pass recovers their items. Counts checked by reading the files.
REPAIRED = {"kagi_MALFORMED_bad_xml_decl_blog.xml": 34, "kagi_MALFORMED_rss_namespaced.xml": 2}


def feedparser_distinct_entries(path: Path) -> int:
    """What feedparser itself finds: entries with some content, distinct by guid, else link, else title+body."""
    parsed = feedparser.parse(path.read_bytes())
    keys = set()
    for entry in parsed.entries:
        body = entry.get("summary", "") or "".join(c.get("value", "") for c in entry.get("content", []))
        if not (entry.get("title") or body):
            continue
        keys.add(entry.get("id") or entry.get("link") or f"{entry.get('title')}\n{body}")
    return len(keys)


@pytest.mark.parametrize("path", real_feed_files(), ids=lambda p: p.name)
def test_real_feed_items(path: Path) -> None:
    parsed = parse_feed(path.read_bytes())
    expected = REPAIRED.get(path.name) or feedparser_distinct_entries(path)
    assert expected > 0
    assert len(parsed.items) == expected
    assert len({item.guid_hash for item in parsed.items}) == len(parsed.items)
    for item in parsed.items:
        assert item.title and "<" not in item.title
        assert "\n" not in item.summary
        assert len(item.summary) <= 400


def test_legacy_encoding_is_decoded() -> None:
    parsed = parse_feed(Path(real_feed_files()[0].parent / "miniflux_golem_iso8859-1.xml").read_bytes())
    text = " ".join(item.title + item.text for item in parsed.items)
    assert "ü" in text or "ä" in text or "ö" in text
    assert "\ufffd" not in text


def test_known_items_are_skipped() -> None:
    body = rss(("a", "Alpha"), ("b", "Beta"))
    first = parse_feed(body)
    again = parse_feed(body, known=frozenset({first.items[0].guid_hash}))
    assert [item.title for item in again.items] == ["Beta"]


def test_dedup_key_prefers_guid_then_link_then_content() -> None:
    assert dedup_key("g", "https://x/1", "t", "c") == dedup_key("g", "https://x/2", "u", "d")
    assert dedup_key(None, "https://x/1", "t", "c") == dedup_key("", "https://x/1", "u", "d")
    assert dedup_key(None, None, "t", "c") != dedup_key(None, None, "t", "d")


def test_items_are_cleaned_and_summarised() -> None:
    parsed = parse_feed(rss(("a", "Kosovo talks resume"), ttl=30))
    item = parsed.items[0]
    assert item.url == "https://example.org/a"  # utm_source removed
    assert item.text == "Kosovo talks resume. Officials confirmed the report on Monday."
    assert item.summary == item.text
    assert item.published is None
    assert parsed.ttl_seconds == 1800
    assert parsed.title == "Test feed"


def test_entity_bomb_is_defused_fast_and_small() -> None:
    bomb = entity_bomb()
    assert b"<!ENTITY" not in strip_doctype(bomb)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    started = time.perf_counter()
    parsed = parse_feed(bomb)
    elapsed = time.perf_counter() - started
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert elapsed < 2.0
    assert grown_mb < 100
    assert len(parsed.items) == 1
    assert "A" * 100 not in parsed.items[0].text  # the entity was never expanded


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<!DOCTYPE html><html><head><title>Shop</title></head><body>Hi</body></html>", "HTML page"),
        (b"", "empty"),
        (b'{"items": []}', "not a feed"),
        (bytes(range(1, 256)) * 3, r"^not a feed: no RSS, Atom or RDF document found: the response is not XML \(it breaks on line \d+\)$"),
    ],
)
def test_not_a_feed(body: bytes, reason: str) -> None:
    with pytest.raises(NotAFeedError, match=reason):
        parse_feed(body)


def test_utf16_feed_with_doctype() -> None:
    body = (
        '<?xml version="1.0" encoding="utf-16"?><!DOCTYPE rss [<!ENTITY e "x">]>'
        '<rss version="2.0"><channel><title>T</title><item><guid>1</guid><title>Hello</title></item></channel></rss>'
    ).encode("utf-16")
    parsed = parse_feed(body)
    assert [item.title for item in parsed.items] == ["Hello"]


@pytest.mark.parametrize("path", real_feed_files(), ids=lambda p: p.name)
def test_skipping_seen_items_gives_the_same_result(path: Path) -> None:
    """Items whose bytes were parsed last time are dropped before parsing; what comes out must not change."""
    body = path.read_bytes()
    first = parse_feed(body)
    known = frozenset(item.guid_hash for item in first.items)
    grown = add_items(body, 1)
    whole = parse_feed(grown, known=known)
    trimmed = parse_feed(grown, known=known, seen_chunks=first.chunk_hashes)
    assert trimmed.items == whole.items
    assert len(trimmed.items) == 2
    assert (trimmed.title, trimmed.site_url, trimmed.ttl_seconds) == (
        whole.title,
        whole.site_url,
        whole.ttl_seconds,
    )


def test_trimming_drops_only_seen_items_and_distrusts_odd_markup() -> None:
    body = rss(("a", "Alpha"), ("b", "Beta"))
    first = parse_feed(body)
    grown = rss(("c", "Gamma"), ("a", "Alpha"), ("b", "Beta"))
    trimmed, hashes = trim_seen_items(grown, first.chunk_hashes)
    assert b"Gamma" in trimmed and b"Alpha" not in trimmed and b"Beta" not in trimmed
    assert len(hashes) == 3
    tricky = grown.replace(b"<title>Gamma</title>", b"<title><![CDATA[ends with </item> oops]]></title>")
    untouched, _ = trim_seen_items(tricky, first.chunk_hashes)
    assert untouched == tricky


def test_edited_item_is_parsed_but_not_new() -> None:
    body = rss(("a", "Alpha"))
    first = parse_feed(body)
    edited = body.replace(b"Officials confirmed", b"Officials later confirmed")
    again = parse_feed(
        edited, known=frozenset(i.guid_hash for i in first.items), seen_chunks=first.chunk_hashes
    )
    assert again.items == [] and again.entries_seen == 1
