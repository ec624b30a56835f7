"""``newsalert poll``, ``newsalert feeds ...`` and ``newsalert summarize``: ingest from the command line.

Data goes to stdout (one line per item, or one JSON object per line with ``--json``) and everything else, progress
included, to stderr, so piped output stays clean. Progress is only drawn when stderr is a terminal.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import sqlite3
import sys
import time
import xml.etree.ElementTree as ET
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TextIO

import sqlite_utils

from bot.cli.common import CliError, add_config_option
from bot.config import Config, load_config
from feeds.fetch import Fetcher
from feeds.parse import ParsedFeed, process_feed
from feeds.urls import FeedUrlError, normalize_feed_url
from storage import articles as article_store
from storage import feeds as feed_store
from storage.db import connect

_OPML_DOCTYPE = re.compile(r"<!DOCTYPE(?:[^\[>]*\[.*?\]\s*>|[^>]*>)", re.IGNORECASE | re.DOTALL)


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    poll = sub.add_parser(
        "poll", help="fetch every feed once, store and match new articles, print what was new"
    )
    add_config_option(poll)
    poll.add_argument(
        "--once", action="store_true", required=True, help="one cycle over every feed, then exit"
    )
    poll.add_argument("--json", action="store_true", help="one JSON object a line")
    poll.set_defaults(func=cmd_poll)

    feeds = sub.add_parser("feeds", help="list, add, remove, import and export feeds")
    feeds_sub = feeds.add_subparsers(dest="feeds_command", required=True, metavar="ACTION")
    listing = feeds_sub.add_parser("list", help="every feed with its health")
    add_config_option(listing)
    listing.add_argument("--json", action="store_true", help="one JSON object a line")
    listing.set_defaults(func=cmd_feeds_list)
    add = feeds_sub.add_parser("add", help="fetch URL once and add it if it is a feed")
    add_config_option(add)
    add.add_argument("url", metavar="URL")
    add.add_argument("--name", help="display name (default: the feed's own title)")
    add.add_argument("--interval", type=int, metavar="SECONDS", help="check this feed every SECONDS")
    add.set_defaults(func=cmd_feeds_add)
    remove = feeds_sub.add_parser("remove", help="remove a feed and its articles")
    add_config_option(remove)
    remove.add_argument("feed_id", metavar="ID")
    remove.set_defaults(func=cmd_feeds_remove)
    opml_in = feeds_sub.add_parser("import", help="add every feed of an OPML file")
    add_config_option(opml_in)
    opml_in.add_argument("opml", metavar="OPML")
    opml_in.set_defaults(func=cmd_feeds_import)
    opml_out = feeds_sub.add_parser("export", help="print every feed as OPML")
    add_config_option(opml_out)
    opml_out.set_defaults(func=cmd_feeds_export)

    summarize = sub.add_parser("summarize", help="print the summary the bot would send for a text")
    source = summarize.add_mutually_exclusive_group(required=True)
    source.add_argument("--file", metavar="F", help="a text or HTML file ('-' for stdin)")
    source.add_argument("--text", metavar="T", help="the text itself")
    summarize.add_argument("--max-chars", type=int, default=400, help="summary length limit (default 400)")
    summarize.set_defaults(func=cmd_summarize)


# -- helpers ---------------------------------------------------------------------------------------------------


class Progress:
    """``done/total`` on one self-overwriting stderr line, only on a terminal and at most ten times a second."""

    def __init__(self, label: str, stream: TextIO | None = None) -> None:
        self.label = label
        self.stream = stream or sys.stderr
        self.enabled = self.stream.isatty()
        self._last = 0.0
        self._drawn = False

    def __call__(self, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if done < total and now - self._last < 0.1:
            return
        self._last = now
        self.stream.write(f"\r{self.label} {done}/{total}")
        self.stream.flush()
        self._drawn = True

    def close(self) -> None:
        if self._drawn:
            self.stream.write("\r\033[K")
            self.stream.flush()


def _open(args: argparse.Namespace) -> tuple[Config, sqlite_utils.Database]:
    config = load_config(args.config)
    try:
        return config, connect(config.storage.path)
    except (sqlite3.Error, OSError, RuntimeError) as exc:
        raise CliError(f"cannot open database {config.storage.path}: {exc}") from None


def _iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _feed_label(feed: dict[str, Any]) -> str:
    return feed.get("name") or feed.get("title") or feed["url"]


def _note(message: str) -> None:
    print(message, file=sys.stderr)


# -- poll ------------------------------------------------------------------------------------------------------


def cmd_poll(args: argparse.Namespace) -> int:
    from alerts.fanout import fan_out, load_matcher
    from feeds.ingest import poll_once, shutdown_parse_pool

    config, db = _open(args)
    feed_store.sync_config_feeds(db, config.feeds, default_interval=config.polling.interval_seconds)
    if not feed_store.all_feeds(db):
        _note("no feeds to poll: add one with `newsalert feeds add URL` or under [[feeds]] in config.toml")
        return 0
    progress = Progress("polling feeds")
    try:
        result = asyncio.run(poll_once(db, config, only_due=False, progress=progress))
    finally:
        progress.close()
        shutdown_parse_pool()
    matched = fan_out(
        db,
        load_matcher(db),
        result.new_article_ids,
        max_age_hours=config.alerts.max_age_hours,
        max_per_hour=config.alerts.max_per_hour,
    )
    out = sys.stdout
    for article_id in result.new_article_ids:
        article = article_store.get_article(db, article_id)
        if article is None:
            continue
        chats = matched.get(article_id, [])
        if args.json:
            record = {
                "feed": article["feed_name"],
                "title": article["title"],
                "url": article["url"],
                "published": _iso(article["published"]),
                "summary": article["summary"],
                "story": article["story_id"],
                "matched_chats": chats,
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            out.write(f"[{article['feed_name']}] {article['title']}\n")
            if article["url"]:
                out.write(f"  {article['url']}\n")
            if article["summary"]:
                out.write(f"  {article['summary']}\n")
            if chats:
                out.write(f"  alerted chats: {', '.join(map(str, chats))}\n")
    for feed_id, error in sorted(result.errors.items()):
        feed = feed_store.get_feed(db, feed_id)
        _note(f"feed {feed_id} ({feed['url'] if feed else '?'}) failed: {error}")
    _note(
        f"polled {result.feeds_polled} feeds: {len(result.new_article_ids)} new articles, "
        f"{result.feeds_not_modified} unchanged, {result.feeds_failed} failed"
    )
    return 0


# -- feeds -----------------------------------------------------------------------------------------------------


def cmd_feeds_list(args: argparse.Namespace) -> int:
    _config, db = _open(args)
    feeds = feed_store.list_feeds(db)
    out = sys.stdout
    if args.json:
        for feed in feeds:
            record = {
                "id": feed["id"],
                "url": feed["url"],
                "name": _feed_label(feed),
                "status": feed["status"],
                "error_count": feed["error_count"],
                "last_error": feed["last_error"],
                "articles": feed["articles"],
                "last_polled": _iso(feed["last_polled"]),
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        return 0
    if not feeds:
        _note("no feeds yet: add one with `newsalert feeds add URL`")
        return 0
    out.write(f"{'ID':>4}  {'STATUS':6}  {'ARTICLES':>8}  {'LAST POLLED':16}  NAME / URL\n")
    for feed in feeds:
        polled = _iso(feed["last_polled"])
        polled_text = polled[:16].replace("T", " ") if polled else "never"
        out.write(
            f"{feed['id']:>4}  {feed['status']:6}  {feed['articles']:>8}  {polled_text:16}  {_feed_label(feed)}\n"
        )
        if feed["name"] or feed["title"]:
            out.write(f"{'':>44}{feed['url']}\n")
        if feed["error_count"]:
            out.write(f"{'':>44}{feed['error_count']} failure(s) in a row: {feed['last_error']}\n")
    return 0


async def _probe(url: str, config: Config) -> ParsedFeed:
    """Fetch ``url`` once and parse it, raising :class:`CliError` with the reason when it is not a usable feed."""
    polling = config.polling
    async with Fetcher(timeout=polling.timeout_seconds, max_body_bytes=polling.max_body_bytes) as fetcher:
        fetched = await fetcher.fetch(url)
    if fetched.error is not None:
        raise CliError(f"cannot add {url}: {fetched.error}")
    parsed = process_feed(fetched.body or b"", fetched.content_type)
    if isinstance(parsed, str):
        raise CliError(f"cannot add {url}: {parsed}")
    return parsed


def cmd_feeds_add(args: argparse.Namespace) -> int:
    try:
        url = normalize_feed_url(args.url)
    except FeedUrlError as exc:
        raise CliError(f"cannot add {args.url}: {exc}") from None
    if args.interval is not None and args.interval <= 0:
        raise CliError("--interval must be a positive number of seconds")
    config, db = _open(args)
    existing = feed_store.find_feed_by_url(db, url)
    if existing is not None:
        raise CliError(f"already added as feed {existing['id']}: {url}")
    parsed = asyncio.run(_probe(url, config))
    feed_id = feed_store.add_feed(
        db,
        url,
        name=args.name,
        interval=args.interval,
        default_interval=config.polling.interval_seconds,
        trusted=True,
    )
    with db.conn:
        db.execute(
            "UPDATE feeds SET title = ?, site_url = ? WHERE id = ?", [parsed.title, parsed.site_url, feed_id]
        )
    label = args.name or parsed.title or url
    print(f"added feed {feed_id}: {label} ({len(parsed.items)} items now) {url}")
    return 0


def cmd_feeds_remove(args: argparse.Namespace) -> int:
    try:
        feed_id = int(args.feed_id)
    except ValueError:
        raise CliError(f"not a feed id: {args.feed_id!r} (see `newsalert feeds list`)") from None
    _config, db = _open(args)
    feed = feed_store.get_feed(db, feed_id)
    if feed is None or not feed_store.remove_feed(db, feed_id):
        raise CliError(f"no feed with id {feed_id} (see `newsalert feeds list`)")
    print(f"removed feed {feed_id}: {_feed_label(feed)} ({feed['articles']} articles)")
    return 0


def parse_opml(data: bytes) -> list[tuple[str, str | None]]:
    """(xmlUrl, title) of every feed outline in an OPML document, at any depth, in document order.

    OPML files come from anywhere, so no DTD is honoured: the DOCTYPE is removed before parsing and an ENTITY
    declaration anywhere is refused, which leaves expat nothing to expand (no billion laughs, no external files).
    """
    text = data.decode("utf-8-sig", errors="replace")
    text = _OPML_DOCTYPE.sub("", text)
    if re.search(r"<!ENTITY", text, re.IGNORECASE):
        raise ValueError("the file declares XML entities, which OPML never needs")
    text = re.sub(r"^\s*<\?xml[^>]*\?>", "", text)
    root = ET.fromstring(text)
    found: list[tuple[str, str | None]] = []
    for outline in root.iter("outline"):
        attributes = {key.lower(): value for key, value in outline.attrib.items()}
        url = (attributes.get("xmlurl") or "").strip()
        if url:
            found.append((url, (attributes.get("title") or attributes.get("text") or "").strip() or None))
    return found


def cmd_feeds_import(args: argparse.Namespace) -> int:
    path = Path(args.opml)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror or exc}") from None
    try:
        outlines = parse_opml(data)
    except ET.ParseError as exc:
        raise CliError(f"{path} is not valid OPML: {exc}") from None
    except ValueError as exc:
        raise CliError(f"{path} is not accepted: {exc}") from None
    config, db = _open(args)
    added = present = invalid = 0
    progress = Progress("importing feeds")
    try:
        for done, (url, title) in enumerate(outlines, start=1):
            try:
                if feed_store.find_feed_by_url(db, url) is not None:
                    present += 1
                else:
                    feed_store.add_feed(
                        db, url, name=title, default_interval=config.polling.interval_seconds, trusted=True
                    )
                    added += 1
            except FeedUrlError as exc:
                invalid += 1
                _note(f"skipped {url}: {exc}")
            progress(done, len(outlines))
    finally:
        progress.close()
    print(f"imported {added} feeds from {path} ({present} already present, {invalid} invalid)")
    return 0


def cmd_feeds_export(args: argparse.Namespace) -> int:
    _config, db = _open(args)
    opml = ET.Element("opml", version="2.0")
    head = ET.SubElement(opml, "head")
    ET.SubElement(head, "title").text = "newsalert feeds"
    ET.SubElement(head, "dateCreated").text = datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S GMT")
    body = ET.SubElement(opml, "body")
    for feed in feed_store.list_feeds(db):
        label = _feed_label(feed)
        attributes = {"type": "rss", "text": label, "title": label, "xmlUrl": feed["url"]}
        if feed["site_url"]:
            attributes["htmlUrl"] = feed["site_url"]
        ET.SubElement(body, "outline", attributes)
    ET.indent(opml)
    sys.stdout.write(
        '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(opml, encoding="unicode") + "\n"
    )
    return 0


# -- summarize -------------------------------------------------------------------------------------------------


def cmd_summarize(args: argparse.Namespace) -> int:
    from feeds.clean import clean_html
    from feeds.summary import summarize

    if args.max_chars < 40:
        raise CliError("--max-chars must be at least 40")
    if args.file is not None:
        try:
            raw = (
                sys.stdin.read() if args.file == "-" else Path(args.file).read_text("utf-8", errors="replace")
            )
        except OSError as exc:
            raise CliError(f"cannot read {args.file}: {exc.strerror or exc}") from None
    else:
        raw = args.text
    text = clean_html(raw)
    if not text:
        raise CliError("nothing to summarize: the text is empty")
    print(summarize(text, args.max_chars))
    return 0
