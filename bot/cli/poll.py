"""``newsalert poll --once [--json]``: one poll cycle over every feed from the command line, no Telegram.

Data goes to stdout (one line per item, or one JSON object per line with ``--json``) and everything else, progress
and the summary line naming the database included, to stderr, so piped output stays clean.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from bot.cli.common import add_chat_option, add_config_option, iso, note, open_database
from bot.cli.progress import Progress
from storage import articles as article_store
from storage import feeds as feed_store


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    poll = sub.add_parser(
        "poll", help="fetch every feed once, store and match new articles, print what was new"
    )
    add_config_option(poll)
    add_chat_option(poll, group=True)
    poll.add_argument(
        "--once", action="store_true", required=True, help="one cycle over every feed, then exit"
    )
    poll.add_argument("--json", action="store_true", help="one JSON object a line")
    poll.set_defaults(func=cmd_poll)


def cmd_poll(args: argparse.Namespace) -> int:
    from alerts.fanout import fan_out, load_matcher
    from feeds.ingest import poll_once, shutdown_parse_pool

    config, db, path = open_database(args)
    feed_store.sync_config_feeds(db, config.feeds, default_interval=config.polling.interval_seconds)
    if not feed_store.all_feeds(db):
        note(
            f"no feeds to poll in {path}: add one with `newsalert feeds add URL` or under [[feeds]] in config.toml"
        )
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
                "published": iso(article["published"]),
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
        note(f"feed {feed_id} ({feed['url'] if feed else '?'}) failed: {error}")
    note(
        f"polled {result.feeds_polled} feeds: {len(result.new_article_ids)} new articles, "
        f"{result.feeds_not_modified} unchanged, {result.feeds_failed} failed (database {path})"
    )
    return 0
