"""What the bot says to anything no other handler took: plain text and unknown commands.

People type "kosovo" before they read any help. Answering with the exact command (and a button that runs it) turns
that first message into a subscription instead of silence.
"""

from __future__ import annotations

from telegram import Chat, Update
from telegram.ext import CallbackQueryHandler, ContextTypes, MessageHandler, filters

from alerts.messages import escape
from handlers.context import reply
from handlers.replies import refusal, shown
from handlers.start import COMMANDS
from handlers.subscriptions import SUGGESTION_PREFIX, subscribe_to, suggest_subscription
from i18n.catalog import _


async def plain_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Suggest ``/subscribe <text>``, with a button that does it."""
    message = update.effective_message
    if message is None or not message.text:
        return
    await suggest_subscription(context, message, message.text)


async def subscribe_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    callback = update.callback_query
    if callback is None or callback.data is None:
        return
    await callback.answer()
    await subscribe_to(update, context, callback.data[len(SUGGESTION_PREFIX) :])


async def unknown_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """List what exists; in groups only when the command was addressed to this bot, not to another bot."""
    message = update.effective_message
    if message is None or not message.text:
        return
    word = message.text.split()[0]
    command, _at, addressee = word.partition("@")
    if message.chat.type != Chat.PRIVATE and addressee.casefold() != (context.bot.username or "").casefold():
        return
    known = "\n".join(f"/{name} – {escape(_(description))}" for name, description in COMMANDS)
    await reply(
        context,
        message,
        refusal(
            _("I don't know {command}").format(command=shown(command, 50)),
            hint=_("These are the commands:\n{commands}").format(commands=known),
        ),
    )


async def stale_button(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A button no handler knows (from an older version, or tampered data): stop the client's spinner politely."""
    if update.callback_query is not None:
        await update.callback_query.answer(refusal(_("This button no longer works")))


HANDLERS = [
    CallbackQueryHandler(subscribe_button, pattern="^" + SUGGESTION_PREFIX),
    CallbackQueryHandler(stale_button),
    MessageHandler(
        filters.TEXT & ~filters.COMMAND & filters.ChatType.PRIVATE & filters.UpdateType.MESSAGE, plain_text
    ),
    MessageHandler(filters.COMMAND & filters.UpdateType.MESSAGE, unknown_command),
]
