"""Parse fetched feed bytes into clean, summarised items, ready to store.

:func:`process_feed` is the unit of work sent to the ingest process pool: it takes bytes and returns plain
picklable data, so parsing, cleaning and summarising all happen off the event loop and on both cores.

Measured on the 37 real feeds in shared/feeds/real (3 passes): feedparser with its defaults took 417 ms a pass,
with ``sanitize_html=False, resolve_relative_uris=False`` 245 ms. We turn both off: we never keep HTML (everything
becomes plain text in :mod:`feeds.clean`, and Telegram gets escaped text), so sanitising is pure cost.
"""

from __future__ import annotations

import calendar
import hashlib
import re
from dataclasses import dataclass, field
from typing import Any

import feedparser

from feeds.clean import clean_html, clean_title
from feeds.images import item_image
from feeds.summary import summarize
from feeds.urls import canonical_url

# feedparser 6.0.14 expands internal entities without limit in its loose parser (one 50 KB entity referenced
# 20,000 times: 38 s and 3 GB). No feed needs a DTD, so the DOCTYPE (with its internal subset) and any stray
# ENTITY declarations go before parsing.
_DOCTYPE = re.compile(rb"<!DOCTYPE(?:[^\[>]*\[.*?\]\s*>|[^>]*>)", re.IGNORECASE | re.DOTALL)
_ENTITY_DECL = re.compile(rb"<!ENTITY[^>]*>", re.IGNORECASE)
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
# Stored text is for matching, /more and search; beyond this a "description" is a page dump, not an item.
MAX_TEXT_CHARS = 20_000
_ROOT = re.compile(rb"<(?:rss|feed|rdf:RDF|RDF)[\s>]", re.IGNORECASE)
_RSS_PREFIX = re.compile(rb"<(/?)rss:")


# One item/entry element, namespaced or not, as raw bytes ("<item>...</item>", "<rss:item>", "<entry ...>").
_ITEM_CHUNK = re.compile(rb"<((?:[A-Za-z_][\w.-]*:)?(?:item|entry))[\s>].*?</\1\s*>", re.DOTALL)


class NotAFeedError(ValueError):
    """The bytes are not an RSS/Atom/RDF feed; the message says what they look like instead."""


@dataclass(frozen=True)
class ParsedItem:
    guid_hash: str
    url: str | None
    title: str
    text: str
    summary: str
    published: float | None
    image_url: str | None = None  # for a photo alert (feeds.images)


@dataclass
class ParsedFeed:
    title: str = ""
    site_url: str | None = None
    ttl_seconds: int | None = None
    version: str = ""
    bozo: str | None = None
    entries_seen: int = 0
    items: list[ParsedItem] = field(default_factory=list)
    chunk_hashes: frozenset[int] = frozenset()



_XML_POSITION = re.compile(r"^<unknown>:(\d+):\d+: ")


def _describe_bozo(bozo: str | None) -> str:
    """Why a body is no feed, as a sentence: expat's ``<unknown>:2:0: not well-formed (invalid token)`` means
    nothing to a person adding a feed."""
    if not bozo:
        return "no RSS, Atom or RDF document found"
    position = _XML_POSITION.match(bozo)
    if position:
        return f"no RSS, Atom or RDF document found: the response is not XML (it breaks on line {position[1]})"
    return bozo

def strip_doctype(body: bytes) -> bytes:
    """``body`` without DOCTYPE or ENTITY declarations (UTF-16 is re-encoded as UTF-8 first so they are found)."""
    if body.startswith(_UTF16_BOMS):
        try:
            body = body.decode("utf-16").encode("utf-8")
            body = re.sub(
                rb"(<\?xml[^>]*encoding=[\"'])utf-16([\"'])", rb"\1utf-8\2", body, count=1, flags=re.I
            )
        except UnicodeDecodeError:
            return body
    if b"<!" not in body:
        return body
    head_end = body.find(b"<rss")
    head = body if head_end < 0 else body[:head_end]
    if b"<!DOCTYPE" not in head.upper() and b"<!ENTITY" not in body.upper():
        return body
    return _ENTITY_DECL.sub(b"", _DOCTYPE.sub(b"", body))


def repair(body: bytes) -> bytes | None:
    """A second chance for a feed feedparser found nothing in, or None when there is nothing to repair.

    Seen in real feeds: junk or a broken ``<?xml?xml ... ??>`` declaration before the root element, and RSS
    elements written with an undeclared ``rss:`` prefix. Both make feedparser give up on the whole document.
    """
    root = _ROOT.search(body)
    if root is None:
        return None
    fixed = _RSS_PREFIX.sub(rb"<\1", body[root.start() :])
    return fixed if fixed != body else None


def _malformed(parsed: Any) -> bool:
    """Bozo for a reason in the document itself, not a charset header that disagrees with the XML declaration."""
    if not parsed.get("bozo"):
        return False
    return not isinstance(
        parsed.get("bozo_exception"), feedparser.CharacterEncodingOverride | feedparser.NonXMLContentType
    )


def _feedparse(body: bytes, content_type: str | None) -> Any:
    headers = {"content-type": content_type} if content_type else None
    return feedparser.parse(body, response_headers=headers, sanitize_html=False, resolve_relative_uris=False)


def _chunk_hash(chunk: bytes) -> int:
    return int.from_bytes(hashlib.blake2b(chunk, digest_size=8).digest(), "big")


def trim_seen_items(body: bytes, seen: frozenset[int]) -> tuple[bytes, frozenset[int]]:
    """``body`` without the item elements whose exact bytes were in the last successful parse, and every item hash.

    Feedparser is ~90 % of ingest CPU, and a changed feed is mostly items we already have, byte for byte. Dropping
    those before parsing leaves a small document with the channel and the new or edited items, which parse to the
    same results (edited items still meet the guid check). When the split is not trustworthy (an item tag inside
    CDATA, nested items) the body is left whole.
    """
    chunks = list(_ITEM_CHUNK.finditer(body))
    hashes = frozenset(_chunk_hash(m.group(0)) for m in chunks)
    if not seen or not chunks:
        return body, hashes
    for match in chunks:
        chunk = match.group(0)
        if chunk.count(b"<![CDATA[") != chunk.count(b"]]>") or chunk.count(b"<" + match.group(1)) != 1:
            return body, frozenset()
    pieces: list[bytes] = []
    position = 0
    for match in chunks:
        if _chunk_hash(match.group(0)) in seen:
            pieces.append(body[position : match.start()])
            position = match.end()
    if not pieces:
        return body, hashes
    pieces.append(body[position:])
    return b"".join(pieces), hashes


def dedup_key(guid: str | None, link: str | None, title: str, content: str) -> str:
    """SHA-256 of the guid, else the link, else title + content: the per-feed identity of an item."""
    basis = (guid or "").strip() or (link or "").strip() or f"{title}\n{content}"
    return hashlib.sha256(basis.encode("utf-8", "surrogatepass")).hexdigest()


def _entry_markup(entry: Any) -> str:
    """The richest body the entry has: the longest ``content`` value, else its summary/description."""
    contents = [c.get("value", "") for c in entry.get("content", []) or [] if c.get("value")]
    best = max(contents, key=len) if contents else ""
    description = entry.get("summary", "") or ""
    return best if len(best) > len(description) else description


def _timestamp(entry: Any) -> float | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            try:
                return float(calendar.timegm(value))
            except (TypeError, ValueError, OverflowError):
                continue
    return None


def _ttl_seconds(feed: Any) -> int | None:
    raw = feed.get("ttl")
    try:
        minutes = int(str(raw).strip())
    except (TypeError, ValueError):
        return None
    return minutes * 60 if minutes > 0 else None


def parse_feed(
    body: bytes,
    *,
    content_type: str | None = None,
    known: frozenset[str] = frozenset(),
    seen_chunks: frozenset[int] = frozenset(),
) -> ParsedFeed:
    """Items of the feed in ``body`` (in feed order), skipping dedup keys in ``known``.

    Items already stored are skipped *before* cleaning and summarising; items whose raw bytes are in
    ``seen_chunks`` (the ``chunk_hashes`` of this feed's last parse) are not even parsed. Malformed (bozo) feeds
    still give the items feedparser recovered. Raises :class:`NotAFeedError` when nothing in ``body`` is a feed.
    """
    body = strip_doctype(body)
    trimmed, chunk_hashes = trim_seen_items(body, seen_chunks)
    parsed = _feedparse(trimmed, content_type) if trimmed is not body else None
    if parsed is None or _malformed(parsed):
        # Trimming must never change the outcome: a document that does not parse cleanly is parsed whole.
        parsed = _feedparse(body, content_type)
    if not parsed.entries and parsed.get("bozo"):
        fixed = repair(body)
        if fixed is not None:
            second = _feedparse(fixed, content_type)
            if second.entries:
                parsed = second
    bozo = str(parsed.get("bozo_exception") or "") or None if parsed.get("bozo") else None
    if not parsed.entries and not parsed.get("version"):
        head = body[:512].lstrip().lower()
        if head.startswith((b"<!doctype html", b"<html")) or b"<html" in head:
            raise NotAFeedError("not a feed: the URL returned an HTML page (look for its RSS or Atom link)")
        if not body.strip():
            raise NotAFeedError("not a feed: the response was empty")
        raise NotAFeedError(f"not a feed: {_describe_bozo(bozo)}")
    feed = parsed.feed
    result = ParsedFeed(
        title=clean_title(feed.get("title")),
        site_url=feed.get("link") or None,
        ttl_seconds=_ttl_seconds(feed),
        version=parsed.get("version") or "",
        bozo=bozo,
        entries_seen=len(parsed.entries),
        chunk_hashes=chunk_hashes,
    )
    seen: set[str] = set()
    for entry in parsed.entries:
        markup = _entry_markup(entry)
        raw_title = entry.get("title", "") or ""
        link = entry.get("link") or None
        key = dedup_key(entry.get("id"), link, raw_title, markup)
        if key in known or key in seen:
            continue
        seen.add(key)
        title = clean_title(raw_title)
        text = clean_html(markup)
        if len(text) > MAX_TEXT_CHARS:
            text = text[:MAX_TEXT_CHARS].rsplit(" ", 1)[0] + "\u2026"
        if not title and not text:
            continue
        if not title:
            title = summarize(text, 120)
        result.items.append(
            ParsedItem(
                guid_hash=key,
                url=canonical_url(link),
                title=title,
                text=text,
                summary=summarize(text, title=title),
                published=_timestamp(entry),
                image_url=item_image(entry, markup, link),
            )
        )
    return result


def process_feed(
    body: bytes,
    content_type: str | None = None,
    known: frozenset[str] = frozenset(),
    seen_chunks: frozenset[int] = frozenset(),
) -> ParsedFeed | str:
    """Process-pool entry point: the parsed feed, or the reason it is not a feed (a string pickles cheaply)."""
    try:
        return parse_feed(body, content_type=content_type, known=known, seen_chunks=seen_chunks)
    except NotAFeedError as exc:
        return str(exc)
