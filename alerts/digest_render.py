"""How a digest reads: its header, its stories grouped by subscription, cut into messages under 4,096 characters.

Pure rendering from outbox rows (joined with their articles) to Telegram HTML parts; :mod:`alerts.digests`
claims the rows and sends the parts. Every part is valid HTML on its own, so a digest may be cut between entries.
"""

from __future__ import annotations

import html
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel.dates import format_date

from alerts import timing
from alerts.messages import (
    MAX_MESSAGE,
    bold,
    clean,
    italic,
    name_list,
    safe_url,
    source_name,
    text_length,
    truncate,
)
from i18n.catalog import gettext_in, ngettext_in
from i18n.languages import DEFAULT

_MAX_TITLE = 200
_MAX_LABEL = 100
_RECENT = 2 * 3600  # overflow rows younger than this are "from the past hour"


class Kind(StrEnum):
    """Why a digest's stories waited, which is what its header says."""

    DAILY = "daily"
    QUIET = "quiet"
    HOURLY = "hourly"
    OVERFLOW = "overflow"


# A digest mixing reasons is named by the first that applies: a daily digest released at the end of quiet hours is
# still the daily digest; an hourly digest that quiet hours held is news from the night.
_PRECEDENCE = (Kind.DAILY, Kind.QUIET, Kind.HOURLY, Kind.OVERFLOW)


def row_kind(row: dict[str, Any]) -> Kind:
    """Why this row became a digest row, from the subscriber's settings (columns of the claimed row)."""
    digest = row.get("digest") or "off"
    if digest == "daily":
        return Kind.DAILY
    created = datetime.fromtimestamp(float(row["created_at"]), UTC)
    natural = timing.next_hourly_digest(created) if digest == "hourly" else created
    start, end = row.get("quiet_start"), row.get("quiet_end")
    if start and end and timing.in_quiet_hours(natural, row.get("timezone") or "UTC", start, end):
        return Kind.QUIET
    return Kind.HOURLY if digest == "hourly" else Kind.OVERFLOW


def digest_title(rows: Sequence[dict[str, Any]], now: float, language: str = DEFAULT) -> str:
    """The header line without its count, e.g. "📰 Your daily digest"."""
    kinds = {row_kind(row) for row in rows}
    kind = next(k for k in _PRECEDENCE if k in kinds)
    if kind is Kind.DAILY:
        return gettext_in(language, "📰 Your daily digest")
    if kind is Kind.QUIET:
        return gettext_in(language, "🌙 While you were in quiet hours")
    if kind is Kind.HOURLY:
        return gettext_in(language, "🕐 Your hourly digest")
    if all(now - float(row["created_at"]) <= _RECENT for row in rows):
        return gettext_in(language, "📬 More alerts from the past hour")
    return gettext_in(language, "📬 Alerts held for you")


# --------------------------------------------------------------------------------------------------- rendering


@dataclass(frozen=True)
class DigestPart:
    """One message of a digest: HTML, the same as plain text (Telegram's fallback), and the rows it carries."""

    html: str
    plain: str
    delivery_ids: tuple[int, ...]


@dataclass(frozen=True)
class _Block:
    html: str
    plain: str

    @property
    def size(self) -> int:
        # Packing by the longer of the two keeps the plain-text fallback within the limit as well.
        return max(text_length(self.html), text_length(self.plain))


def _zone(name: str | None) -> Any:
    try:
        return ZoneInfo(name) if name else UTC
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def when(row: dict[str, Any]) -> float:
    """When a story happened, for ordering: its publication time, else when it was first seen or queued."""
    return float(row.get("published") or row.get("first_seen") or row["created_at"])


def entry_time(timestamp: float, zone: Any, now: float, language: str = DEFAULT) -> str:
    """ "07:42 EET" for the digest's own (local) day, "26 Nov, 21:10 EET" for an earlier one (the month in
    the reader's ``language``, from CLDR)."""
    moment = datetime.fromtimestamp(timestamp, zone)
    if moment.date() == datetime.fromtimestamp(now, zone).date():
        day = ""
    elif language == DEFAULT:
        day = f"{moment.day} {moment:%b}, "
    else:
        day = format_date(moment, "d MMM", locale=language) + ", "
    return f"{day}{moment:%H:%M} {moment.tzname() or 'UTC'}"


def _one_line(text: object) -> str:
    """Untrusted text on one line, with control characters and lone surrogates gone (plain text too must be sendable)."""
    return " ".join(clean(text).split())


def _label(row: dict[str, Any], language: str) -> str:
    """The subscription that matched, as the user typed it (the explanation keeps it even if it was removed)."""
    try:
        explanation = json.loads(row.get("explanation") or "{}")
    except ValueError:
        explanation = {}
    label = explanation.get("subscription") if isinstance(explanation, dict) else None
    text = _one_line(label or row.get("subscription_raw"))
    return truncate(text, _MAX_LABEL) if text else gettext_in(language, "Other matches")


def _entry(row: dict[str, Any], zone: Any, now: float, language: str) -> _Block:
    title = truncate(_one_line(row.get("title")) or gettext_in(language, "Untitled article"), _MAX_TITLE)
    url = safe_url(row.get("url"))
    feed = {k: row.get(f"feed_{k}") for k in ("name", "title", "url", "site_url")}
    outlets = row.get("story_outlets")
    source = (name_list(outlets, language=language) if outlets else "") or source_name(
        feed, row.get("url"), language
    )
    meta = [source, entry_time(when(row), zone, now, language)]
    sources = int(row.get("story_sources") or 1)
    if not outlets and sources > 1:
        meta.append(ngettext_in(language, "{count} source", "{count} sources", sources).format(count=sources))
    line = " · ".join(meta)
    heading = bold(title)
    if url:
        heading = f'<a href="{html.escape(url, quote=True)}">{heading}</a>'
    plain = f"• {title}\n   {line}" + (f"\n   {url}" if url else "")
    return _Block(f"• {heading}\n   {italic(line)}", plain)


def _group_heading(label: str, continued: bool, language: str) -> _Block:
    more = " " + gettext_in(language, "(continued)") if continued else ""
    return _Block(f"🔎 {bold(label)}{italic(more) if more else ''}", f"🔎 {label}{more}")


def _groups(rows: Sequence[dict[str, Any]], language: str) -> list[tuple[str, list[dict[str, Any]]]]:
    """Rows grouped by subscription, newest story first within a group, the group with the newest story first."""
    grouped: dict[Any, tuple[str, list[dict[str, Any]]]] = {}
    for row in rows:
        label = _label(row, language)
        key = row.get("subscription_id") or label
        grouped.setdefault(key, (label, []))[1].append(row)
    for _label_text, members in grouped.values():
        members.sort(key=lambda r: (when(r), r["id"]), reverse=True)
    return sorted(grouped.values(), key=lambda g: (when(g[1][0]), g[1][0]["id"]), reverse=True)


class _Packer:
    """Fills messages with group headings and entries, never cutting an entry nor leaving a heading alone."""

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.parts: list[tuple[list[str], list[str], list[int]]] = []
        self._size = 0
        self._group_open = False

    def _new_part(self) -> None:
        self.parts.append(([], [], []))
        self._size = 0
        self._group_open = False

    def add_group(self, heading: _Block, continued: _Block, entries: Sequence[tuple[int, _Block]]) -> None:
        self._group_open = False
        for index, (delivery_id, entry) in enumerate(entries):
            head = None if self._group_open else (continued if index else heading)
            cost = entry.size + 1 + (head.size + (2 if self._size else 0) if head else 0)
            if not self.parts or (self._size and self._size + cost > self.budget):
                self._new_part()
                head = continued if index else heading
                cost = head.size + 1 + entry.size
            html_lines, plain_lines, ids = self.parts[-1]
            if head is not None:
                separator = "\n\n" if html_lines else ""
                html_lines.append(separator + head.html)
                plain_lines.append(separator + head.plain)
                self._group_open = True
            html_lines.append("\n" + entry.html)
            plain_lines.append("\n" + entry.plain)
            ids.append(delivery_id)
            self._size += cost


def render_digest(
    rows: Sequence[dict[str, Any]], *, now: float, limit: int = MAX_MESSAGE, language: str = DEFAULT
) -> list[DigestPart]:
    """The messages of one chat's digest (claimed rows with article, feed and subscriber columns, and
    ``story_outlets``, the story's outlets by name, when it has several), in order.

    Every part starts with the header (numbered "(2/3)" when there are several) and holds whole entries only;
    a group cut between parts is headed again as "(continued)". Each part's HTML and plain text stay within
    ``limit`` (counted as :func:`alerts.messages.text_length` does). The fixed words are in the chat's
    ``language``.
    """
    if not rows:
        return []
    zone = _zone(rows[0].get("timezone"))
    count = len(rows)
    stories = ngettext_in(language, "{count} story", "{count} stories", count).format(count=count)
    title = f"{digest_title(rows, now, language)} — {stories}"
    widest = _Block(bold(f"{title} ({count}/{count})"), f"{title} ({count}/{count})")
    packer = _Packer(limit - widest.size - 2)
    for label, members in _groups(rows, language):
        entries = [(int(row["id"]), _entry(row, zone, now, language)) for row in members]
        packer.add_group(
            _group_heading(label, False, language), _group_heading(label, True, language), entries
        )
    total = len(packer.parts)
    parts = []
    for number, (html_lines, plain_lines, ids) in enumerate(packer.parts, 1):
        header = title if total == 1 else f"{title} ({number}/{total})"
        parts.append(
            DigestPart(
                html=f"{bold(header)}\n\n{''.join(html_lines)}",
                plain=f"{header}\n\n{''.join(plain_lines)}",
                delivery_ids=tuple(ids),
            )
        )
    return parts
