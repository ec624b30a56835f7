"""When alerts arrive: ``/digest``, ``/timezone``, ``/quiet``, ``/mute`` and ``/unmute``, and the alert's Mute button.

The rules themselves (digest instants across DST, quiet hours, durations) live in :mod:`alerts.timing`; these handlers
parse what the user typed with it, store the setting, and answer with the setting as it now stands, in the user's
own time zone, so there is no doubt about what will happen.
"""

from __future__ import annotations

import time
from typing import Any

from telegram import Chat, InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.error import BadRequest
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes

from alerts import timing
from alerts.messages import alert_buttons, bold, escape, format_time, truncate
from handlers.context import acting_chat, command_argument, is_group, may_change, reply, services
from handlers.replies import refusal
from i18n.catalog import N_, _, current
from storage import digests, outbox, subscribers, subscriptions

_MUTE_CHOICES = (("2 h", 2), ("8 h", 8), ("24 h", 24))
_TOPIC_MUTE_HOURS = 24

# Reply texts of the per-subscription mute, in one place (plain literals, easy to wrap for translation).
_NO_SUCH_NUMBER = N_("There is no subscription number {number} here")
_NO_SUCH_NUMBER_HINT = N_("/list shows them with their numbers.")
_TOPIC_MUTED = N_(
    "🔕 <b>{query}</b> is muted until {until}; your other subscriptions still alert. /unmute {number} ends it."
)
_TOPIC_UNMUTED = N_("🔔 <b>{query}</b> alerts again.")
_TOPIC_BUTTON = N_("🔕 This topic 24 h")
_TOPIC_BUTTON_ANSWER = N_("“{query}” muted until {until}. /unmute {number} ends it.")


_TIMING_KEYS = {"digest", "digest_time", "timezone", "quiet_start", "quiet_end"}
_QUOTES = str.maketrans("", "", "\"'“”‘’«»")
_GONE = N_("That alert is no longer stored")


def _argument(update: Update) -> str:
    """The command's argument without quotation marks, which never belong in a time, a zone or a duration
    (``/timezone "Europe/Kyiv"`` just works, and a refusal never shows the user's quotes inside ours)."""
    message = update.effective_message
    return command_argument(message).translate(_QUOTES).strip() if message is not None else ""


def _timing_refusal(error: ValueError) -> str:
    """The timing parsers' errors are whole sentences that say what was wrong and what to send instead."""
    return refusal(escape(truncate(str(error), 500)))


def _ensure_tx(
    db: Any, chat_id: int, chat_type: str, title: str | None, values: dict[str, Any]
) -> dict[str, Any]:
    subscribers.upsert_subscriber(db, chat_id, chat_type=chat_type, title=title)
    row = subscribers.update_settings(db, chat_id, **values)
    assert row is not None
    if _TIMING_KEYS.intersection(values):
        # Alerts already held for a digest follow the new settings (turning a digest off releases them now).
        digests.retime_held(db, chat_id, release_at=timing.release_time(time.time(), row))
    return row


async def _save(context: ContextTypes.DEFAULT_TYPE, chat: Chat, **values: Any) -> dict[str, Any]:
    title = chat.title if is_group(chat) else None
    return await services(context).db.run(_ensure_tx, chat.id, chat.type, title, values)


def describe_delivery(row: dict[str, Any]) -> str:
    """The chat's delivery settings in one short HTML paragraph."""
    zone = row["timezone"] or "UTC"
    if row["digest"] == "daily":
        when = _("You get one daily digest at {time} ({zone}).").format(
            time=bold(row["digest_time"] or timing.DEFAULT_DIGEST_TIME), zone=escape(zone)
        )
    elif row["digest"] == "hourly":
        when = _("You get one digest an hour.")
    else:
        when = _("You get each alert as it comes.")
    lines = [when]
    if row["quiet_start"] and row["quiet_end"]:
        lines.append(
            _("Quiet hours {hours} ({zone}): what arrives then comes as one message when they end.").format(
                hours=bold(row["quiet_start"] + "–" + row["quiet_end"]), zone=escape(zone)
            )
        )
    if row["muted_until"] and row["muted_until"] > time.time():
        lines.append(_("Muted until {until}.").format(until=escape(format_time(row["muted_until"], zone))))
    return "\n".join(lines)


async def digest(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None:
        return
    words = _argument(update).split()
    mode = words[0].lower() if words else ""
    if mode not in ("off", "hourly", "daily") or (mode != "daily" and len(words) > 1) or len(words) > 2:
        hint = _(
            "Use /digest daily 08:00 (one message a day, at that time in your /timezone), /digest hourly, "
            "or /digest off (each alert as it comes)."
        )
        await reply(context, message, refusal(_("Which digest?"), hint=hint))
        return
    values: dict[str, Any] = {"digest": mode}
    if mode == "daily":
        try:
            values["digest_time"] = (
                timing.parse_hhmm(words[1]) if len(words) == 2 else timing.DEFAULT_DIGEST_TIME
            )
        except ValueError as error:
            await reply(context, message, _timing_refusal(error))
            return
    if not await may_change(update, context) or (chat := await acting_chat(update, context)) is None:
        return
    row = await _save(context, chat, **values)
    await reply(context, message, describe_delivery(row))


async def timezone(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None:
        return
    argument = _argument(update)
    if not argument:
        hint = _("For example /timezone Europe/Kyiv or /timezone New York.")
        await reply(context, message, refusal(_("Tell me your time zone"), hint=hint))
        return
    try:
        zone = timing.validate_timezone(argument)
    except ValueError as error:
        await reply(context, message, _timing_refusal(error))
        return
    if not await may_change(update, context) or (chat := await acting_chat(update, context)) is None:
        return
    row = await _save(context, chat, timezone=zone)
    now = format_time(time.time(), zone)
    await reply(
        context,
        message,
        _("Time zone set to {zone} (it is {now} there).").format(zone=bold(zone), now=escape(now))
        + "\n"
        + describe_delivery(row),
    )


async def quiet(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None:
        return
    argument = _argument(update)
    if not argument:
        hint = _("Use /quiet 22:00-07:00 to hold alerts at night (in your /timezone), /quiet off to end.")
        await reply(context, message, refusal(_("Which hours?"), hint=hint))
        return
    if argument.lower() == "off":
        values: dict[str, Any] = {"quiet_start": None, "quiet_end": None}
    else:
        try:
            start, end = timing.parse_quiet_range(argument)
        except ValueError as error:
            await reply(context, message, _timing_refusal(error))
            return
        values = {"quiet_start": start, "quiet_end": end}
    if not await may_change(update, context) or (chat := await acting_chat(update, context)) is None:
        return
    row = await _save(context, chat, **values)
    await reply(
        context,
        message,
        (_("Quiet hours off.") + "\n" if argument.lower() == "off" else "") + describe_delivery(row),
    )


def _split_number(argument: str) -> tuple[int | None, str]:
    """``"2 8h"`` -> ``(2, "8h")``: a leading list number names one subscription; ``"8h"`` -> ``(None, "8h")``."""
    first, _space, rest = argument.strip().partition(" ")
    if first.lstrip("#").isdigit() and rest.strip():
        return int(first.lstrip("#")), rest.strip()
    return None, argument


def _mute_one_tx(
    db: Any, chat_id: int, number: int, until: float | None
) -> tuple[dict[str, Any], int, str] | None:
    """Mute (or unmute, ``until`` None) the chat's ``number``-th subscription; the row, its number and the zone."""
    sub = subscriptions.subscription_by_number(db, chat_id, number)
    if sub is None:
        return None
    row = subscriptions.set_muted_until(db, chat_id, sub["id"], until)
    assert row is not None
    subscriber = subscribers.get_subscriber(db, chat_id)
    return row, number, subscriber["timezone"] if subscriber else "UTC"


def _number_of_tx(db: Any, chat_id: int, subscription_id: int) -> int:
    return int(
        db.execute(
            "SELECT count(*) FROM subscriptions WHERE chat_id = ? AND id <= ?", [chat_id, subscription_id]
        ).fetchone()[0]
    )


async def _mute_subscription(
    update: Update, context: ContextTypes.DEFAULT_TYPE, number: int, until: float | None
) -> None:
    """``/mute N 8h`` and ``/unmute N``: one subscription only; the chat's other subscriptions keep alerting."""
    message = update.effective_message
    if message is None or not await may_change(update, context):
        return
    if (chat := await acting_chat(update, context)) is None:
        return
    found = await services(context).db.run(_mute_one_tx, chat.id, number, until)
    if found is None:
        text = refusal(_(_NO_SUCH_NUMBER).format(number=number), hint=_(_NO_SUCH_NUMBER_HINT))
        await reply(context, message, text)
        return
    row, number, zone = found
    query = escape(truncate(row["raw"], 200))
    if until is None:
        await reply(context, message, _(_TOPIC_UNMUTED).format(query=query))
    else:
        when = escape(format_time(until, zone))
        await reply(context, message, _(_TOPIC_MUTED).format(query=query, until=when, number=number))


async def mute(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None:
        return
    number, argument = _split_number(_argument(update) or "2h")
    try:
        duration = timing.parse_duration(argument)
    except ValueError as error:
        await reply(context, message, _timing_refusal(error))
        return
    if number is not None:
        await _mute_subscription(update, context, number, time.time() + duration.total_seconds())
        return
    if not await may_change(update, context) or (chat := await acting_chat(update, context)) is None:
        return
    row = await _save(context, chat, muted_until=time.time() + duration.total_seconds())
    await reply(
        context,
        message,
        _("🔕 Muted until {until}. /unmute ends it sooner.").format(
            until=escape(format_time(row["muted_until"], row["timezone"]))
        ),
    )


async def unmute(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    if message is None:
        return
    argument = command_argument(message).lstrip("#")
    if argument.isdigit():
        await _mute_subscription(update, context, int(argument), None)
        return
    if not await may_change(update, context) or (chat := await acting_chat(update, context)) is None:
        return
    await _save(context, chat, muted_until=None)
    await reply(context, message, _("🔔 Alerts are on again."))


def _mute_keyboard(delivery_id: int, query: str | None) -> InlineKeyboardMarkup:
    row = [
        InlineKeyboardButton(f"🔕 {label}", callback_data=f"mutefor:{delivery_id}:{hours}")
        for label, hours in _MUTE_CHOICES
    ]
    second = []
    if query is not None:
        row.append(InlineKeyboardButton(_(_TOPIC_BUTTON), callback_data=f"mutesub:{delivery_id}"))
        label = _("Unsubscribe “{query}”").format(query=query[:30])
        second.append(InlineKeyboardButton(label, callback_data=f"unsubfrom:{delivery_id}"))
    second.append(InlineKeyboardButton(_("↩ Back"), callback_data=f"muteback:{delivery_id}"))
    return InlineKeyboardMarkup([row, second])


def _alert_keyboard(delivery_id: int) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup(
        [
            [InlineKeyboardButton(label, callback_data=data) for label, data in row]
            for row in alert_buttons(delivery_id, current())
        ]
    )


def _mute_target_tx(
    db: Any, chat_id: int, delivery_id: int
) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    delivery = outbox.get_delivery(db, delivery_id)
    if delivery is None or delivery["chat_id"] != chat_id:
        return None, None
    sub = (
        subscriptions.get_subscription(db, delivery["subscription_id"])
        if delivery["subscription_id"]
        else None
    )
    return delivery, sub if sub is not None and sub["chat_id"] == chat_id else None


async def _set_markup(update: Update, markup: InlineKeyboardMarkup) -> None:
    callback = update.callback_query
    assert callback is not None
    try:
        await callback.edit_message_reply_markup(reply_markup=markup)
    except BadRequest as error:
        if "not modified" not in str(error).lower():
            raise


async def mute_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The alert's Mute: swap its buttons for choices (mute the chat for a while, or drop the subscription)."""
    callback = update.callback_query
    chat = update.effective_chat
    if callback is None or chat is None or callback.data is None:
        return
    action, _colon, rest = callback.data.partition(":")
    delivery_id = int(rest.split(":")[0])
    if not await may_change(update, context):
        return
    svc = services(context)
    delivery, sub = await svc.db.run(_mute_target_tx, chat.id, delivery_id)
    if delivery is None:
        await callback.answer(refusal(_(_GONE)), show_alert=True)
        return
    if action == "mute":
        await callback.answer()
        await _set_markup(update, _mute_keyboard(delivery_id, sub["raw"] if sub else None))
    elif action == "mutefor":
        hours = int(rest.split(":")[1])
        row = await _save(context, chat, muted_until=time.time() + hours * 3600)
        await callback.answer(
            _("Muted until {until}. /unmute ends it.").format(
                until=format_time(row["muted_until"], row["timezone"])
            )
        )
        await _set_markup(update, _alert_keyboard(delivery_id))
    elif action == "mutesub" and sub is not None:
        until = time.time() + _TOPIC_MUTE_HOURS * 3600
        await svc.db.run(subscriptions.set_muted_until, chat.id, sub["id"], until)
        number = await svc.db.run(_number_of_tx, chat.id, sub["id"])
        zone = (await svc.db.run(subscribers.get_subscriber, chat.id) or {}).get("timezone") or "UTC"
        await callback.answer(
            _(_TOPIC_BUTTON_ANSWER).format(
                query=truncate(sub["raw"], 100), until=format_time(until, zone), number=number
            )
        )
        await _set_markup(update, _alert_keyboard(delivery_id))
    elif action == "unsubfrom":
        removed = await svc.db.run(subscriptions.remove_subscription, chat.id, sub["id"]) if sub else None
        if removed is not None:
            svc.matcher.remove(removed["id"])
            await callback.answer(_("Unsubscribed from “{query}”.").format(query=removed["raw"][:150]))
        else:
            await callback.answer(_("That subscription is already gone."))
        await _set_markup(update, _alert_keyboard(delivery_id))
    else:
        await callback.answer()
        await _set_markup(update, _alert_keyboard(delivery_id))


HANDLERS = [
    CommandHandler("digest", digest),
    CommandHandler("timezone", timezone),
    CommandHandler("quiet", quiet),
    CommandHandler("mute", mute),
    CommandHandler("unmute", unmute),
    CallbackQueryHandler(
        mute_button, pattern=r"^(mute|muteback|unsubfrom|mutesub):\d+$|^mutefor:\d+:(2|8|24)$"
    ),
]
