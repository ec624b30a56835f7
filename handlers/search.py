"""``/latest QUERY``: the newest stored articles that match a query, for catching up on a subject now.

The query is the same language as ``/subscribe`` (regions included), and it is matched by the same matcher: a
one-query :class:`matching.Matcher` runs over the newest stored articles, page by page, until five match. So
``/latest kosovo`` finds an article that names only Zvečan, as the alert would have. It searches what the bot
has stored, not the web.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import CommandHandler, ContextTypes

from alerts.fanout import document_of
from alerts.messages import MAX_MESSAGE, escape, format_time, link, split_message, truncate
from handlers.context import command_argument, reply, services
from handlers.subscriptions import MAX_QUERY_CHARS, refusal
from matching import Matcher, Query, QueryError, parse_query
from storage import articles, subscribers

LATEST_COUNT = 5
_PAGE = 500
_MAX_CANDIDATES = (
    5000  # newest stored articles looked at; bounds the time one /latest holds the handlers' thread
)

# Reply texts, in one place (plain literals, easy to wrap for translation).
_USAGE = "Use /latest kosovo to see the newest stored articles about something."
_TOO_LONG = "That query is {length} characters long; the limit is {limit}. Try fewer words."


def _matching_articles(db: Any, query: Query) -> list[dict[str, Any]]:
    """The newest stored articles the query matches (at most :data:`LATEST_COUNT`), newest first."""
    matcher = Matcher()  # shares the process's gazetteer: cheap
    matcher.add(1, query)
    found: list[dict[str, Any]] = []
    before: tuple[float, int] | None = None
    for _ in range(_MAX_CANDIDATES // _PAGE):
        page = articles.recent_articles(db, limit=_PAGE, before=before)
        for row in page:
            if 1 in matcher.match(document_of(row)):
                found.append(row)
                if len(found) == LATEST_COUNT:
                    return found
        if len(page) < _PAGE:
            break
        before = (page[-1]["first_seen"], page[-1]["id"])
    return found


def _latest_tx(db: Any, chat_id: int, query: Query) -> tuple[list[dict[str, Any]], str]:
    subscriber = subscribers.get_subscriber(db, chat_id)
    return _matching_articles(db, query), subscriber["timezone"] if subscriber else "UTC"


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
        await reply(context, message, _USAGE)
        return
    if len(text) > MAX_QUERY_CHARS:
        await reply(context, message, _TOO_LONG.format(length=len(text), limit=MAX_QUERY_CHARS))
        return
    try:
        query = parse_query(text)
    except QueryError as error:
        await reply(context, message, refusal(text, error))
        return
    rows, zone = await services(context).db.run(_latest_tx, chat.id, query)
    for part in split_message(render_latest(text, rows, zone), MAX_MESSAGE):
        await reply(context, message, part)


HANDLERS = [CommandHandler("latest", latest)]
