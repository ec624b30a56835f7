"""How alerts look and sound in a chat: ``/preview on|off``, ``/photos on|off``, ``/silent on|off`` and
``/silent N on|off`` for one subscription.

The settings are stored on the subscriber (``link_preview``, ``photos``, ``silent``) and the subscription
(``silent``); :mod:`alerts.appearance` reads them when each alert is sent, so a change applies from the next alert
on, including alerts already queued. Each answer says what the setting now is and how to undo it.
"""

from __future__ import annotations

from typing import Any

from telegram import Update
from telegram.ext import CommandHandler, ContextTypes

from alerts.messages import bold, truncate
from handlers.context import command_argument, is_group, may_change, reply, services
from i18n.catalog import N_, _
from storage import subscribers, subscriptions

# Reply texts, in one place (marked for the catalog, translated when sent).
_SWITCHES = {
    "preview": (
        "link_preview",
        N_("🔗 Link previews on: text alerts show the article's preview. /preview off hides it."),
        N_("Link previews off: text alerts show no preview. /preview on shows it."),
    ),
    "photos": (
        "photos",
        N_(
            "🖼 Photo alerts on: an article with a picture arrives as the picture with the alert under it. "
            "/photos off sends text only."
        ),
        N_("Photo alerts off: every alert is a text message. /photos on brings pictures back."),
    ),
    "silent": (
        "silent",
        N_("🔇 Alerts and digests in this chat now arrive silently (no sound). /silent off ends it."),
        N_("🔔 Alerts in this chat arrive with a notification again."),
    ),
}
_USAGE = {
    "preview": N_(
        "Use /preview on or /preview off (the article's link preview under text alerts; now {state})."
    ),
    "photos": N_("Use /photos on or /photos off (a picture with alerts whose article has one; now {state})."),
    "silent": N_(
        "Use /silent on or /silent off for the whole chat (now {state}), or /silent 2 on for subscription 2 only."
    ),
}
_NO_SUCH_NUMBER = N_("There is no subscription number {number} here. /list shows them with their numbers.")
_TOPIC_SILENT = N_(
    "🔇 Alerts of {query} now arrive silently; your other subscriptions still notify. /silent {number} off ends it."
)
_TOPIC_LOUD = N_("🔔 Alerts of {query} arrive with a notification again.")
_SILENT_ONES = N_("Silent subscriptions: {numbers}.")
_WORDS = {"on": True, "off": False}


def _chat_tx(
    db: Any, chat_id: int, chat_type: str, title: str | None, values: dict[str, Any]
) -> dict[str, Any]:
    """Create the subscriber if needed and set ``values``; the row as it now stands."""
    subscribers.upsert_subscriber(db, chat_id, chat_type=chat_type, title=title)
    row = subscribers.update_settings(db, chat_id, **values)
    assert row is not None
    return row


def _silent_numbers_tx(db: Any, chat_id: int) -> list[int]:
    rows = subscriptions.list_subscriptions(db, chat_id)
    return [number for number, row in enumerate(rows, start=1) if row.get("silent")]


def _silent_one_tx(db: Any, chat_id: int, number: int, silent: bool) -> dict[str, Any] | None:
    sub = subscriptions.subscription_by_number(db, chat_id, number)
    return None if sub is None else subscriptions.set_silent(db, chat_id, sub["id"], silent)


async def _switch(update: Update, context: ContextTypes.DEFAULT_TYPE, name: str) -> None:
    """``/preview``, ``/photos`` and ``/silent`` for the whole chat (``/silent N`` goes to :func:`_silent_one`)."""
    message = update.effective_message
    chat = update.effective_chat
    if message is None or chat is None:
        return
    column, said_on, said_off = _SWITCHES[name]
    words = command_argument(message).lower().split()
    if name == "silent" and words and words[0].lstrip("#").isdigit():
        await _silent_one(update, context, words)
        return
    svc = services(context)
    if len(words) != 1 or words[0] not in _WORDS:
        row = await svc.db.run(subscribers.get_subscriber, chat.id)
        default = 1 if column == "photos" else 0
        state = _("on") if (row or {}).get(column, default) else _("off")
        lines = [_(_USAGE[name]).format(state=state)]
        numbers = await svc.db.run(_silent_numbers_tx, chat.id) if name == "silent" else []
        if numbers:
            lines.append(_(_SILENT_ONES).format(numbers=", ".join(map(str, numbers))))
        await reply(context, message, "\n".join(lines))
        return
    if not await may_change(update, context):
        return
    value = _WORDS[words[0]]
    title = chat.title if is_group(chat) else None
    await svc.db.run(_chat_tx, chat.id, chat.type, title, {column: int(value)})
    await reply(context, message, _(said_on if value else said_off))


async def _silent_one(update: Update, context: ContextTypes.DEFAULT_TYPE, words: list[str]) -> None:
    """``/silent N on|off``: one subscription's alerts without (or with) a sound; the others are unchanged."""
    message = update.effective_message
    chat = update.effective_chat
    assert message is not None and chat is not None
    number = int(words[0].lstrip("#"))
    if len(words) != 2 or words[1] not in _WORDS:
        await reply(context, message, _(_USAGE["silent"]).format(state=_("see /silent")))
        return
    if not await may_change(update, context):
        return
    row = await services(context).db.run(_silent_one_tx, chat.id, number, _WORDS[words[1]])
    if row is None:
        await reply(context, message, _(_NO_SUCH_NUMBER).format(number=number))
        return
    query = bold(truncate(row["raw"], 200))
    text = _TOPIC_SILENT if row["silent"] else _TOPIC_LOUD
    await reply(context, message, _(text).format(query=query, number=number))


async def preview(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _switch(update, context, "preview")


async def photos(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _switch(update, context, "photos")


async def silent(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    await _switch(update, context, "silent")


HANDLERS = [
    CommandHandler("preview", preview),
    CommandHandler("photos", photos),
    CommandHandler("silent", silent),
]
