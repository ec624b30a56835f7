"""``/export`` sends the chat's subscriptions as a file; ``/import`` takes such a file back, all or nothing.

``/import`` is the caption of the file, or a reply to a message that carries it (the bot's own export included).
The file is checked before anything is stored: its size (at most :data:`MAX_IMPORT_BYTES`), that it is UTF-8 text
and an export (:mod:`handlers.export_format`), every line (each bad one is reported with its number), and that
the chat stays within ``max_subscriptions``. Only then are the new subscriptions stored, in one transaction, and
added to the running matcher; one bad line or one too many means nothing was imported.
"""

from __future__ import annotations

from typing import Any

from telegram import Document, Message, Update
from telegram.error import TelegramError
from telegram.ext import CommandHandler, ContextTypes, MessageHandler, filters

from alerts.messages import escape, truncate
from handlers.context import is_group, may_change, reply, send_reliably, services
from handlers.export_format import (
    NotAnExportError,
    ReadExport,
    check_export,
    count_entries,
    read_export,
    render_export,
)
from i18n.catalog import N_, _
from storage import subscribers, subscriptions

MAX_IMPORT_BYTES = 64 * 1024  # 50 subscriptions of 200 characters with options take about 12 KB
FILE_NAME = "newsalert-subscriptions.txt"
_ERRORS_SHOWN = 15

# Reply texts, in one place (marked for the catalog, translated when sent).
_NOTHING_TO_EXPORT = N_("There is nothing to export: this chat has no subscriptions. /subscribe adds one.")
_EXPORTED = N_(
    "Your {count} subscription(s). To bring them back (here or in another chat), send this file with /import "
    "as its caption, or reply /import to it."
)
_HOW = N_(
    "Send the file /export made with /import as its caption, or reply /import to the message with the file."
)
_TOO_BIG = N_("That file is {size} KB; an export is at most {limit} KB. Nothing was imported.")
_NOT_TEXT = N_("That file is not UTF-8 text, so it is not an export. Nothing was imported.")
_NO_DOWNLOAD = N_(
    "I couldn't fetch that file from Telegram ({reason}). Nothing was imported; please send it again."
)
_EMPTY = N_("That export has no subscriptions in it. Nothing was imported.")
_BAD_LINES = N_(
    "Nothing was imported: {count} line(s) can't be used. Fix or delete them and send the file again."
)
_MORE_ERRORS = N_("… and {count} more.")
_OVER_LIMIT = N_(
    "Importing would make {total} subscriptions here; the most I keep is {cap}. Nothing was imported: remove "
    "some lines from the file, or some subscriptions (/list), and try again."
)
_TOO_MANY = N_("That file has {lines} subscriptions; a chat keeps at most {cap}. Nothing was imported.")
_IMPORTED = N_("✅ Imported {added} subscription(s){existing}. /list shows them.")
_ALREADY = N_("Every subscription in that file is already here; nothing to add.")


async def export_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    chat = update.effective_chat
    if message is None or chat is None:
        return
    rows = await services(context).db.run(subscriptions.list_subscriptions, chat.id)
    if not rows:
        await reply(context, message, _(_NOTHING_TO_EXPORT))
        return
    data = render_export(rows).encode("utf-8")
    caption = escape(_EXPORTED.format(count=len(rows)))
    await send_reliably(context, lambda: message.reply_document(data, filename=FILE_NAME, caption=caption))


def _document_of(message: Message) -> Document | None:
    """The file ``/import`` is about: the message's own, else the replied-to message's."""
    if message.document is not None:
        return message.document
    replied = message.reply_to_message
    return replied.document if replied is not None else None


async def import_command(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    message = update.effective_message
    chat = update.effective_chat
    if message is None or chat is None:
        return
    document = _document_of(message)
    if document is None:
        await reply(context, message, _(_HOW))
        return
    if not await may_change(update, context):
        return
    limit_kb = MAX_IMPORT_BYTES // 1024
    if document.file_size is not None and document.file_size > MAX_IMPORT_BYTES:
        await reply(context, message, _(_TOO_BIG).format(size=document.file_size // 1024, limit=limit_kb))
        return
    try:
        telegram_file = await context.bot.get_file(document.file_id)
        data = bytes(await telegram_file.download_as_bytearray())
    except TelegramError as error:
        await reply(context, message, escape(_NO_DOWNLOAD.format(reason=truncate(str(error), 200))))
        return
    if len(data) > MAX_IMPORT_BYTES:
        await reply(context, message, _(_TOO_BIG).format(size=len(data) // 1024, limit=limit_kb))
        return
    try:
        text = data.decode("utf-8-sig")
        check_export(text)
    except UnicodeDecodeError:
        await reply(context, message, _(_NOT_TEXT))
        return
    except NotAnExportError as error:
        await reply(context, message, escape(str(error)))
        return
    cap = services(context).config.telegram.max_subscriptions
    lines = count_entries(text)
    if lines > cap:
        # More lines than any chat may have: refused before they are parsed (parsing runs on the event loop).
        await reply(context, message, _(_TOO_MANY).format(lines=lines, cap=cap))
        return
    await _import(update, context, read_export(text))


async def _import(update: Update, context: ContextTypes.DEFAULT_TYPE, read: ReadExport) -> None:
    """Store what a valid file holds (or say why nothing was), and make it live."""
    message = update.effective_message
    chat = update.effective_chat
    assert message is not None and chat is not None
    if read.errors:
        await reply(context, message, render_errors(read.errors))
        return
    if not read.entries:
        await reply(context, message, _(_EMPTY))
        return
    svc = services(context)
    cap = svc.config.telegram.max_subscriptions
    items = [subscriptions.Imported(e.query.canonical, e.raw, e.silent, e.muted_until) for e in read.entries]
    title = chat.title if is_group(chat) else None
    result = await svc.db.run(_import_tx, chat.id, chat.type, title, items, cap)
    if result.over_limit:
        await reply(context, message, _(_OVER_LIMIT).format(total=result.total, cap=cap))
        return
    queries = {e.query.canonical: e.query for e in read.entries}
    for row in result.added:
        svc.matcher.add(row["id"], queries[row["query"]])
    if not result.added:
        await reply(context, message, _(_ALREADY))
        return
    existing = _(" ({count} already here)").format(count=result.existing) if result.existing else ""
    await reply(context, message, _(_IMPORTED).format(added=len(result.added), existing=existing))


def _import_tx(
    db: Any, chat_id: int, chat_type: str, title: str | None, items: list[subscriptions.Imported], cap: int
) -> subscriptions.ImportResult:
    subscribers.upsert_subscriber(db, chat_id, chat_type=chat_type, title=title)
    return subscriptions.import_subscriptions(db, chat_id, items, max_subscriptions=cap)


def render_errors(errors: list[tuple[int, str]]) -> str:
    """The bad lines of a file, one a line with its number, as HTML (the reasons quote the file: escaped)."""
    lines = [_(_BAD_LINES).format(count=len(errors))]
    line = _("line {number}: {reason}")
    lines += [
        line.format(number=number, reason=escape(truncate(reason, 200)))
        for number, reason in errors[:_ERRORS_SHOWN]
    ]
    if len(errors) > _ERRORS_SHOWN:
        lines.append(_MORE_ERRORS.format(count=len(errors) - _ERRORS_SHOWN))
    return "\n".join(lines)


# A file sent with "/import" (or "/import@bot") as its caption: CommandHandler only reads a message's text.
_IMPORT_CAPTION = filters.Document.ALL & filters.CaptionRegex(r"^/import(@\w+)?(\s|$)")

HANDLERS = [
    CommandHandler("export", export_command),
    CommandHandler("import", import_command),
    MessageHandler(_IMPORT_CAPTION & filters.UpdateType.MESSAGE, import_command),
]
