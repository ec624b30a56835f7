"""``/latest QUERY``: the newest stored articles that match a query, for catching up on a subject now.

The query is the same language as ``/subscribe`` (regions included), and it is matched by the same matcher: a
one-query :class:`matching.Matcher` runs over the newest stored articles, page by page, until five match. So
``/latest kosovo`` finds an article that names only Zvečan, as the alert would have. It searches what the bot
has stored, not the web.
"""

from __future__ import annotations

from typing import Any

from telegram import Message, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes

from alerts.fanout import document_of
from alerts.messages import MAX_MESSAGE, escape, format_time, link, split_message, truncate
from handlers.context import command_argument, reply, services
from handlers.replies import refusal, shown, too_long
from handlers.subscriptions import LATEST_PREFIX, MAX_QUERY_CHARS, query_refusal
from i18n.catalog import N_, _
from matching import Matcher, Query, QueryError, parse_query
from storage import articles, subscribers

LATEST_COUNT = 5
_PAGE = 500
_MAX_CANDIDATES = (
    5000  # newest stored articles looked at; bounds the time one /latest holds the handlers' thread
)

# Reply texts, in one place (plain literals, easy to wrap for translation).
_USAGE = N_("Tell me what to look for")
_USAGE_HINT = N_("Use /latest kosovo to see the newest stored articles about something.")


def _matching_articles(db: Any, query: Query) -> list[dict[str, Any]]:
    """The newest stored articles the query matches (at most :data:`LATEST_COUNT`), newest first."""
    matcher = Matcher()  # shares the process's gazetteer: cheap
    matcher.add(1, query)
    found: list[dict[str, Any]] = []
    before: tuple[float, int] | None = None
    for _page in range(_MAX_CANDIDATES // _PAGE):
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
        return _("Nothing stored mentions {query} yet. {command} to hear of it.").format(
            query=shown(text), command=f"<code>/subscribe {escape(truncate(text, 100))}</code>"
        )
    lines = [_("<b>Latest on {query}</b>").format(query=escape(truncate(text, 100)))]
    for row in rows:
        title = truncate(row["title"] or _("Untitled article"), 200)
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
    await latest_for(context, message, chat.id, command_argument(message))


async def latest_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``latest:<query>`` (offered when someone types a query the chat already follows): the same as /latest."""
    callback = update.callback_query
    chat = update.effective_chat
    if callback is None or callback.data is None or chat is None or not isinstance(callback.message, Message):
        return
    await callback.answer()
    await latest_for(context, callback.message, chat.id, callback.data[len(LATEST_PREFIX) :])


async def latest_for(context: ContextTypes.DEFAULT_TYPE, message: Message, chat_id: int, text: str) -> None:
    """Answer ``message`` with the newest stored articles that match ``text`` (or why it cannot)."""
    if not text:
        await reply(context, message, refusal(_(_USAGE), hint=_(_USAGE_HINT)))
        return
    if len(text) > MAX_QUERY_CHARS:
        await reply(context, message, too_long(len(text), MAX_QUERY_CHARS))
        return
    try:
        query = parse_query(text)
    except QueryError as error:
        await reply(context, message, query_refusal(text, error, "/latest"))
        return
    rows, zone = await services(context).db.run(_latest_tx, chat_id, query)
    for part in split_message(render_latest(text, rows, zone), MAX_MESSAGE):
        await reply(context, message, part)


HANDLERS = [
    CommandHandler("latest", latest),
    CallbackQueryHandler(latest_button, pattern="^" + LATEST_PREFIX),
]
