"""Follow-ups on an alert: ``/why`` and ``/more`` (as a reply to the alert, or its buttons).

An alert is found through its outbox row: buttons carry the row id (``why:<id>``), and a reply names the alert's
message id, which the outbox stored when it was sent. ``/why`` and ``/more`` sent without a reply answer about the
chat's latest alert, which is what a user typing them right after an alert means.

A story alerts a chat once, under the oldest subscription that matched (the one the outbox row names), but
several of the chat's subscriptions may match it: ``/why`` matches the article again against all of them, on a
scratch matcher like ``/latest``'s, and explains each.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from typing import Any

from telegram import Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes

from alerts.messages import (
    MAX_MESSAGE,
    bold,
    escape,
    format_time,
    italic,
    link,
    parse_callback,
    split_message,
    truncate,
)
from feeds.summary import summarize
from handlers.context import reply, send_reliably, services
from handlers.replies import refusal
from i18n.catalog import N_, _, ngettext
from matching import Document, Matcher
from storage import articles, outbox, stories, subscribers, subscriptions

_MORE_SUMMARY_CHARS = 1200
_MAX_SOURCES = 15
_MAX_OTHER_TITLE = 200
_MAX_OUTLET = 80


def _find_delivery(
    db: Any, chat_id: int, message_id: int | None, delivery_id: int | None
) -> dict[str, Any] | None:
    """The chat's alert by outbox id, by the id of the message it became, or (neither given) its latest one."""
    if delivery_id is not None:
        row = outbox.get_delivery(db, delivery_id)
        return row if row is not None and row["chat_id"] == chat_id else None
    if message_id is not None:
        return outbox.find_by_message(db, chat_id, message_id)
    return outbox.latest_sent(db, chat_id)


def _stored(delivery: dict[str, Any]) -> dict[str, Any]:
    """The explanation the fan-out stored with the outbox row: subscription, subscription_id, why."""
    try:
        stored = json.loads(delivery["explanation"] or "{}")
    except ValueError:
        stored = {"why": delivery["explanation"]}
    return stored if isinstance(stored, dict) else {"why": str(stored)}


def matching_subscriptions(
    db: Any, chat_id: int, article: dict[str, Any], skip: int | None = None
) -> list[tuple[str, str]]:
    """The chat's subscriptions (but ``skip``) that the article matches now, as (query, why), in /list order."""
    rows = [row for row in subscriptions.list_subscriptions(db, chat_id) if row["id"] != skip]
    if not rows:
        return []
    matcher = Matcher()  # shares the process's gazetteer: cheap
    matcher.add_many((row["id"], row["query"]) for row in rows)
    found = matcher.match(Document(title=article["title"], summary=article["summary"], text=article["text"]))
    return [(row["raw"], found[row["id"]].explain()) for row in rows if row["id"] in found]


def explain(
    delivery: dict[str, Any], article: dict[str, Any] | None, others: Sequence[tuple[str, str]] = ()
) -> str:
    """Why an alert was sent, as HTML: the subscription it was sent for (as the fan-out recorded it), then any
    ``others`` of the chat's subscriptions that match it too (query, why)."""
    stored = _stored(delivery)
    first = (str(stored.get("subscription") or ""), str(stored.get("why") or ""))
    matched = [first] if any(first) else []
    matched += [(query, why) for query, why in others if query != first[0]]
    lines = [_("<b>Why you got this alert</b>")]
    if article is not None:
        lines.append(italic(truncate(article["title"] or _("Untitled article"), 300)))
    if not matched:
        lines.append(_("The match was not recorded for this alert."))
    elif len(matched) == 1:
        query, why = matched[0]
        if query:
            lines.append(_("Your subscription {query} matched.").format(query=bold(truncate(query, 200))))
        if why:
            lines.append(escape(truncate(why, 3000)))
    else:
        names = [bold(truncate(query, 100)) for query, _why in matched]
        lines.append(
            _("Your subscriptions {queries} and {last} matched:").format(
                queries=", ".join(names[:-1]), last=names[-1]
            )
        )
        for query, why in matched:
            lines.append(f"• {bold(truncate(query, 100))}: {escape(truncate(why, 3000 // len(matched)))}")
    return "\n".join(lines)


def _why_tx(db: Any, chat_id: int, message_id: int | None, delivery_id: int | None) -> str | None:
    delivery = _find_delivery(db, chat_id, message_id, delivery_id)
    if delivery is None:
        return None
    article = articles.get_article(db, delivery["article_id"])
    others = (
        matching_subscriptions(db, chat_id, article, skip=delivery["subscription_id"])
        if article is not None
        else []
    )
    return explain(delivery, article, others)


def _more_tx(db: Any, chat_id: int, message_id: int | None, delivery_id: int | None) -> list[str] | None:
    """The longer summary, the times, and every other source of the story (HTML, split to fit messages)."""
    delivery = _find_delivery(db, chat_id, message_id, delivery_id)
    if delivery is None:
        return None
    article = articles.get_article(db, delivery["article_id"])
    if article is None:
        return [_("That article is no longer stored.")]
    subscriber = subscribers.get_subscriber(db, chat_id)
    zone = subscriber["timezone"] if subscriber else "UTC"
    lines = [bold(article["title"] or _("Untitled article"))]
    when = format_time(article["published"] or article["first_seen"], zone)
    if when:
        lines.append(italic(when))
    longer = (
        summarize(article["text"], max_chars=_MORE_SUMMARY_CHARS, title=article["title"])
        if article["text"]
        else ""
    )
    if longer or article["summary"]:
        lines += ["", escape(longer or article["summary"])]
    if article["url"]:
        lines += ["", link(article["url"], _("Read the article"))]
    lines += _other_reports(db, delivery["story_id"], article, zone)
    return split_message("\n".join(lines), MAX_MESSAGE)


def _other_reports(db: Any, story_id: int, article: dict[str, Any], zone: str) -> list[str]:
    """The story's other reports, one line each: the outlet, the report's title as its link, and its time."""
    others = [a for a in stories.story_articles(db, story_id) if a["id"] != article["id"]]
    if not others:
        return []
    outlets = len({other["feed_id"] for other in others if other["feed_id"] != article["feed_id"]})
    heading = (
        ngettext("Also reported by {count} outlet", "Also reported by {count} outlets", outlets).format(
            count=outlets
        )
        if outlets
        else _("Other reports")
    )
    lines = ["", f"<b>{heading}</b>:"]
    for other in others[:_MAX_SOURCES]:
        title = truncate(" ".join((other["title"] or _("untitled")).split()), _MAX_OTHER_TITLE)
        stamp = format_time(other["published"] or other["first_seen"], zone)
        source = bold(truncate(" ".join(str(other["feed_name"]).split()), _MAX_OUTLET))
        lines.append(f"• {source}: {link(other['url'], title)}" + (f" · {escape(stamp)}" if stamp else ""))
    if len(others) > _MAX_SOURCES:
        lines.append(_("… and {count} more").format(count=len(others) - _MAX_SOURCES))
    return lines


_NOT_FOUND = N_("I can't find that alert any more")
_NOT_FOUND_HINT = N_("Reply to an alert with /why or /more, or use its buttons.")
_GONE = N_("That alert is no longer stored")
_NONE_YET = N_("No alerts here yet. Reply to an alert with /why or /more, or use its buttons.")


async def _command(update: Update, context: ContextTypes.DEFAULT_TYPE, builder: Any) -> None:
    message = update.effective_message
    chat = update.effective_chat
    if message is None or chat is None:
        return
    replied = message.reply_to_message
    replied_id = replied.message_id if replied is not None else None
    result = await services(context).db.run(builder, chat.id, replied_id, None)
    if result is None:
        text = refusal(_(_NOT_FOUND), hint=_(_NOT_FOUND_HINT)) if replied_id is not None else _(_NONE_YET)
        await reply(context, message, text)
        return
    for part in [result] if isinstance(result, str) else result:
        await reply(context, message, part, reply_to_message_id=replied_id)


async def why(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _command(update, context, _why_tx)


async def more(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _command(update, context, _more_tx)


async def alert_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``why:<id>`` and ``more:<id>``: answer in the chat, as a reply to the alert the button is on."""
    callback = update.callback_query
    chat = update.effective_chat
    parsed = parse_callback(callback.data if callback else None)
    if callback is None or chat is None or parsed is None:
        return
    action, delivery_id = parsed
    builder = _why_tx if action == "why" else _more_tx
    result = await services(context).db.run(builder, chat.id, None, delivery_id)
    if result is None:
        await callback.answer(refusal(_(_GONE)), show_alert=True)
        return
    await callback.answer()
    reply_to = callback.message.message_id if callback.message is not None else None
    for part in [result] if isinstance(result, str) else result:
        await send_reliably(
            context, functools.partial(context.bot.send_message, chat.id, part, reply_to_message_id=reply_to)
        )


HANDLERS = [
    CommandHandler("why", why),
    CommandHandler("more", more),
    CallbackQueryHandler(alert_button, pattern=r"^(why|more):\d+$"),
]
