"""Telegram commands and buttons, one module per command group; :func:`register` wires them into an Application.

Order matters: the access gate runs first in its own group; specific commands and buttons come before the
catch-alls in :mod:`handlers.fallback` (plain text, unknown commands).
"""

from __future__ import annotations

import contextlib
import logging

from telegram import Update
from telegram.error import Forbidden, NetworkError, TelegramError
from telegram.ext import Application, ContextTypes

from handlers import (
    access,
    admin,
    alerts,
    appearance,
    channels,
    fallback,
    language,
    members,
    search,
    settings,
    start,
    subscriptions,
    transfer,
)
from handlers.start import ADMIN_COMMANDS, COMMANDS
from i18n.catalog import N_, _
from storage.fullness import FULL, is_full

__all__ = ["ADMIN_COMMANDS", "COMMANDS", "register"]

log = logging.getLogger(__name__)

TRY_AGAIN_LATER = N_("⚠️ I can't save that right now: my storage is full. Please try again later.")


def register(app: Application) -> None:
    app.add_handler(language.HANDLER, group=language.GROUP)
    app.add_handler(access.HANDLER, group=access.GROUP)
    app.add_handler(language.AFTER, group=language.AFTER_GROUP)
    for module in (
        start,
        subscriptions,
        alerts,
        settings,
        appearance,
        transfer,
        language,
        search,
        admin,
        members,
        channels,
        fallback,
    ):
        app.add_handlers(module.HANDLERS)
    app.add_error_handler(on_error)


async def on_error(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log a handler failure in one line (never the token: PTB's errors do not carry the URL) and tell the user."""
    error = context.error
    if error is not None and is_full(error):
        # The disk is full: one log line for the whole episode, and a plain answer to the user.
        FULL.noticed(error, "a command")
        await _try_again_later(update, context)
        return
    if isinstance(error, Forbidden | NetworkError):
        log.warning("could not answer an update: %s: %s", type(error).__name__, error)
        return
    log.error("handler failed", exc_info=error)
    if (
        isinstance(update, Update)
        and update.effective_chat is not None
        and not isinstance(error, TelegramError)
    ):
        with contextlib.suppress(TelegramError):
            await context.bot.send_message(
                update.effective_chat.id, _("Sorry, something went wrong. Please try again.")
            )


async def _try_again_later(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    if not isinstance(update, Update):
        return
    with contextlib.suppress(TelegramError):
        if update.callback_query is not None:
            await update.callback_query.answer(_(TRY_AGAIN_LATER), show_alert=True)
        elif update.effective_chat is not None:
            await context.bot.send_message(update.effective_chat.id, _(TRY_AGAIN_LATER))
