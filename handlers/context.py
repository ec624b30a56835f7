"""What every handler needs (config, database, live matcher, guard), and the helpers they share.

Handlers run on the event loop, which must never wait on SQLite: a poll cycle holding the write lock could stall
every chat for seconds. So handlers get their own connection, used only from one worker thread (:class:`DbWorker`):
their writes are serialised among themselves and wait for the poll cycle's lock off the loop.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import logging
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

import sqlite_utils
from telegram import Chat, Message, Update
from telegram.error import BadRequest, NetworkError, TimedOut
from telegram.ext import ContextTypes

from alerts.channel_loss import channel_label
from alerts.messages import MAX_MESSAGE
from feeds.ingest import PollingSettings
from handlers.guard import Guard
from handlers.replies import refusal
from i18n.catalog import _
from matching import Matcher
from storage.channels import get_target
from storage.db import connect

T = TypeVar("T")
log = logging.getLogger(__name__)


class DbWorker:
    """One SQLite connection used from one thread; ``await worker.run(fn, *args)`` calls ``fn(db, *args)`` there."""

    def __init__(self, path: str | Path) -> None:
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="handlers-db")
        self._db: sqlite_utils.Database = self._executor.submit(connect, path).result()

    async def run(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run ``fn`` in the worker thread, in a copy of the caller's context (its language, see i18n.catalog)."""
        loop = asyncio.get_running_loop()
        call = functools.partial(fn, self._db, *args, **kwargs)
        return await loop.run_in_executor(self._executor, contextvars.copy_context().run, call)

    def close(self) -> None:
        self._executor.submit(self._db.conn.close).result()
        self._executor.shutdown(wait=True)


class ChatLimits(Protocol):
    """What handlers read of the ``[telegram]`` settings."""

    @property
    def max_subscriptions(self) -> int: ...


class ConfiguredFeed(Protocol):
    """A ``[[feeds]]`` entry, as far as handlers care: its URL (to say a removed feed comes back)."""

    @property
    def url(self) -> str: ...


class HandlerConfig(Protocol):
    """The configuration handlers are handed through :class:`Services` (``bot.config.Config`` has it).

    Handlers never import ``bot/``: the application that builds them passes its config in, and this names what
    they read of it.
    """

    @property
    def telegram(self) -> ChatLimits: ...

    @property
    def polling(self) -> PollingSettings: ...

    @property
    def feeds(self) -> Sequence[ConfiguredFeed]: ...


@dataclass
class Services:
    """Shared state, kept in ``application.bot_data["services"]`` by ``bot.app``."""

    config: HandlerConfig
    db: DbWorker
    matcher: Matcher
    guard: Guard


def services(context: ContextTypes.DEFAULT_TYPE) -> Services:
    return context.bot_data["services"]


def command_argument(message: Message) -> str:
    """The text after ``/command`` or ``/command@bot``, as typed (keeps quotes and spacing that ``args`` loses)."""
    text = message.text or ""
    entities = message.entities or ()
    if entities and entities[0].type == "bot_command" and entities[0].offset == 0:
        return text[entities[0].length :].strip()
    return ""


def is_group(chat: Chat) -> bool:
    return chat.type in (Chat.GROUP, Chat.SUPERGROUP)


_RETRY_DELAYS = (0.5, 1.0, 2.0, 4.0)


async def reply(context: ContextTypes.DEFAULT_TYPE, message: Message, text: str, **kwargs: Any) -> None:
    """``message.reply_text``, resent if Telegram fails it for a moment (see :func:`send_reliably`).

    An answer to a command that acted on a channel (see :func:`acting_chat`) says so on a last line.
    """
    acting = (context.chat_data or {}).get("acting")
    if acting is not None and acting["message"] == message.message_id and acting["label"]:
        note = "\n\n" + _(
            "📣 This was for the channel {channel}. /channel off to manage this chat again."
        ).format(channel=acting["label"])
        text += note if len(text) + len(note) <= MAX_MESSAGE else ""
    await send_reliably(context, lambda: message.reply_text(text, **kwargs))


async def acting_chat(update: Update, context: ContextTypes.DEFAULT_TYPE) -> Chat | None:
    """The chat a command acts on: the update's own, or the channel its private chat manages (``/channel``).

    A channel is acted on only while the sender is still one of its admins; if not, they are told and the answer
    is None. The answer is kept for the rest of the update, so every step of a command acts on the same chat.
    """
    chat, message, user = update.effective_chat, update.effective_message, update.effective_user
    if chat is None or chat.type != Chat.PRIVATE or context.chat_data is None:
        return chat
    acting = context.chat_data.get("acting")
    if acting is not None and acting["update"] == update.update_id:
        return acting["chat"]
    row = await services(context).db.run(get_target, chat.id)
    label, plain = "", ""
    acted: Chat | None = chat
    if row is not None:
        label, plain = channel_label(row)
        admin = user is not None and await services(context).guard.is_group_admin(
            context.bot, row["chat_id"], user.id
        )
        acted = (
            Chat(row["chat_id"], Chat.CHANNEL, title=row["title"], username=row["username"])
            if admin
            else None
        )
    context.chat_data["acting"] = {
        "update": update.update_id,
        "message": message.message_id if message is not None else None,
        "chat": acted,
        "label": label,
    }
    if acted is None:
        hint = _("/channel off to manage this chat.")
        if update.callback_query is not None:
            await update.callback_query.answer(
                refusal(_("You are no longer an admin of {channel}").format(channel=plain), hint=hint)
            )
        elif message is not None:
            text = refusal(
                _("You are no longer an admin of the channel {channel}").format(channel=label), hint=hint
            )
            await send_reliably(context, lambda: message.reply_text(text))
    return acted


async def send_reliably(context: ContextTypes.DEFAULT_TYPE, send: Callable[[], Awaitable[Any]]) -> None:
    """Send an answer; after a transient failure (a 5xx, a refused or reset connection) try again a few times.

    A request that never reached Telegram can be repeated without a duplicate; a timeout may have reached it, so it
    is not repeated. The retries run in a task of their own so other users' updates keep moving meanwhile.
    """
    try:
        await send()
    except (TimedOut, BadRequest):
        # PTB's BadRequest (a 400: Telegram refused it for good) is a NetworkError too: never repeat it.
        raise
    except NetworkError as error:
        log.warning("an answer failed (%s); trying again", error)
        context.application.create_task(_send_later(send))


async def _send_later(send: Callable[[], Awaitable[Any]]) -> None:
    for delay in _RETRY_DELAYS:
        await asyncio.sleep(delay)
        try:
            await send()
            return
        except (TimedOut, BadRequest):
            break
        except NetworkError:
            continue
    log.warning("gave up on an answer after %d tries", len(_RETRY_DELAYS) + 1)


async def may_change(update: Update, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """Whether the sender may change this chat's subscriptions: anyone in private, only admins in groups.

    A message an anonymous admin sends "as the group" carries the group as ``sender_chat``: that is an admin too.
    When the answer is no, the user is told why (as a reply, or as a callback answer for button presses).
    """
    chat = update.effective_chat
    user = update.effective_user
    if chat is None or not is_group(chat):
        return True
    message = update.effective_message
    if message is not None and message.sender_chat is not None and message.sender_chat.id == chat.id:
        return True
    if user is not None and await services(context).guard.is_group_admin(context.bot, chat.id, user.id):
        return True
    text = refusal(_("Only this group's admins can change its alerts"))
    if update.callback_query is not None:
        await update.callback_query.answer(text, show_alert=True)
    elif message is not None:
        await reply(context, message, text)
    return False
