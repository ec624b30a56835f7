"""Channels: ``/channel @name`` (or a post forwarded from the channel) links one, ``/channels`` lists them,
``/channel off`` ends managing one; and what Telegram tells the bot about channels (posts, its admin rights).

A channel cannot send commands, so its admin manages it from their private chat: once linked, the commands they
send there act on the channel (:func:`handlers.context.acting_chat`) and every answer names it. Linking asks
Telegram, not the user: the bot must be an admin of the channel who can post, and the user one of its admins.
Commands typed into a channel are ignored: anyone who can post there could type them, and nobody would read
the answer.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from telegram import Chat, ChatMember, ChatMemberUpdated, Message, MessageOriginChannel, Update
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import CommandHandler, ContextTypes, MessageHandler, filters

from alerts.channel_loss import channel_label, lost_notices
from handlers.context import command_argument, reply, send_reliably, services
from handlers.replies import refusal, shown
from i18n.catalog import N_, _, ngettext
from storage import channels, outbox, subscribers

_ADMINS = {ChatMember.OWNER, ChatMember.ADMINISTRATOR}
# @name, t.me/name or https://t.me/name (Telegram names: 5-32 letters, digits, underscores), or a -100… chat id.
_REFERENCE = re.compile(r"^(?:@|(?:https?://)?t\.me/)?([A-Za-z][A-Za-z0-9_]{3,31})$|^(-100\d{5,15})$")
_MANAGED = "/subscribe, /list, /unsubscribe, /digest, /quiet, /timezone, /mute, /pause and /resume"
_HOW = N_(
    "To link a channel: make me one of its admins with the right to post messages, then send "
    "<code>/channel @name</code> here, or forward me a post from it."
)


def parse_reference(text: str) -> str | int | None:
    """What ``/channel`` was given, as getChat takes it ("@name" or a numeric id); None if it names nothing."""
    found = _REFERENCE.match(text.strip())
    if found is None:
        return None
    return f"@{found.group(1)}" if found.group(1) else int(found.group(2))


def _may_post(member: ChatMember | None) -> bool:
    """Whether the bot, as this member of a channel, can post there (an admin with ``can_post_messages``)."""
    if member is None:
        return False
    return member.status == ChatMember.OWNER or (
        member.status == ChatMember.ADMINISTRATOR and bool(getattr(member, "can_post_messages", False))
    )


async def channel_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/channel @name`` links and manages a channel, ``/channel off`` this chat again, bare: the linked ones."""
    message = update.effective_message
    if message is None or update.effective_user is None:
        return
    if message.chat.type != Chat.PRIVATE:
        hint = _("Send /channel @name to me in a private chat. A group is managed in the group itself.")
        await reply(context, message, refusal(_("Channels are linked from a private chat"), hint=hint))
        return
    argument = command_argument(message)
    if not argument:
        await list_command(update, context)
        return
    if argument.lower() == "off":
        await services(context).db.run(channels.set_target, message.chat.id, None)
        await reply(
            context,
            message,
            _("Commands you send here act on this chat again. /channels lists your channels."),
        )
        return
    reference = parse_reference(argument)
    if reference is None:
        hint = _("Send /channel @name (the channel's public name), or forward me a post from the channel.")
        await reply(
            context,
            message,
            refusal(_("{name} is not a channel name").format(name=shown(argument)), hint=hint),
        )
        return
    await link(context, message, update.effective_user.id, reference, shown_as=shown(argument))


async def forwarded_post(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A post forwarded from a channel into the private chat: link that channel (a channel without an @name can
    only be linked so)."""
    message = update.effective_message
    if message is None or update.effective_user is None:
        return
    origin = message.forward_origin
    assert isinstance(origin, MessageOriginChannel)  # the filter lets only these through
    await link(
        context, message, update.effective_user.id, origin.chat.id, shown_as=_("the channel of that post")
    )


async def link(
    context: ContextTypes.DEFAULT_TYPE, message: Message, user_id: int, reference: str | int, *, shown_as: str
) -> None:
    """Check with Telegram that the bot may post in the channel and the user administers it, then link it."""
    bot = context.bot
    try:
        chat = await bot.get_chat(reference)
    except (BadRequest, Forbidden):
        hint = _("Check the name; for a channel without one, forward me a post from it.")
        await reply(
            context, message, refusal(_("I can't find {channel}").format(channel=shown_as), hint=hint)
        )
        return
    if chat.type != Chat.CHANNEL:
        hint = _("A group is managed in the group itself: add me there and send /subscribe.")
        await reply(
            context, message, refusal(_("{channel} is not a channel").format(channel=shown_as), hint=hint)
        )
        return
    label = channel_label({"title": chat.title, "username": chat.username})[0]
    if not _may_post(await _member(context, chat.id, bot.id)):
        why = _("I am not one of its admins with the right to post messages")
        hint = _("Add me as an admin who can post messages, then send /channel again.")
        await reply(
            context, message, refusal(_("I can't post in {channel}").format(channel=label), why, hint)
        )
        return
    member = await _member(context, chat.id, user_id)
    if member is None or member.status not in _ADMINS:
        hint = _("Only its admins can link a channel.")
        await reply(
            context, message, refusal(_("You are not an admin of {channel}").format(channel=label), hint=hint)
        )
        return
    await services(context).db.run(
        channels.link_channel, chat.id, user_id, title=chat.title, username=chat.username
    )
    await reply(
        context,
        message,
        _(
            "📣 Linked the channel {channel}. The commands you send here now act on it: {commands}.\n"
            "Its alerts have no buttons (its readers could not use them).\n"
            "/channel off to manage this chat again, /channels to see your channels."
        ).format(channel=label, commands=_MANAGED),
    )


async def _member(context: ContextTypes.DEFAULT_TYPE, chat_id: int, user_id: int) -> ChatMember | None:
    """getChatMember, asked now (the guard's cache could be a minute old); None if Telegram will not say."""
    try:
        return await context.bot.get_chat_member(chat_id, user_id)
    except TelegramError:
        return None


def _list_tx(db: Any, user_id: int) -> tuple[list[dict[str, Any]], int | None]:
    target = channels.get_target(db, user_id)
    return channels.linked_channels(db, user_id), target["chat_id"] if target else None


async def list_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/channels``: the channels this user linked, which one commands act on, and whether each still alerts."""
    message = update.effective_message
    if message is None or update.effective_user is None:
        return
    if message.chat.type != Chat.PRIVATE:
        await reply(
            context,
            message,
            refusal(_("Channels are listed in a private chat"), hint=_("Send /channels to me there.")),
        )
        return
    rows, target = await services(context).db.run(_list_tx, update.effective_user.id)
    if not rows:
        await reply(context, message, _("No channels linked yet.") + " " + _(_HOW))
        return
    lines = [_("<b>Your channels</b>:")]
    for row in rows:
        state = (
            "" if row["active"] else _(" — ⚠️ I can't post there: make me an admin again and link it again")
        )
        here = _(" — ✏️ commands act on it now") if row["chat_id"] == target else ""
        count = int(row["subscriptions"])
        entry = ngettext("• {channel}: {count} subscription", "• {channel}: {count} subscriptions", count)
        lines.append(entry.format(channel=channel_label(row)[0], count=count) + state + here)
    lines.append(_("/channel @name to manage one, /channel off to manage this chat."))
    await reply(context, message, "\n".join(lines))


async def channel_post(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A post in a channel the bot is in: keep its title and @name current. The gate (:mod:`handlers.access`)
    calls this and lets the post go no further, so commands typed in a channel are never answered."""
    post = update.channel_post
    if post is None:
        return
    await services(context).db.run(
        channels.note_seen, post.chat.id, title=post.chat.title, username=post.chat.username
    )


def _lost_tx(db: Any, chat_id: int) -> list[tuple[int, str, str]]:
    if (subscribers.get_subscriber(db, chat_id) or {}).get("chat_type") != "channel":
        return []
    outbox.deactivate_chat(db, chat_id, "the bot can no longer post in the channel")
    return lost_notices(db, chat_id)


async def bot_status_changed(change: ChatMemberUpdated, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``my_chat_member`` in a channel: losing the right to post stops its alerts (and its admins hear it once);
    getting it back restarts them."""
    chat = change.chat
    db = services(context).db
    await db.run(channels.note_seen, chat.id, title=chat.title, username=chat.username)
    could, can = _may_post(change.old_chat_member), _may_post(change.new_chat_member)
    if could == can:
        return
    if can:
        await db.run(channels.restore, chat.id)
        return
    for admin, html, _plain in await db.run(_lost_tx, chat.id):
        await send_reliably(context, functools.partial(context.bot.send_message, admin, html))


class _ChannelForward(filters.MessageFilter):
    """A message forwarded from a channel."""

    def filter(self, message: Message) -> bool:
        return isinstance(message.forward_origin, MessageOriginChannel)


HANDLERS = [
    CommandHandler("channel", channel_command, filters=filters.UpdateType.MESSAGE),
    CommandHandler("channels", list_command, filters=filters.UpdateType.MESSAGE),
    MessageHandler(filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE & _ChannelForward(), forwarded_post),
]
