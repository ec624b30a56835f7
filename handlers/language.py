"""The chat's language: chosen before any other handler runs, and ``/language`` to see or change it.

:func:`choose` runs in its own group ahead of the access gate, so even a refusal at the gate is in the reader's
language. It reads the chat's stored language (the first contact stores its user's Telegram ``language_code``)
and puts it into the update's context for ``i18n.catalog._``. A chat seen for the first time has no row yet:
the command makes one, and :func:`remember` (a group after the commands) stores the language then.
"""

from __future__ import annotations

import sqlite3
from contextvars import ContextVar

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update
from telegram.ext import CallbackQueryHandler, CommandHandler, ContextTypes, TypeHandler

from handlers.context import command_argument, is_group, may_change, reply, services
from handlers.replies import refusal, shown
from i18n.catalog import _, current, use
from i18n.languages import NAMES, from_telegram, supported
from storage import subscribers
from storage.fullness import FULL, is_full

GROUP = -2  # before the access gate (-1)
AFTER_GROUP = 100  # after every command
_PREFIX = "lang:"

# (chat id, language) still to store once the chat's row exists; None when nothing is pending
_pending: ContextVar[tuple[int, str] | None] = ContextVar("newsalert_language_pending", default=None)


async def choose(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Speak the chat's language for this update (English when there is no chat, e.g. an inline query)."""
    chat, user = update.effective_chat, update.effective_user
    offered = from_telegram(user.language_code if user is not None else None)
    _pending.set(None)
    if chat is None:
        use(offered)
        return
    try:
        language, stored = await services(context).db.run(subscribers.chat_language, chat.id, offered)
    except sqlite3.OperationalError as error:
        if not is_full(error):
            raise
        FULL.noticed(error, "storing a chat's language")
        language, stored = offered, True
    use(language)
    if not stored:
        _pending.set((chat.id, language))


async def remember(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A chat's first command made its row: keep the language it was answered in."""
    pending = _pending.get()
    if pending is None:
        return
    _pending.set(None)
    try:
        await services(context).db.run(subscribers.chat_language, *pending)
    except sqlite3.OperationalError as error:
        if not is_full(error):
            raise


def _keyboard() -> InlineKeyboardMarkup:
    codes = list(NAMES)
    rows = [codes[i : i + 2] for i in range(0, len(codes), 2)]
    return InlineKeyboardMarkup(
        [[InlineKeyboardButton(NAMES[code], callback_data=_PREFIX + code) for code in row] for row in rows]
    )


def _choices() -> str:
    return ", ".join(f"<code>{code}</code> ({NAMES[code]})" for code in NAMES)


async def language_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """``/language`` shows the current language with a button per language; ``/language de`` sets it."""
    message = update.effective_message
    if message is None:
        return
    argument = command_argument(message)
    if not argument:
        await reply(
            context,
            message,
            _("🌐 I speak {language} here. Pick another:").format(language=NAMES[current()]),
            reply_markup=_keyboard(),
        )
        return
    code = supported(argument) if len(argument.split()) == 1 else None
    if code is None:
        await reply(
            context,
            message,
            refusal(
                _("I don't speak {code}").format(code=shown(argument, 20)),
                hint=_("These are my languages: {choices}.").format(choices=_choices()),
            ),
        )
        return
    await _set(update, context, code)


async def language_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    callback = update.callback_query
    if callback is None or callback.data is None:
        return
    code = supported(callback.data[len(_PREFIX) :])
    if code is None:
        await callback.answer(refusal(_("This button no longer works")))
        return
    await callback.answer()
    await _set(update, context, code)


async def _set(update: Update, context: ContextTypes.DEFAULT_TYPE, code: str) -> None:
    chat, message = update.effective_chat, update.effective_message
    if chat is None or message is None or not await may_change(update, context):
        return
    title = chat.title if is_group(chat) else None
    await services(context).db.run(subscribers.set_language, chat.id, code, chat_type=chat.type, title=title)
    _pending.set(None)
    use(code)
    await reply(context, message, _("🌐 From now on I speak {language} here.").format(language=NAMES[code]))


HANDLER = TypeHandler(Update, choose)
AFTER = TypeHandler(Update, remember)
HANDLERS = [
    CommandHandler("language", language_command),
    CallbackQueryHandler(language_button, pattern="^" + _PREFIX),
]
