"""``newsalert feeds list | add | remove | import | export``: the feeds the bot polls, managed from the shell.

Each command works on the bot's database (``[storage] path``) or, with ``--chat``, on the one ``newsalert chat``
uses, and says which. The config file's ``[[feeds]]`` are part of the list (the bot adds them on every start and
when the file changes, so they are added here too, and marked): removing one here would only last until then, so
that is refused with a pointer to the config file.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import xml.etree.ElementTree as ET
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import sqlite_utils

from bot.cli.common import CliError, add_chat_option, add_config_option, iso, note, open_database
from bot.cli.opml import NotOpmlError, build_opml, parse_opml
from bot.cli.progress import Progress
from bot.config import Config
from feeds.urls import FeedUrlError, normalize_feed_url
from storage import feeds as feed_store


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    feeds = sub.add_parser("feeds", help="list, add, remove, import and export feeds")
    add_chat_option(feeds, group=True)
    feeds_sub = feeds.add_subparsers(dest="feeds_command", required=True, metavar="ACTION")

    def action(name: str, help_text: str, func: Any) -> argparse.ArgumentParser:
        parser = feeds_sub.add_parser(name, help=help_text)
        add_config_option(parser)
        add_chat_option(parser)
        parser.set_defaults(func=func)
        return parser

    listing = action("list", "every feed with its health", cmd_feeds_list)
    listing.add_argument("--json", action="store_true", help="one JSON object a line")
    add = action("add", "fetch URL once and add it, with its articles, if it is a feed", cmd_feeds_add)
    add.add_argument("url", metavar="URL")
    add.add_argument("--name", help="display name (default: the feed's own title)")
    add.add_argument("--interval", type=int, metavar="SECONDS", help="check this feed every SECONDS")
    remove = action("remove", "remove a feed and its articles", cmd_feeds_remove)
    remove.add_argument("feed_id", metavar="ID")
    opml_in = action("import", "add every feed of an OPML file", cmd_feeds_import)
    opml_in.add_argument("opml", metavar="OPML")
    action("export", "print every feed as OPML", cmd_feeds_export)


# -- helpers ---------------------------------------------------------------------------------------------------


def _open_synced(args: argparse.Namespace) -> tuple[Config, sqlite_utils.Database, str]:
    """The database with the config's feeds in it, as the bot has them after it starts."""
    config, db, path = open_database(args)
    feed_store.sync_config_feeds(db, config.feeds, default_interval=config.polling.interval_seconds)
    return config, db, path


def _config_urls(config: Config) -> set[str]:
    return {normalize_feed_url(feed.url) for feed in config.feeds}


def _config_name(config: Config) -> str:
    return str(config.source) if config.source is not None else "config.toml"


def _label(feed: dict[str, Any]) -> str:
    return feed.get("name") or feed.get("title") or feed["url"]


# -- commands --------------------------------------------------------------------------------------------------


def cmd_feeds_list(args: argparse.Namespace) -> int:
    config, db, path = _open_synced(args)
    feeds = feed_store.list_feeds(db)
    in_config = _config_urls(config)
    note(f"database: {path}")
    out = sys.stdout
    if args.json:
        for feed in feeds:
            record = {
                "id": feed["id"],
                "url": feed["url"],
                "name": _label(feed),
                "status": feed["status"],
                "error_count": feed["error_count"],
                "last_error": feed["last_error"],
                "articles": feed["articles"],
                "last_polled": iso(feed["last_polled"]),
                "in_config": feed["url"] in in_config,
            }
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        return 0
    if not feeds:
        note("no feeds yet: add one with `newsalert feeds add URL` or under [[feeds]] in config.toml")
        return 0
    out.write(f"{'ID':>4}  {'STATUS':6}  {'ARTICLES':>8}  {'LAST POLLED':16}  NAME / URL\n")
    for feed in feeds:
        polled = iso(feed["last_polled"])
        polled_text = polled[:16].replace("T", " ") if polled else "never"
        origin = "  (config)" if feed["url"] in in_config else ""
        out.write(
            f"{feed['id']:>4}  {feed['status']:6}  {feed['articles']:>8}  {polled_text:16}  {_label(feed)}{origin}\n"
        )
        if feed["name"] or feed["title"]:
            out.write(f"{'':>44}{feed['url']}\n")
        if feed["error_count"]:
            out.write(f"{'':>44}{feed['error_count']} failure(s) in a row: {feed['last_error']}\n")
    return 0


def cmd_feeds_add(args: argparse.Namespace) -> int:
    """Add the feed and poll it once right away, so what it holds is stored (and listed) now; a URL that does not
    give a feed is refused and leaves nothing behind."""
    from feeds.ingest import poll_once

    try:
        url = normalize_feed_url(args.url)
    except FeedUrlError as exc:
        raise CliError(f"cannot add {args.url}: {exc}") from None
    if args.interval is not None and args.interval <= 0:
        raise CliError("--interval must be a positive number of seconds")
    config, db, path = _open_synced(args)
    existing = feed_store.find_feed_by_url(db, url)
    if existing is not None:
        origin = f" from {_config_name(config)}" if url in _config_urls(config) else ""
        raise CliError(f"already added as feed {existing['id']}{origin}: {url}")
    feed_id = feed_store.add_feed(
        db,
        url,
        name=args.name,
        interval=args.interval,
        default_interval=config.polling.interval_seconds,
        trusted=True,
    )
    feed = feed_store.get_feed(db, feed_id)
    assert feed is not None
    with ThreadPoolExecutor(1) as parser:  # one feed: no worker processes to start
        result = asyncio.run(poll_once(db, config, feeds=[feed], executor=parser))
    if feed_id in result.errors:
        feed_store.remove_feed(db, feed_id)
        raise CliError(f"cannot add {url}: {result.errors[feed_id]}")
    feed = feed_store.get_feed(db, feed_id)
    assert feed is not None
    print(
        f"added feed {feed_id} to {path}: {_label(feed)}, {feed['articles']} articles stored; "
        f"checked every {feed['interval'] or config.polling.interval_seconds} s from now on ({url})"
    )
    return 0


def cmd_feeds_remove(args: argparse.Namespace) -> int:
    try:
        feed_id = int(args.feed_id)
    except ValueError:
        raise CliError(f"not a feed id: {args.feed_id!r} (see `newsalert feeds list`)") from None
    config, db, path = open_database(args)
    feed = feed_store.get_feed(db, feed_id)
    if feed is None:
        raise CliError(f"no feed with id {feed_id} in {path} (see `newsalert feeds list`)")
    if feed["url"] in _config_urls(config):
        raise CliError(
            f"feed {feed_id} ({feed['url']}) is listed under [[feeds]] in {_config_name(config)}: "
            "remove it there first, or the bot adds it back"
        )
    if not feed_store.remove_feed(db, feed_id):
        raise CliError(f"no feed with id {feed_id} in {path} (see `newsalert feeds list`)")
    print(f"removed feed {feed_id} from {path}: {_label(feed)} ({feed['articles']} articles)")
    return 0


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
    except NotOpmlError as exc:
        raise CliError(f"{path} is not an OPML file: {exc}") from None
    except ValueError as exc:
        raise CliError(f"{path} is not accepted: {exc}") from None
    if not outlines:
        raise CliError(f"{path} lists no feeds (no <outline> has an xmlUrl)")
    config, db, db_path = open_database(args)
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
                note(f"skipped {url}: {exc}")
            progress(done, len(outlines))
    finally:
        progress.close()
    print(
        f"imported {added} feeds from {path} into {db_path} ({present} already present, {invalid} invalid); "
        "`newsalert feeds list` shows them as new until the bot first polls them"
    )
    return 1 if invalid and not added and not present else 0


def cmd_feeds_export(args: argparse.Namespace) -> int:
    _config, db, path = _open_synced(args)
    note(f"database: {path}")
    feeds = [dict(feed, label=_label(feed)) for feed in feed_store.list_feeds(db)]
    sys.stdout.write(build_opml(feeds))
    return 0
