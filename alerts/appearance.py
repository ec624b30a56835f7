"""How one alert is sent, from the chat's and the subscription's settings: silent or not, link preview, photo.

A chat chooses with ``/preview``, ``/photos`` and ``/silent`` (handlers.appearance), a subscription with
``/silent N on``; the outbox row carries them (``link_preview``, ``photos``, ``chat_silent``, ``sub_silent``) with
the article's ``image_url``. An alert is silent (``disable_notification``: it arrives without a sound) when either
the chat or the subscription that matched asked for it. An article with an image goes as a photo with the alert as
its caption, unless the chat turned photos off; the delivery falls back to the text alert when Telegram cannot
use the photo (:meth:`alerts.delivery.Deliverer.send`). A link preview only applies to a text alert.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from alerts.messages import Alert, safe_url


@dataclass(frozen=True)
class Photo:
    """A photo alert: the image's URL (Telegram fetches it) and the caption, as HTML and as plain text."""

    url: str
    html: str
    plain: str


@dataclass(frozen=True)
class Look:
    """How to send one alert."""

    silent: bool = False
    preview: bool = False
    photo: Photo | None = None


def look_of(row: Mapping[str, Any], caption: Callable[[], Alert]) -> Look:
    """The look of the alert for an outbox row; ``caption`` renders the alert as a caption (only if needed)."""
    silent = bool(row.get("chat_silent")) or bool(row.get("sub_silent"))
    preview = bool(row.get("link_preview"))
    photos = row.get("photos")
    url = safe_url(row.get("image_url")) if photos is None or photos else None
    if url is None:
        return Look(silent=silent, preview=preview)
    rendered = caption()
    return Look(silent=silent, preview=preview, photo=Photo(url, rendered.html, rendered.plain))
