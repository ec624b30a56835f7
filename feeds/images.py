"""The picture of a feed item, for a photo alert: from the feed's media tags, an image enclosure, or the item's HTML.

Feeds say which image goes with an item in several ways; this takes them in the order they are meant for it:
``media:content`` (an image, the widest when several sizes are offered), ``media:thumbnail``, an ``enclosure`` of
an image type, then an ``og:image`` meta tag or the first ``<img>`` in the item's own HTML (skipping tracking pixels
and icons). Only absolute http(s) URLs come out (a relative ``src`` is resolved against the item's link), because
Telegram fetches the photo itself and can do nothing with anything else.
"""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urljoin, urlsplit

MAX_URL = 1000  # longer is not a real image address (and would not fit the Bot API request comfortably)
_MIN_SIDE = 50  # an <img> declared smaller than this is a pixel, an icon or a share button
_TAG = re.compile(r"<(img|meta)\b([^>]*)>", re.IGNORECASE)
_ATTRIBUTE = re.compile(r"""([a-zA-Z_:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'>]+))""")


def item_image(entry: Mapping[str, Any], markup: str, link: str | None) -> str | None:
    """The image URL for one feedparser entry (its ``markup`` is the HTML body), or None when it has none."""
    for candidate in _candidates(entry, markup):
        url = _usable(candidate, link)
        if url is not None:
            return url
    return None


def _candidates(entry: Mapping[str, Any], markup: str) -> Iterable[str]:
    yield from _media_content(entry.get("media_content") or ())
    for thumbnail in entry.get("media_thumbnail") or ():
        if isinstance(thumbnail, Mapping) and thumbnail.get("url"):
            yield str(thumbnail["url"])
    for enclosure in entry.get("enclosures") or ():  # feedparser's list of rel="enclosure" links
        if isinstance(enclosure, Mapping) and str(enclosure.get("type", "")).lower().startswith("image/"):
            url = enclosure.get("href") or enclosure.get("url")
            if url:
                yield str(url)
    yield from _html_images(markup)


def _media_content(items: Iterable[Any]) -> list[str]:
    """``media:content`` images, widest first (a feed may offer a thumbnail and a full size)."""
    found: list[tuple[int, str]] = []
    for item in items:
        if not isinstance(item, Mapping) or not item.get("url"):
            continue
        medium = str(item.get("medium", "")).lower()
        kind = str(item.get("type", "")).lower()
        if (medium or kind) and not (medium == "image" or kind.startswith("image/")):
            continue  # declared as something else (a video, a podcast); undeclared media is mostly images
        found.append((_number(item.get("width")), str(item["url"])))
    found.sort(key=lambda pair: -pair[0])
    return [url for _, url in found]


def _html_images(markup: str) -> list[str]:
    """``og:image`` first, then each ``<img>`` not declared tiny, in document order."""
    if not markup or "<" not in markup:
        return []
    og: list[str] = []
    images: list[str] = []
    for tag in _TAG.finditer(markup):
        attributes = {
            name.lower(): html.unescape(a if a is not None else b if b is not None else c)
            for name, a, b, c in _ATTRIBUTE.findall(tag.group(2))
        }
        if tag.group(1).lower() == "meta":
            if (attributes.get("property") or attributes.get("name", "")).lower() == "og:image":
                og.append(attributes.get("content", ""))
            continue
        sides = [_number(attributes.get(side)) for side in ("width", "height")]
        if any(0 < side < _MIN_SIDE for side in sides):
            continue
        images.append(attributes.get("src", ""))
    return og + images


def _number(value: Any) -> int:
    digits = re.match(r"\s*(\d+)", str(value or ""))
    return int(digits.group(1)) if digits else 0


def _usable(candidate: str, link: str | None) -> str | None:
    """An absolute http(s) URL Telegram could fetch, or None (data:, javascript:, relative without a base...)."""
    url = candidate.strip()
    if not url or url.startswith("data:"):
        return None
    if link and not urlsplit(url).scheme:
        url = urljoin(link, url)
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname or len(url) > MAX_URL:
        return None
    if any(ch.isspace() or ord(ch) < 32 for ch in url):
        return None
    return url
