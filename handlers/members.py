"""Telegram telling us about the bot's own membership: blocked, unblocked, removed from or added to a group, and
groups that became supergroups.

These updates are the authoritative version of what delivery learns from a 403: acting on them stops alerts to a
chat before a message is wasted, and brings a chat back as soon as it can receive messages again.
"""

from __future__ import annotations

import functools
from typing import Any

from telegram import Chat, ChatMember, ChatMemberUpdated, Update
from telegram.ext import ChatMemberHandler, ContextTypes, MessageHandler, filters

from handlers.channels import bot_status_changed
from handlers.context import is_group, send_reliably, services
from i18n.catalog import _
from storage import outbox, subscribers

_GONE = {ChatMember.BANNED, ChatMember.LEFT}
_PRESENT = {ChatMember.MEMBER, ChatMember.ADMINISTRATOR, ChatMember.OWNER}


def _reachable(change: ChatMemberUpdated) -> bool | None:
    """True if the bot just became able to write to the chat, False if it just lost that, None if neither."""
    old = change.old_chat_member.status
    new = change.new_chat_member.status
    if new == ChatMember.RESTRICTED:
        # A restricted bot is still in the group; whether it may write is in can_send_messages.
        can_send = bool(getattr(change.new_chat_member, "can_send_messages", False))
        was = old in _PRESENT or (
            old == ChatMember.RESTRICTED and getattr(change.old_chat_member, "can_send_messages", False)
        )
        return None if can_send == was else can_send
    if new in _GONE and old not in _GONE:
        return False
    if new in _PRESENT and old not in _PRESENT:
        return True
    return None


def _membership_tx(db: Any, chat_id: int, chat_type: str, title: str | None, reachable: bool) -> bool:
    """Record the change; a chat that was never a subscriber is only created when the bot joins it."""
    if reachable:
        _row, created = subscribers.upsert_subscriber(db, chat_id, chat_type=chat_type, title=title)
        return subscribers.set_active(db, chat_id, True) or created
    # As on a 403: inactive, and what was queued is dropped, so a later /start does not bring a backlog.
    row = subscribers.get_subscriber(db, chat_id)
    outbox.deactivate_chat(db, chat_id, "the bot was blocked or removed from the chat")
    return bool(row and row["active"])


async def my_chat_member(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    change = update.my_chat_member
    if change is None:
        return
    if change.chat.type == Chat.CHANNEL:
        await bot_status_changed(change, context)  # in a channel, what counts is the right to post
        return
    reachable = _reachable(change)
    if reachable is None:
        return
    chat = change.chat
    title = chat.title if is_group(chat) else None
    changed = await services(context).db.run(_membership_tx, chat.id, chat.type, title, reachable)
    if changed and reachable and is_group(chat):
        username = context.bot.username or "bot"
        hello = _(
            "👋 Hi! I send one short message per news story that matches what this group follows.\n"
            "Group admins: /subscribe@{bot} kosovo to start, /help@{bot} for more."
        ).format(bot=username)
        await send_reliably(context, functools.partial(context.bot.send_message, chat.id, hello))


async def migrated(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A group became a supergroup: Telegram sends this in the old chat (``migrate_to``) and the new one
    (``migrate_from``); whichever comes first moves the subscriptions, the other finds nothing to move."""
    message = update.effective_message
    if message is None:
        return
    if message.migrate_to_chat_id:
        old, new = message.chat.id, message.migrate_to_chat_id
    elif message.migrate_from_chat_id:
        old, new = message.migrate_from_chat_id, message.chat.id
    else:
        return
    # Subscription ids survive the move, so the live matcher needs no change; delivery does the same on a 400
    # with migrate_to_chat_id, and whichever comes second finds nothing left to move.
    await services(context).db.run(outbox.migrate_chat, old, new)


HANDLERS = [
    ChatMemberHandler(my_chat_member, ChatMemberHandler.MY_CHAT_MEMBER),
    MessageHandler(filters.StatusUpdate.MIGRATE, migrated),
]
