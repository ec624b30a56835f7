"""Operator commands (config ``admins`` only): ``/stats``, ``/feeds``, ``/addfeed URL``, ``/removefeed N``.

A feed added from Telegram is fetched and parsed before it is stored, so a typo is an answer, not a feed failing
forever; and it may not point at loopback, link-local or private addresses (checked for every resolved address and
after every redirect by the fetcher) unless ``polling.allow_private_addresses`` is true: anyone who gets hold of an
admin account must not be able to make the bot probe the operator's network.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from telegram import Update
from telegram.ext import CommandHandler, ContextTypes

from alerts.messages import MAX_MESSAGE, bold, escape, split_message, truncate
from feeds.fetch import Fetcher
from feeds.ingest import parse_pool
from feeds.parse import ParsedFeed, process_feed
from feeds.urls import FeedUrlError, normalize_feed_url
from handlers.context import command_argument, reply, services
from handlers.replies import refusal, shown
from storage import feeds as feed_store
from storage import outbox, subscribers


async def _admin_only(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    user = update.effective_user
    message = update.effective_message
    if user is not None and services(context).guard.is_admin(user.id):
        return True
    if message is not None:
        await reply(context, message, refusal("That command is for the bot's operators"))
    return False


def _stats_tx(db: Any) -> dict[str, Any]:
    feeds = feed_store.list_feeds(db)
    return {
        **subscribers.counts(db),
        "feeds_ok": sum(1 for f in feeds if f["status"] == "ok"),
        "feeds_failing": sum(1 for f in feeds if f["status"] == "error"),
        "feeds_new": sum(1 for f in feeds if f["status"] == "new"),
        "sent_24h": outbox.sent_last_24h(db),
        "queue": outbox.queue_depth(db),
        "digest_queue": outbox.queue_depth(db, mode="digest"),
    }


async def stats(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or not await _admin_only(update, context):
        return
    s = await services(context).db.run(_stats_tx)
    await reply(
        context,
        message,
        "\n".join(
            [
                "<b>newsalert</b>",
                f"Subscribers: {s['active']} active ({s['paused']} paused), {s['inactive']} inactive",
                f"Subscriptions: {s['subscriptions']}",
                f"Feeds: {s['feeds_ok']} ok, {s['feeds_failing']} failing, {s['feeds_new']} not polled yet",
                f"Alerts sent in 24 h: {s['sent_24h']}",
                f"Queue: {s['queue']} waiting, {s['digest_queue']} held for digests",
            ]
        ),
    )


def _ago(timestamp: float | None) -> str:
    if not timestamp:
        return "never polled"
    seconds = max(0, int(time.time() - timestamp))
    if seconds < 120:
        return f"polled {seconds} s ago"
    if seconds < 7200:
        return f"polled {seconds // 60} min ago"
    return f"polled {seconds // 3600} h ago"


def feed_line(feed: dict[str, Any]) -> str:
    name = feed["name"] or feed["title"] or feed["url"]
    head = f"<b>#{feed['id']}</b> {escape(truncate(name, 60))}"
    if feed["status"] == "new":
        return f"{head} — new · not polled yet"
    if feed["status"] == "ok":
        return f"{head} — ok · {feed['articles']} articles · {_ago(feed['last_polled'])}"
    error = truncate(feed["last_error"] or "error", 120)
    return f"{head} — ⚠️ failing ×{feed['error_count']}: {escape(error)} · {_ago(feed['last_polled'])}"


async def feeds(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or not await _admin_only(update, context):
        return
    rows = await services(context).db.run(feed_store.list_feeds)
    if not rows:
        await reply(context, message, "No feeds yet. /addfeed URL adds one.")
        return
    text = f"<b>Feeds</b> ({len(rows)}):\n" + "\n".join(feed_line(feed) for feed in rows)
    text += "\n/removefeed N removes feed #N."
    for part in split_message(text, MAX_MESSAGE):
        await reply(context, message, part)


async def _probe(url: str, context: ContextTypes.DEFAULT_TYPE) -> ParsedFeed | str:
    """Fetch and parse the feed once, as the poller would; the parsed feed or why it is not usable."""
    polling = services(context).config.polling
    async with Fetcher(timeout=polling.timeout_seconds, max_body_bytes=polling.max_body_bytes) as fetcher:
        fetched = await fetcher.fetch(url, allow_private=polling.allow_private_addresses)
    if fetched.error is not None:
        return fetched.error
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(parse_pool(), process_feed, fetched.body or b"", fetched.content_type)


def _add_tx(db: Any, url: str, parsed: ParsedFeed, interval: int) -> tuple[int, bool]:
    existing = feed_store.find_feed_by_url(db, url)
    if existing is not None:
        return existing["id"], False
    feed_id = feed_store.add_feed(db, url, default_interval=interval)
    with db.conn:
        db.execute(
            "UPDATE feeds SET title = ?, site_url = ? WHERE id = ?", [parsed.title, parsed.site_url, feed_id]
        )
    return feed_id, True


async def addfeed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or not await _admin_only(update, context):
        return
    argument = command_argument(message)
    if not argument:
        await reply(context, message, refusal("Which feed?", hint="Use /addfeed https://example.org/rss.xml"))
        return
    try:
        url = normalize_feed_url(argument)
    except FeedUrlError as error:
        await reply(
            context, message, refusal(f"I can't add {shown(argument)}", escape(truncate(str(error), 500)))
        )
        return
    parsed = await _probe(url, context)
    if isinstance(parsed, str):
        await reply(
            context, message, refusal(f"I can't add {shown(url, 200)}", escape(truncate(parsed, 300)))
        )
        return
    feed_id, created = await services(context).db.run(
        _add_tx, url, parsed, services(context).config.polling.interval_seconds
    )
    if not created:
        await reply(context, message, f"That feed is already there as #{feed_id}.")
        return
    title = parsed.title or url
    await reply(
        context,
        message,
        f"Added feed #{feed_id}: {bold(truncate(title, 100))} ({len(parsed.items)} items now; "
        "only articles published from now on are alerted).",
    )


async def removefeed(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or not await _admin_only(update, context):
        return
    argument = command_argument(message).lstrip("#")
    if not argument.isdigit():
        await reply(context, message, refusal("Which feed?", hint="Use /removefeed N, with N from /feeds."))
        return
    svc = services(context)
    feed = await svc.db.run(feed_store.get_feed, int(argument))
    if feed is None or not await svc.db.run(feed_store.remove_feed, int(argument)):
        await reply(
            context, message, refusal(f"There is no feed #{escape(argument)}", hint="/feeds lists them.")
        )
        return
    text = (
        f"Removed feed #{feed['id']}: {escape(truncate(feed['name'] or feed['title'] or feed['url'], 100))}."
    )
    if any(normalize_feed_url(f.url) == feed["url"] for f in svc.config.feeds):
        text += " It is in the config file, so it comes back at the next start unless you remove it there."
    await reply(context, message, text)


HANDLERS = [
    CommandHandler("stats", stats),
    CommandHandler("feeds", feeds),
    CommandHandler("addfeed", addfeed),
    CommandHandler("removefeed", removefeed),
]
