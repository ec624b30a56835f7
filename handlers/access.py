"""The gate every update passes before any command: repeats (recorded in storage, so they survive a restart),
allowed users and the per-user rate limit.

It runs in its own handler group ahead of the others and stops the update (``ApplicationHandlerStop``) when it
must not be handled. Membership and migration updates always pass: they are Telegram's, not the user's.
"""

from __future__ import annotations

import sqlite3

from telegram import Update
from telegram.ext import ApplicationHandlerStop, ContextTypes, TypeHandler

from handlers.channels import channel_post
from handlers.context import reply, services
from handlers.replies import refusal
from i18n.catalog import _
from storage import updates
from storage.fullness import FULL, is_full

GROUP = -1


async def gate(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    guard = services(context).guard
    if not await _first_time(update, context):
        raise ApplicationHandlerStop
    if update.my_chat_member is not None:
        return
    if update.channel_post is not None:
        await channel_post(update, context)  # its name is noted; nothing in a channel is a command for us
        raise ApplicationHandlerStop
    message = update.message or update.edited_message
    if message is not None and (message.migrate_to_chat_id or message.migrate_from_chat_id):
        return
    user = update.effective_user
    # An admin posting "as the group" arrives from a bot account (GroupAnonymousBot) with the group as sender_chat.
    anonymous_admin = (
        message is not None and message.sender_chat is not None and message.sender_chat.id == message.chat.id
    )
    if update.edited_message is not None or user is None or (user.is_bot and not anonymous_admin):
        raise ApplicationHandlerStop
    sender = message.chat.id if anonymous_admin and message is not None else user.id
    # A file's caption counts as its text: "/import" comes as the caption of the export file.
    text = (message.text or (message.caption if message.document else None)) if message is not None else None
    if message is not None and not text and message.forward_origin is None:
        # Photos, stickers, joins...: nothing to answer, and not worth a rate-limit slot.
        raise ApplicationHandlerStop
    if message is not None and text and message.chat.type != "private" and not text.startswith("/"):
        # Group chatter (when privacy mode is off) is not for us.
        raise ApplicationHandlerStop
    if not guard.is_allowed(sender):
        await _refuse(update, context, refusal(_("This bot is private")), sender, 60.0)
        raise ApplicationHandlerStop
    wait = guard.rate.take(sender)
    if wait is not None:
        why = _("wait {seconds} s and try again").format(seconds=max(1, round(wait)))
        text = refusal(_("Too many commands"), why)
        await _refuse(update, context, text, sender, wait)
        raise ApplicationHandlerStop


async def _first_time(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Whether this update is new. With the disk full it cannot be recorded: handle it anyway, so read-only
    commands keep working (a repeat after a crash could then be answered twice; a write fails anyway)."""
    try:
        return await services(context).db.run(updates.first_time, update.update_id)
    except sqlite3.OperationalError as error:
        if not is_full(error):
            raise
        FULL.noticed(error, "recording an update")
        return True


async def _refuse(
    update: Update, context: ContextTypes.DEFAULT_TYPE, text: str, user_id: int, wait: float
) -> None:
    """Say no once per window: answering every message of a flood would be a flood of our own."""
    if not services(context).guard.rate.first_refusal(user_id, wait):
        if update.callback_query is not None:
            await update.callback_query.answer()
        return
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    elif update.effective_message is not None:
        await reply(context, update.effective_message, text)


HANDLER = TypeHandler(Update, gate)
