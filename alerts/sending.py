"""Outbox messages (alerts, digests) as plain Bot API requests: ``sendMessage`` / ``sendPhoto`` through PTB's
``Bot.do_api_request``, answered with the message id only.

Why not ``Bot.send_message``: the typed call builds an ``InlineKeyboardMarkup`` of button objects, serialises them
back to dicts, and turns Telegram's answer into a full :class:`telegram.Message` (chat, sender, entities, the
keyboard again: some 360 frozen-attribute writes), only for the delivery to keep ``message_id``. At paid-broadcast
rates that was a third of the bot's CPU per message (``bench/delivery.py --unlimited``). ``do_api_request`` is
PTB's documented way to make a request by hand: it still goes through the Application's rate limiter and transport,
and Telegram's error answers still arrive as PTB's exceptions (RetryAfter, Forbidden, BadRequest, ChatMigrated...),
so :meth:`alerts.delivery.Deliverer.send` reads them as before. Defaults of ``telegram.ext.Defaults`` do not apply
here: every parameter is given.

PTB warns when ``do_api_request`` is used for a method it also has typed; that warning is silenced for these two
methods only.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

from telegram import Bot
from telegram.constants import ParseMode
from telegram.warnings import PTBUserWarning

warnings.filterwarnings(
    "ignore", message=r"Please use 'Bot\.send(Message|Photo)' instead", category=PTBUserWarning
)

Buttons = Sequence[Sequence[tuple[str, str]]]  # rows of (label, callback_data)


def keyboard(buttons: Buttons | None) -> dict[str, Any] | None:
    """The Bot API's ``InlineKeyboardMarkup`` object for rows of callback buttons (None for no buttons)."""
    if not buttons:
        return None
    return {
        "inline_keyboard": [
            [{"text": label, "callback_data": data} for label, data in row] for row in buttons
        ]
    }


def message_request(
    chat_id: int,
    text: str,
    *,
    html: bool,
    buttons: Buttons | None = None,
    preview: bool = False,
    silent: bool = False,
    paid: bool = False,
    thread_id: int | None = None,
) -> dict[str, Any]:
    """The parameters of a ``sendMessage`` of ``text`` (HTML if ``html``, else plain)."""
    request: dict[str, Any] = {
        "chat_id": chat_id,
        "text": text,
        "link_preview_options": {"is_disabled": not preview},
    }
    return _common(request, html=html, buttons=buttons, silent=silent, paid=paid, thread_id=thread_id)


def photo_request(
    chat_id: int,
    photo_url: str,
    caption: str,
    *,
    html: bool,
    buttons: Buttons | None = None,
    silent: bool = False,
    paid: bool = False,
    thread_id: int | None = None,
) -> dict[str, Any]:
    """The parameters of a ``sendPhoto`` of the image at ``photo_url`` (Telegram fetches it) with ``caption``."""
    request: dict[str, Any] = {"chat_id": chat_id, "photo": photo_url, "caption": caption}
    return _common(request, html=html, buttons=buttons, silent=silent, paid=paid, thread_id=thread_id)


def _common(
    request: dict[str, Any],
    *,
    html: bool,
    buttons: Buttons | None,
    silent: bool,
    paid: bool,
    thread_id: int | None,
) -> dict[str, Any]:
    """The parameters every outbox message shares; ``thread_id`` is a forum topic (None: the chat itself)."""
    if html:
        request["parse_mode"] = ParseMode.HTML.value
    markup = keyboard(buttons)
    if markup is not None:
        request["reply_markup"] = markup
    if silent:
        request["disable_notification"] = True
    if paid:
        request["allow_paid_broadcast"] = True
    if thread_id is not None:
        request["message_thread_id"] = thread_id
    return request


async def post(bot: Bot, method: str, request: dict[str, Any]) -> int:
    """Make the request (``"sendMessage"`` or ``"sendPhoto"``) and return the sent message's id. Raises PTB's
    errors for Telegram's error answers, as the typed methods do."""
    result = await bot.do_api_request(method, api_kwargs=request)
    return int(result["message_id"])
