"""Telling the admins who linked a channel, once, that the bot can no longer post there.

Delivery learns it from a refused send (403, "need administrator rights"), the handlers from a ``my_chat_member``
update; whichever comes first marks the admins told (:func:`storage.channels.take_lost_notices`), so each admin
hears it once per loss, and linking the channel again starts over.
"""

from __future__ import annotations

import html
from typing import Any

import sqlite_utils

from storage import channels, subscribers


def channel_label(row: dict[str, Any]) -> tuple[str, str]:
    """How a channel is named to its admins, as (HTML, plain): its title, and its @name if it has one."""
    title = row.get("title") or "your channel"
    plain = f"{title} (@{row['username']})" if row.get("username") else title
    return f"<b>{html.escape(title)}</b>" + (f" (@{html.escape(row['username'])})" if row.get("username") else ""), plain


def lost_notices(db: sqlite_utils.Database, chat_id: int) -> list[tuple[int, str, str]]:
    """(admin chat, HTML, plain) for each admin not told yet; empty unless ``chat_id`` is a linked channel."""
    row = subscribers.get_subscriber(db, chat_id)
    if row is None or row["chat_type"] != "channel":
        return []
    label_html, label_plain = channel_label(row)
    relink = f"/channel @{row['username']}" if row.get("username") else "/channel @name"
    template = (
        "⚠️ I can no longer post in the channel {}: I was removed or lost the right to post, so its alerts "
        "stopped. Make me an admin there who can post messages, then send {} again."
    )
    html_text = template.format(label_html, html.escape(relink))
    plain_text = template.format(label_plain, relink)
    return [(admin, html_text, plain_text) for admin in channels.take_lost_notices(db, chat_id)]
