"""``/subscribe``, ``/unsubscribe``, ``/list`` and the list's remove buttons.

A subscription is live the moment it is answered: the handler stores it and adds it to the running matcher in the
same step, so the next poll cycle already matches it. Every answer says how the query was understood, because a
bare place name silently becoming a region (or not) is the surprise users of keyword bots complain about.
"""

from __future__ import annotations

from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Message, Update
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes

from alerts.messages import MAX_CALLBACK_DATA, MAX_MESSAGE, escape, text_length, truncate
from handlers.context import acting_chat, command_argument, is_group, may_change, reply, services
from handlers.replies import refusal, shown, too_long
from i18n.catalog import _, ngettext
from matching import Query, QueryError, parse_query
from storage import subscribers, subscriptions

MAX_QUERY_CHARS = 200
SUGGESTION_PREFIX = "sub:"  # callback data of "Subscribe to …" buttons: the prefix and the query itself
LATEST_PREFIX = "latest:"  # callback data of "Latest on …" buttons (handled in handlers.search), likewise
_LIST_QUERY_CHARS = 80
_BUTTONS_PER_ROW = 5
_MAX_BUTTONS = 100  # Telegram's limit for one inline keyboard
_EXAMPLES = '/subscribe kosovo\n/subscribe keyword:nato\n/subscribe "power plant"'


def _subscribe_tx(
    db: Any, chat_id: int, chat_type: str, title: str | None, query: Query, raw: str, cap: int, thread: int | None
) -> tuple[dict[str, Any], subscriptions.AddResult, int | None]:
    """Create the subscriber if needed and add the subscription (its alerts to forum topic ``thread`` if given);
    also the number ``/list`` will show it under."""
    subscriber, _created = subscribers.upsert_subscriber(db, chat_id, chat_type=chat_type, title=title)
    result = subscriptions.add_subscription(
        db, chat_id, query.canonical, raw, max_subscriptions=cap, thread_id=thread
    )
    number = None
    if result.subscription is not None:
        number = int(
            db.execute(
                "SELECT count(*) FROM subscriptions WHERE chat_id = ? AND id <= ?",
                [chat_id, result.subscription["id"]],
            ).fetchone()[0]
        )
    return subscriber, result, number


def understood(query: Query, raw: str) -> str:
    """How the bot read a query, as HTML: the description, and for a region how to force a keyword (unless the
    description already says)."""
    lines = [_("Understood as: {description}").format(description=escape(query.description))]
    if query.is_region and "keyword:" not in query.description:
        forced = raw if " " not in raw.strip() else f'"{raw.strip()}"'
        lines.append(
            _("Only the word itself? Send {command}").format(
                command=f"<code>/subscribe keyword:{escape(forced)}</code>"
            )
        )
    return "\n".join(lines)


def query_refusal(raw: str, error: QueryError, command: str = "/subscribe") -> str:
    """Why a query was refused, with the suggestions the parser offers, as HTML."""
    suggestions = getattr(error, "suggestions", None) or []
    hint = (
        _("Try: {suggestions}").format(
            suggestions=", ".join(f"<code>{command} {escape(s)}</code>" for s in suggestions[:3])
        )
        if suggestions
        else ""
    )
    return refusal(_("I can't use {query}").format(query=shown(raw)), escape(truncate(str(error), 500)), hint)


async def subscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    chat = update.effective_chat
    if message is None or chat is None:
        return
    raw = command_argument(message)
    await subscribe_to(update, context, raw)


async def subscribe_to(update: Update, context: ContextTypes.DEFAULT_TYPE, raw: str) -> None:
    """Subscribe the update's chat to ``raw`` and answer; shared by ``/subscribe`` and the suggestion button."""
    message = update.effective_message
    chat = await acting_chat(update, context)
    if message is None or chat is None:
        return
    svc = services(context)
    if not raw:
        examples = _("For example:\n{examples}\n\n/help explains queries.").format(examples=escape(_EXAMPLES))
        await reply(context, message, refusal(_("Tell me what to watch for"), hint=examples))
        return
    if len(raw) > MAX_QUERY_CHARS:
        await reply(context, message, too_long(len(raw), MAX_QUERY_CHARS))
        return
    if not await may_change(update, context):
        return
    try:
        query = parse_query(raw)
    except QueryError as error:
        await reply(context, message, query_refusal(raw, error))
        return
    cap = svc.config.telegram.max_subscriptions
    title = chat.title if is_group(chat) else None
    # Sent inside a forum topic: that topic's subscription, alerted there.
    thread = message.message_thread_id if message.is_topic_message and message.chat.id == chat.id else None
    subscriber, result, number = await svc.db.run(
        _subscribe_tx, chat.id, chat.type, title, query, raw, cap, thread
    )
    if result.status == "limit":
        hint = _("Remove one with /unsubscribe N (see /list), then try again.")
        what = _("This chat already has {count} subscriptions").format(count=result.count)
        await reply(context, message, refusal(what, _("I keep at most {cap}").format(cap=cap), hint))
        return
    assert result.subscription is not None
    if result.status == "added":
        svc.matcher.add(result.subscription["id"], query)
        head = _("✅ Subscribed to {query} (number {number} in /list).").format(
            query=f"<b>{escape(truncate(raw, 200))}</b>", number=number
        )
    else:
        head = _("You already have this subscription: {query} (number {number} in /list).").format(
            query=f"<b>{escape(truncate(result.subscription['raw'], 200))}</b>", number=number
        )
    lines = [head, understood(query, raw)]
    if result.status == "added":
        lines.append(_("I'll send new articles that match, one message per story."))
    if subscriber["paused"]:
        lines.append(_("Alerts are paused for this chat: /resume to get them."))
    if not subscriber["active"]:
        lines.append(_("Send /start to get alerts again."))
    await reply(context, message, "\n".join(lines))


async def suggest_subscription(context: ContextTypes.DEFAULT_TYPE, message: Message, text: str) -> None:
    """Offer ``/subscribe <text>`` with a button that does it (when the text fits in callback data)."""
    text = " ".join(text.split())
    if len(text) > MAX_QUERY_CHARS:
        hint = _("To follow something, send /subscribe followed by a few words. /help has examples.")
        await reply(context, message, refusal(_("That is too long to follow"), hint=hint))
        return
    followed = await services(context).db.run(_followed_tx, message.chat.id, text)
    if followed is not None:
        raw, number = followed
        await reply(
            context,
            message,
            _(
                "You already follow {query} (number {number} in /list). {command} shows the newest stored articles about it."
            ).format(
                query=f"<b>{escape(truncate(raw, 200))}</b>",
                number=number,
                command=f"<code>/latest {escape(text)}</code>",
            ),
            reply_markup=_button(
                _("🔎 Latest: {text}").format(text=truncate(text, 40)), LATEST_PREFIX + text
            ),
        )
        return
    markup = _button(_("Subscribe: {text}").format(text=truncate(text, 40)), SUGGESTION_PREFIX + text)
    await reply(
        context,
        message,
        _("Did you mean {command}? Press the button or send that command.").format(
            command=f"<code>/subscribe {escape(text)}</code>"
        ),
        reply_markup=markup,
    )


def _button(label: str, data: str) -> InlineKeyboardMarkup | None:
    """One button, if its data fits Telegram's 64 bytes (the command in the text does the same job otherwise).

    The label names the text without quotation marks of ours: the text may hold its own."""
    if len(data.encode()) > MAX_CALLBACK_DATA:
        return None
    return InlineKeyboardMarkup([[InlineKeyboardButton(label, callback_data=data)]])


def _followed_tx(db: Any, chat_id: int, text: str) -> tuple[str, int] | None:
    """The chat's subscription that ``text`` would make, as (what was typed, its /list number), if it has one."""
    try:
        canonical = parse_query(text).canonical
    except QueryError:
        return None
    for number, row in enumerate(subscriptions.list_subscriptions(db, chat_id), start=1):
        if row["query"] == canonical:
            return row["raw"], number
    return None


def _unsubscribe_tx(
    db: Any, chat_id: int, argument: str, canonical: str | None
) -> tuple[dict[str, Any] | None, int]:
    """Remove by list number, canonical query or exactly what was typed; returns the removed row and how many remain."""
    removed = None
    if argument.lstrip("#").isdigit():
        removed = subscriptions.remove_by_number(db, chat_id, int(argument.lstrip("#")))
    else:
        if canonical is not None:
            removed = subscriptions.remove_by_query(db, chat_id, canonical)
        if removed is None:
            wanted = argument.casefold()
            for row in subscriptions.list_subscriptions(db, chat_id):
                if row["raw"].casefold() == wanted or row["query"].casefold() == wanted:
                    removed = subscriptions.remove_subscription(db, chat_id, row["id"])
                    break
    return removed, subscriptions.count_subscriptions(db, chat_id)


async def unsubscribe(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    chat = await acting_chat(update, context)
    if message is None or chat is None:
        return
    argument = command_argument(message)
    if not argument:
        await send_list(update, context, intro=_("Which one? Press a button or send /unsubscribe N."))
        return
    if not await may_change(update, context):
        return
    canonical = None
    if not argument.lstrip("#").isdigit():
        try:
            canonical = parse_query(argument).canonical
        except QueryError:
            canonical = None
    svc = services(context)
    removed, left = await svc.db.run(_unsubscribe_tx, chat.id, argument, canonical)
    if removed is None:
        if argument.lstrip("#").isdigit():
            what = _("There is no subscription number {number} here").format(
                number=escape(argument.lstrip("#"))
            )
        else:
            what = _("There is no subscription {query} here").format(query=shown(argument))
        await reply(context, message, refusal(what, hint=_("/list shows them with their numbers.")))
        return
    svc.matcher.remove(removed["id"])
    removed_text = _("Removed {query}.").format(query=f"<b>{escape(truncate(removed['raw'], 200))}</b>")
    await reply(context, message, f"{removed_text} {_left(left)}")


def _left(count: int) -> str:
    if count == 0:
        return _("No subscriptions left; /subscribe adds one.")
    return ngettext("{count} left: /list shows them.", "{count} left: /list shows them.", count).format(
        count=count
    )


def render_list(
    rows: list[dict[str, Any]], cap: int, intro: str | None = None
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The numbered list and its remove buttons, always one message: queries are clipped to share the 4,096
    characters, and if a very large cap still overflows, the tail is summarised (its numbers still work)."""
    if not rows:
        return _("No subscriptions yet. Try /subscribe kosovo, or /help for what queries can do."), None
    head = ([escape(intro)] if intro else []) + [
        _("<b>Subscriptions</b> ({count} of {cap}):").format(count=len(rows), cap=cap)
    ]
    tail = [_("Remove one with its ✖ button or /unsubscribe N.")]
    if any(row.get("thread_id") for row in rows):
        tail.append(_("🧵 alerts in the topic it was subscribed in."))
    per_line = max(20, min(_LIST_QUERY_CHARS, (MAX_MESSAGE - 300) // len(rows) - 12))
    entries = [
        f"{n}. {escape(truncate(row['raw'], per_line))}" + (" 🧵" if row.get("thread_id") else "")
        for n, row in enumerate(rows, start=1)
    ]
    shown = len(entries)
    and_more = _("… and {count} more")
    while text_length("\n".join(head + entries[:shown] + [and_more.format(count=9999)] + tail)) > MAX_MESSAGE:
        shown -= 1
    more = [and_more.format(count=len(entries) - shown)] if shown < len(entries) else []
    buttons = [
        InlineKeyboardButton(f"✖ {n}", callback_data=f"unsub:{row['id']}")
        for n, row in enumerate(rows[: min(shown, _MAX_BUTTONS)], 1)
    ]
    keyboard = [buttons[i : i + _BUTTONS_PER_ROW] for i in range(0, len(buttons), _BUTTONS_PER_ROW)]
    return "\n".join(head + entries[:shown] + more + tail), InlineKeyboardMarkup(keyboard)


async def send_list(update: Update, context: ContextTypes.DEFAULT_TYPE, intro: str | None = None) -> None:
    message = update.effective_message
    chat = await acting_chat(update, context)
    if message is None or chat is None:
        return
    svc = services(context)
    rows = await svc.db.run(subscriptions.list_subscriptions, chat.id)
    text, markup = render_list(rows, svc.config.telegram.max_subscriptions, intro if rows else None)
    await reply(context, message, text, reply_markup=markup)


async def list_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await send_list(update, context)


async def remove_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``unsub:<id>``: remove by id (pressing twice is harmless) and redraw the list in place."""
    callback = update.callback_query
    if callback is None or callback.data is None or not await may_change(update, context):
        return
    chat = await acting_chat(update, context)
    if chat is None:
        return
    svc = services(context)
    sub_id = int(callback.data.split(":", 1)[1])
    removed = await svc.db.run(subscriptions.remove_subscription, chat.id, sub_id)
    rows = await svc.db.run(subscriptions.list_subscriptions, chat.id)
    if removed is not None:
        svc.matcher.remove(removed["id"])
        await callback.answer(_("Removed “{query}”").format(query=truncate(removed["raw"], 150)))
    else:
        await callback.answer(_("Already removed."))
    text, markup = render_list(rows, svc.config.telegram.max_subscriptions)
    try:
        await callback.edit_message_text(text, reply_markup=markup)
    except BadRequest as error:
        # A second press on an already redrawn list: Telegram refuses an edit that changes nothing.
        if "not modified" not in str(error).lower():
            raise


HANDLERS = [
    CommandHandler("subscribe", subscribe),
    CommandHandler("unsubscribe", unsubscribe),
    CommandHandler("list", list_command),
    CallbackQueryHandler(remove_button, pattern=r"^unsub:\d+$"),
]
