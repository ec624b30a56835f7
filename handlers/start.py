"""``/start``, ``/help``, ``/pause``, ``/resume`` and ``/stop``: a chat's relationship with the bot.

``/start`` is also how a user who blocked the bot comes back: delivery marked them inactive at the first 403, and
only an explicit return (this, or Telegram telling us they unblocked) makes them reachable again.
``/stop`` deletes the chat's data, so it asks first with a button. A shared link ``t.me/<bot>?start=kosovo``
arrives as ``/start kosovo`` and offers that subscription.
"""

from __future__ import annotations

import re
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes

from alerts.messages import escape
from handlers.context import acting_chat, command_argument, is_group, may_change, reply, services
from handlers.subscriptions import suggest_subscription
from i18n.catalog import N_, _, ngettext
from storage import subscribers, subscriptions

_DEEP_LINK = re.compile(r"[A-Za-z0-9_-]{1,64}")  # what Telegram allows in a ?start= parameter

COMMANDS: list[tuple[str, str]] = [
    ("subscribe", N_("Get alerts for a topic or place: /subscribe kosovo")),
    ("list", N_("Your subscriptions, with remove buttons")),
    ("unsubscribe", N_("Remove a subscription: /unsubscribe 2")),
    ("why", N_("Reply to an alert: why it matched")),
    ("more", N_("Reply to an alert: the longer summary and other sources")),
    ("latest", N_("The newest stored articles: /latest kosovo")),
    ("digest", N_("Alerts as they come, or a digest: /digest daily 08:00")),
    ("timezone", N_("Your time zone: /timezone Europe/Kyiv")),
    ("quiet", N_("Hold alerts at night: /quiet 22:00-07:00")),
    ("mute", N_("Silence alerts for a while: /mute 2h")),
    ("unmute", N_("End a mute")),
    ("silent", N_("Alerts without a sound: /silent on, /silent 2 on")),
    ("photos", N_("Pictures with alerts: /photos on or off")),
    ("preview", N_("Link previews under alerts: /preview on or off")),
    ("export", N_("Your subscriptions as a file")),
    ("import", N_("Send an /export file back with /import as its caption")),
    ("pause", N_("Hold all alerts")),
    ("resume", N_("Send alerts again")),
    ("stop", N_("Forget this chat and everything it set up")),
    ("channel", N_("Alerts in a channel you run: /channel @name")),
    ("help", N_("How queries work")),
]

ADMIN_COMMANDS: list[tuple[str, str]] = [
    ("stats", N_("Operator: subscribers, feeds, alerts, queue")),
    ("feeds", N_("Operator: feed health")),
    ("addfeed", N_("Operator: add a feed: /addfeed URL")),
    ("removefeed", N_("Operator: remove feed N")),
]

HELP = N_(
    """<b>newsalert</b> sends one short message per news story that matches what you follow.

<b>Following things</b>
/subscribe kosovo – a place name follows the place: the country and the towns in it
/subscribe keyword:kosovo – just the word
/subscribe "power plant" – an exact phrase
/list – what you follow, numbered, with remove buttons
/unsubscribe 2 – remove number 2 (or /unsubscribe kosovo)

<b>Alerts</b>
Reply to an alert with /why (why it matched) or /more (longer summary, other sources), or use its buttons.
/latest kosovo – the newest stored articles about something

<b>When alerts come</b>
/digest daily 08:00, /digest hourly, /digest off – a digest instead of one message per story
/timezone Europe/Kyiv – for digests and quiet hours
/quiet 22:00-07:00 – hold alerts at night and send them as one message in the morning
/mute 2h and /unmute – silence for a while; /mute 2 8h, /unmute 2 – only subscription 2
/pause and /resume – until you say
/stop – forget this chat

<b>How alerts look</b>
/silent on – alerts without a sound; /silent 2 on – only subscription 2
/photos off – text only, no picture; /preview on – the article's link preview

<b>Channels and topics</b>
/channel @name – alerts in a channel you run (make me its admin who can post, or forward me a post from it); then /subscribe, /list, /digest… sent here act on it. /channel off to come back, /channels lists them
In a group with topics, /subscribe inside a topic sends that subscription's alerts to the topic

<b>Moving</b>
/export – your subscriptions as a file; send it back with /import as its caption to restore them

In a group, only its admins change what it follows: /subscribe@{bot} kosovo"""
)


def _start_tx(db: Any, chat_id: int, chat_type: str, title: str | None) -> tuple[bool, bool, int]:
    """Register the chat; returns (new, was_inactive, subscription count)."""
    row, created = subscribers.upsert_subscriber(db, chat_id, chat_type=chat_type, title=title)
    was_inactive = not row["active"]
    if was_inactive:
        subscribers.set_active(db, chat_id, True)
    return created, was_inactive, subscriptions.count_subscriptions(db, chat_id)


def _pause_tx(db: Any, chat_id: int, chat_type: str, title: str | None, paused: bool) -> bool:
    subscribers.upsert_subscriber(db, chat_id, chat_type=chat_type, title=title)
    return subscribers.set_paused(db, chat_id, paused)


async def start(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    chat = update.effective_chat
    if message is None or chat is None:
        return
    title = chat.title if is_group(chat) else None
    created, was_inactive, count = await services(context).db.run(_start_tx, chat.id, chat.type, title)
    if was_inactive:
        head = _("👋 Welcome back! Alerts are on again for this chat.")
    elif created:
        head = _("👋 Hi! I watch the news and send one short message per story that matches what you follow.")
    else:
        head = _("👋 Hi again!")
    if count:
        body = ngettext(
            "You follow {count} thing: /list shows them.",
            "You follow {count} things: /list shows them.",
            count,
        ).format(count=count)
    else:
        body = _(
            "Tell me what to follow, for example:\n/subscribe kosovo – the place and the towns in it\n"
            "/subscribe keyword:nato – just the word"
        )
    await reply(context, message, f"{head}\n{body}\n{_('/help explains the rest.')}")
    payload = command_argument(message)
    if _DEEP_LINK.fullmatch(payload):
        # t.me/<bot>?start=new_york: a shared link that means "follow this"; one tap confirms it.
        await suggest_subscription(context, message, re.sub(r"[_-]+", " ", payload))


async def help_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None:
        return
    await reply(context, message, _(HELP).format(bot=escape(context.bot.username or "bot")))


async def _set_paused(update: Update, context: ContextTypes.DEFAULT_TYPE, paused: bool) -> None:
    message = update.effective_message
    if message is None or not await may_change(update, context):
        return
    if (chat := await acting_chat(update, context)) is None:
        return
    title = chat.title if is_group(chat) else None
    changed = await services(context).db.run(_pause_tx, chat.id, chat.type, title, paused)
    if paused:
        text = (
            _("⏸ Alerts paused. /resume starts them again.")
            if changed
            else _("Alerts are already paused: /resume.")
        )
    else:
        text = _("▶️ Alerts are on again.") if changed else _("Alerts are already on.")
    await reply(context, message, text)


async def pause(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _set_paused(update, context, True)


async def resume(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _set_paused(update, context, False)


async def stop(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None or not await may_change(update, context):
        return
    keyboard = InlineKeyboardMarkup(
        [
            [
                InlineKeyboardButton(_("Yes, forget this chat"), callback_data="stop:yes"),
                InlineKeyboardButton(_("No"), callback_data="stop:no"),
            ]
        ]
    )
    await reply(
        context,
        message,
        _("This deletes this chat's subscriptions and settings, and no more alerts will come. Sure?"),
        reply_markup=keyboard,
    )


async def stop_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    callback = update.callback_query
    chat = update.effective_chat
    if callback is None or chat is None or not await may_change(update, context):
        return
    await callback.answer()
    if callback.data == "stop:no":
        await callback.edit_message_text(_("Nothing changed."))
        return
    svc = services(context)
    removed = await svc.db.run(subscribers.forget_subscriber, chat.id)
    for sub_id in removed:
        svc.matcher.remove(sub_id)
    await callback.edit_message_text(_("Done: I forgot this chat. /start if you ever want alerts again."))


HANDLERS = [
    CommandHandler("start", start),
    CommandHandler("help", help_command),
    CommandHandler("pause", pause),
    CommandHandler("resume", resume),
    CommandHandler("stop", stop),
    CallbackQueryHandler(stop_button, pattern=r"^stop:(yes|no)$"),
]
