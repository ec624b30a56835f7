"""Telegram message text: alerts, and safe HTML building blocks for every reply the bot sends.

Everything that comes from a feed or a user is untrusted: it may hold ``<``, ``&``, quotes, control characters,
NUL, lone surrogates or 10,000 characters. These helpers clean and escape it so Telegram's HTML parser accepts
the result, and keep each message within Telegram's 4,096-character limit. The limit is enforced on the HTML
source itself, counted in UTF-16 code units: that is never less than what Telegram counts (code points of the
text after entity parsing), so a message that passes here cannot be "too long" there, whatever the counting.
"""

from __future__ import annotations

import dataclasses
import functools
import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_datetime
from telegram import InlineKeyboardButton, InlineKeyboardMarkup

from i18n.catalog import gettext_in, ngettext_in
from i18n.languages import DEFAULT

MAX_MESSAGE = 4096
MAX_CAPTION = 1024  # a photo's caption, counted like a message: after entity parsing
MAX_CALLBACK_DATA = 64
_MAX_TITLE = 300
_MAX_SOURCE = 80
_MAX_URL = 1500
_ELLIPSIS = "…"

# C0/C1 controls except tab and newline, lone surrogates (not encodable as UTF-8), and non-characters.
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff\ufffe\uffff]")
_SPACES = re.compile(r"[ \t\r\f\v\u00a0]+")


def text_length(text: str) -> int:
    """Length as counted against :data:`MAX_MESSAGE` here: UTF-16 code units (emoji count 2).

    Counted by the codec (a lone surrogate, which ``clean`` drops, counts one): a loop over the characters took
    60% of rendering an alert, which at 1,000 alerts a second is most of a core."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def clean(text: object) -> str:
    """Untrusted text made sendable: drop control characters, NUL and lone surrogates; keep newlines."""
    return _UNSAFE.sub("", "" if text is None else str(text))


def escape(text: object) -> str:
    """Untrusted text for Telegram HTML (``&``, ``<``, ``>`` escaped; quotes may stay as they are in text)."""
    return html.escape(clean(text), quote=False)


def bold(text: object) -> str:
    return f"<b>{escape(text)}</b>"


def italic(text: object) -> str:
    return f"<i>{escape(text)}</i>"


def safe_url(url: object) -> str | None:
    """``url`` if it is an absolute http(s) URL short enough to link, else None (never link javascript: etc.)."""
    value = clean(url).strip()
    if not value or len(html.escape(value, quote=True)) > _MAX_URL or any(ch.isspace() for ch in value):
        return None
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return value


def link(url: object, label: object) -> str:
    """An ``<a href>`` with the URL escaped for an attribute (quote=True); the bare label if the URL is unusable."""
    target = safe_url(url)
    if target is None:
        return escape(label)
    return f'<a href="{html.escape(target, quote=True)}">{escape(label)}</a>'


def truncate(text: str, limit: int, *, escaped: bool = False) -> str:
    """Shorten plain ``text`` to at most ``limit`` units (escaped for HTML if ``escaped``), at a word if possible.

    The cut is made in the plain text and then escaped, so it can never fall inside ``&amp;`` or a tag; an
    ellipsis marks that something was cut.
    """
    measure = (lambda s: text_length(escape(s))) if escaped else text_length
    if measure(text) <= limit:
        return escape(text) if escaped else text
    budget = limit - text_length(_ELLIPSIS)
    if budget <= 0:
        return ""
    # Longest prefix that fits, found by walking once (escaping only grows text, so prefix cost is monotone).
    used = 0
    end = 0
    for index, ch in enumerate(text):
        cost = text_length(escape(ch)) if escaped else text_length(ch)
        if used + cost > budget:
            break
        used += cost
        end = index + 1
    cut = text[:end]
    space = max(cut.rfind(" "), cut.rfind("\n"))
    if space >= len(cut) * 0.6:
        cut = cut[:space]
    cut = cut.rstrip(" \n\t,;:-—–") + _ELLIPSIS
    return escape(cut) if escaped else cut


def _tokens(source: str) -> list[str]:
    """HTML split into indivisible pieces: whole tags, whole entities, single characters."""
    return re.findall(r"<[^>]*>|&[#0-9A-Za-z]+;|[\s\S]", source)


_TAG = re.compile(r"<(/?)([a-zA-Z][a-zA-Z0-9-]*)")


def split_message(source: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Split Telegram HTML into messages of at most ``limit`` units, preferring line boundaries.

    Cuts never fall inside a tag or an entity; a tag open at a cut is closed at the end of one part and opened
    again at the start of the next, so every part parses on its own.
    """
    if text_length(source) <= limit:
        return [source] if source.strip() else []
    tokens = _tokens(source)
    parts: list[str] = []
    stack: list[tuple[str, str]] = []  # (name, opening tag text)
    start = 0
    while start < len(tokens):
        prefix = "".join(opening for _, opening in stack)
        length = text_length(prefix)
        best = {"newline": -1, "space": -1, "any": -1}
        best_stack: dict[str, list[tuple[str, str]]] = {}
        local = list(stack)
        index = start
        while index < len(tokens):
            token = tokens[index]
            length += text_length(token)
            match = _TAG.match(token)
            if match:
                name = match.group(2).lower()
                if match.group(1):
                    if local and local[-1][0] == name:
                        local.pop()
                else:
                    local.append((name, token))
            closers = sum(len(name) + 3 for name, _ in local)
            if length + closers > limit:
                break
            kind = "newline" if token == "\n" else "space" if token.isspace() else "any"
            if not match:
                for key in ("newline", "space", "any") if kind == "newline" else (kind, "any"):
                    best[key] = index
                    best_stack[key] = list(local)
            index += 1
        if index >= len(tokens):
            parts.append(prefix + "".join(tokens[start:]))
            break
        span = index - start
        for key in ("newline", "space", "any"):
            if best[key] >= start and (key == "any" or best[key] - start >= span // 2):
                cut = best[key]
                break
        else:
            raise ValueError("limit too small to hold the open tags")
        after = best_stack[key]
        closing = "".join(f"</{name}>" for name, _ in reversed(after))
        # A newline or space at the cut is dropped: it would only trail one part or lead the next.
        end = cut if key in ("newline", "space") else cut + 1
        parts.append(prefix + "".join(tokens[start:end]) + closing)
        stack = after
        start = cut + 1
    return [part for part in parts if _visible(part)]


def _visible(part: str) -> bool:
    return bool(re.sub(r"<[^>]*>", "", part).strip())


# ----------------------------------------------------------------------------------------------- alerts


@dataclass(frozen=True)
class Alert:
    """One alert ready to send: HTML (parse_mode HTML), the same as plain text, and its buttons."""

    html: str
    plain: str
    buttons: tuple[tuple[tuple[str, str], ...], ...]  # rows of (label, callback_data)

    def markup(self) -> InlineKeyboardMarkup | None:
        """The inline keyboard; None when the alert has no buttons (in a channel, nobody there could use them)."""
        if not self.buttons:
            return None
        return InlineKeyboardMarkup(
            [[InlineKeyboardButton(label, callback_data=data) for label, data in row] for row in self.buttons]
        )


def alert_buttons(delivery_id: int, language: str = DEFAULT) -> tuple[tuple[tuple[str, str], ...], ...]:
    """More / Why / Mute (labelled in the chat's ``language``), each naming the outbox row so a press finds the
    article and the match; the callback data is the same in every language."""
    row = (
        (gettext_in(language, "More"), f"more:{delivery_id}"),
        (gettext_in(language, "Why?"), f"why:{delivery_id}"),
        (gettext_in(language, "Mute"), f"mute:{delivery_id}"),
    )
    assert all(len(data.encode()) <= MAX_CALLBACK_DATA for _, data in row)
    return (row,)


def parse_callback(data: str | None) -> tuple[str, int] | None:
    """``"why:42"`` -> ``("why", 42)``; None for anything else (buttons may be pressed on very old messages)."""
    if not data or ":" not in data:
        return None
    action, _, number = data.partition(":")
    if action not in ("more", "why", "mute") or not number.isdigit():
        return None
    return action, int(number)


def format_time(timestamp: float | None, timezone: str = "UTC", language: str = DEFAULT) -> str:
    """An article time in the reader's zone, e.g. "30 May 2023, 14:05 CEST" (the month in the reader's
    ``language``, from CLDR through Babel: "30 трав. 2023 р., 14:05 CEST")."""
    if timestamp is None:
        return ""
    try:
        zone: Any = ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        zone = UTC
    try:
        moment = datetime.fromtimestamp(float(timestamp), tz=zone)
    except (OverflowError, OSError, ValueError):
        return ""
    zone_name = moment.tzname() or "UTC"
    if language != DEFAULT:
        return f"{format_datetime(moment, 'd MMM y, HH:mm', locale=language)} {zone_name}"
    return f"{moment.day} {moment:%b %Y, %H:%M} {zone_name}"


def source_name(feed: Mapping[str, Any] | None, url: str | None = None, language: str = DEFAULT) -> str:
    """The name readers know a source by: the configured name, the feed's title, else the site's host."""
    feed = feed or {}
    for key in ("name", "title"):
        value = _one_line(feed.get(key) or "")
        if value:
            return value[:_MAX_SOURCE]
    for candidate in (feed.get("site_url"), url, feed.get("url")):
        host = urlsplit(clean(candidate or "")).hostname if candidate else None
        if host:
            return host.removeprefix("www.")[:_MAX_SOURCE]
    return gettext_in(language, "Unknown source")


def _one_line(text: object) -> str:
    return _SPACES.sub(" ", clean(text).replace("\n", " ")).strip()


def _paragraphs(text: object) -> str:
    lines = [_SPACES.sub(" ", line).strip() for line in clean(text).splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


_MAX_NAME = 40
_MAX_NAMED = 3
_MAX_NAMED_CHARS = 90


def name_list(names: Sequence[str], *, show: int = 2, language: str = DEFAULT) -> str:
    """ "A", "A and B", "A, B and C"; past ``show`` + 1 names "A, B and 3 more" (names on one line, shortened)."""
    names = [truncate(_one_line(name), _MAX_NAME) for name in names if _one_line(name)]
    if len(names) > show + 1:
        more = len(names) - show
        template = ngettext_in(language, "{names} and {count} more", "{names} and {count} more", more)
        return template.format(names=", ".join(names[:show]), count=more)
    if len(names) < 2:
        return names[0] if names else ""
    return gettext_in(language, "{names} and {last}").format(names=", ".join(names[:-1]), last=names[-1])


def also_reported(names: Sequence[str], language: str = DEFAULT) -> str:
    """The line an alert carries once other outlets report its story: "Also reported by AP, BBC and DW" while
    the names are few and short, else "Also reported by 7 outlets: AP, BBC and 5 more". Empty for no names."""
    names = [name for name in (_one_line(n) for n in names) if name]
    if not names:
        return ""
    listed = name_list(names, language=language)
    if len(names) <= _MAX_NAMED and sum(len(name) for name in names) <= _MAX_NAMED_CHARS:
        return gettext_in(language, "Also reported by {names}").format(names=listed)
    template = ngettext_in(
        language,
        "Also reported by {count} outlet: {names}",
        "Also reported by {count} outlets: {names}",
        len(names),
    )
    return template.format(count=len(names), names=listed)


def render_alert(
    article: Mapping[str, Any],
    *,
    feed_name: str,
    delivery_id: int,
    story_sources: int = 1,
    timezone: str = "UTC",
    also: Sequence[str] | None = None,
    caption: bool = False,
    language: str = DEFAULT,
) -> Alert:
    """Build the alert for one outbox row.

    ``article`` needs ``title``, ``url``, ``summary`` (falls back to ``text``) and ``published`` (falls back to
    ``first_seen``). ``also`` names the other outlets that report the story (:func:`also_reported`, a line of its
    own; an edit of a sent alert renders it again with more); without it, ``story_sources`` > 1 says how many
    sources carry the story. The summary is what gets shortened when the whole would pass 4,096: title, source
    line and link stay.

    With ``caption`` the same alert is made to fit a photo's 1,024-character caption. That limit is counted on
    the text as the reader sees it (tags and the link's address do not count), so here the budget is the visible
    text's, which this function knows exactly because it wrote every tag: measuring the HTML source instead would
    give a long article address most of the caption.

    The fixed words ("Read on", "sources", the buttons) are in the chat's ``language``; the feed's text is not
    translated.
    """
    title = _one_line(article.get("title")) or gettext_in(language, "Untitled article")
    title = truncate(title, _MAX_TITLE)
    summary = _paragraphs(article.get("summary") or article.get("text") or "")
    url = safe_url(article.get("url"))
    when = format_time(article.get("published") or article.get("first_seen"), timezone, language)
    source = _one_line(feed_name) or gettext_in(language, "Unknown source")
    meta = " · ".join(part for part in (source, when) if part)
    if also is None and story_sources > 1:
        sources = ngettext_in(language, "{count} source", "{count} sources", story_sources)
        meta += " · " + sources.format(count=story_sources)
    others = also_reported(also or (), language)
    read_on = gettext_in(language, "Read on {host}")
    host = (urlsplit(url).hostname or "").removeprefix("www.")[:60] if url else ""

    head_html = f"{bold(title)}\n{italic(meta)}" + (f"\n{italic(others)}" if others else "")
    link_html = (
        f'<a href="{html.escape(url, quote=True)}">{escape(read_on.format(host=host))}</a>' if url else ""
    )
    head_plain = f"{title}\n{meta}" + (f"\n{others}" if others else "")
    link_plain = url or ""

    def assemble(head: str, body: str, tail: str) -> str:
        return "\n\n".join(part for part in (head, body, tail) if part)

    gaps = 4 if summary else 0
    fixed_plain = text_length(assemble(head_plain, "", link_plain)) + gaps
    if caption:
        seen = text_length(assemble(head_plain, "", read_on.format(host=host) if url else "")) + gaps
        body_html = escape(truncate(summary, MAX_CAPTION - seen)) if summary else ""
        body_plain = truncate(summary, MAX_CAPTION - fixed_plain) if summary else ""
    else:
        fixed_html = text_length(assemble(head_html, "", link_html)) + gaps
        body_html = truncate(summary, MAX_MESSAGE - fixed_html, escaped=True) if summary else ""
        body_plain = truncate(summary, MAX_MESSAGE - fixed_plain) if summary else ""
    return Alert(
        html=assemble(head_html, body_html, link_html),
        plain=assemble(head_plain, body_plain, link_plain),
        buttons=_buttons_for(article, delivery_id, language),
    )


def _buttons_for(
    article: Mapping[str, Any], delivery_id: int, language: str
) -> tuple[tuple[tuple[str, str], ...], ...]:
    """More/Why/Mute, except in a channel: its readers cannot press them, they answer the subscriber, who is
    not there."""
    return () if article.get("chat_type") == "channel" else alert_buttons(delivery_id, language)


# The article fields render_alert reads: with the other arguments, they decide the alert's text.
_RENDERED_FIELDS = ("title", "url", "summary", "text", "published", "first_seen")


@functools.lru_cache(maxsize=128)
def _shared_text(
    fields: tuple[Any, ...],
    feed_name: str,
    story_sources: int,
    timezone: str,
    also: tuple[str, ...] | None,
    caption: bool,
    language: str,
) -> Alert:
    article = dict(zip(_RENDERED_FIELDS, fields, strict=True))
    return render_alert(
        article,
        feed_name=feed_name,
        delivery_id=0,
        story_sources=story_sources,
        timezone=timezone,
        also=also,
        caption=caption,
        language=language,
    )


def render_alert_cached(
    article: Mapping[str, Any],
    *,
    feed_name: str,
    delivery_id: int,
    story_sources: int = 1,
    timezone: str = "UTC",
    also: Sequence[str] | None = None,
    caption: bool = False,
    language: str = DEFAULT,
) -> Alert:
    """:func:`render_alert`, remembering the last 128 texts: a story fanned out to thousands of chats has the same
    text in each (only the buttons name the chat's own outbox row), and rendering it is a tenth of a send's CPU at
    paid-broadcast rates. The key is every input of the text (the article's fields and the chat's language
    included), so an article edited in its feed renders anew."""
    shared = _shared_text(
        tuple(article.get(name) for name in _RENDERED_FIELDS),
        feed_name,
        story_sources,
        timezone,
        None if also is None else tuple(also),
        caption,
        language,
    )
    return dataclasses.replace(shared, buttons=_buttons_for(article, delivery_id, language))
