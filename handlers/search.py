"""``/latest QUERY``: the newest stored articles containing every word, for catching up on a subject now.

It searches what the bot has stored (SQLite FTS5 over titles and text), not the web; the user's words are passed to
FTS5 as plain quoted words (``storage.articles.fts_query``), so no query syntax of theirs reaches the engine.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import CommandHandler, ContextTypes

from alerts.messages import MAX_MESSAGE, escape, format_time, link, split_message, truncate
from handlers.context import command_argument, reply, services
from storage import articles, subscribers

LATEST_COUNT = 5


def _latest_tx(db: Any, chat_id: int, text: str) -> tuple[list[dict[str, Any]], str]:
    subscriber = subscribers.get_subscriber(db, chat_id)
    return articles.search_articles(db, text, limit=LATEST_COUNT), subscriber[
        "timezone"
    ] if subscriber else "UTC"


def render_latest(text: str, rows: list[dict[str, Any]], zone: str) -> str:
    if not rows:
        return f"Nothing stored mentions “{escape(truncate(text, 100))}” yet. /subscribe {escape(truncate(text, 100))} to hear of it."
    lines = [f"<b>Latest on “{escape(truncate(text, 100))}”</b>"]
    for row in rows:
        title = truncate(row["title"] or "Untitled article", 200)
        item = link(row["url"], title) if row["url"] else escape(title)
        meta = " · ".join(
            p for p in (row["feed_name"], format_time(row["published"] or row["first_seen"], zone)) if p
        )
        lines.append(f"• {item}\n  <i>{escape(truncate(meta, 120))}</i>")
    return "\n".join(lines)


async def latest(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    chat = update.effective_chat
    if message is None or chat is None:
        return
    text = command_argument(message)
    if not text:
        await reply(context, message, "Use /latest kosovo to see the newest stored articles about something.")
        return
    rows, zone = await services(context).db.run(_latest_tx, chat.id, truncate(text, 200))
    for part in split_message(render_latest(text, rows, zone), MAX_MESSAGE):
        await reply(context, message, part)


HANDLERS = [CommandHandler("latest", latest)]
