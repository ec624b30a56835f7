"""The ``/export`` file: a chat's subscriptions as plain text, one query a line, and reading such a file back.

Plain text, so a person can read it, edit it, or write one by hand::

    # newsalert subscriptions v1, exported 7 Dec 2026, 16:30 UTC: 3 subscriptions
    # One query a line, as after /subscribe; options in [brackets] first: silent, muted until 2026-12-08T10:00Z.
    # Send this file back with /import as its caption to subscribe a chat to all of them.
    kosovo
    [silent] "tear gas" -football
    [silent, muted until 2026-12-08T10:00Z] region:balkans

The first line says it is an export (a file without it is refused, whatever it holds); other lines starting with
``#`` and blank lines are skipped. A query that itself starts with ``[`` or ``#`` is written after an empty ``[]``.
Reading checks every line and reports each bad one with its number, so the caller can refuse the whole file: an
import is all or nothing. No Telegram here: :mod:`handlers.transfer` does the sending and receiving.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime

from alerts.messages import format_time
from matching import Query, QueryError, parse_query

MAGIC = "# newsalert subscriptions"
VERSION = "v1"
MAX_QUERY_CHARS = 200
_TIME_FORMAT = "%Y-%m-%dT%H:%MZ"


@dataclass(frozen=True)
class Entry:
    """One subscription line of an export, understood."""

    line: int
    raw: str
    query: Query
    silent: bool = False
    muted_until: float | None = None


@dataclass
class ReadExport:
    """What a file holds: its entries, and the lines that cannot be used as ``(line number, reason)``."""

    entries: list[Entry] = field(default_factory=list)
    errors: list[tuple[int, str]] = field(default_factory=list)


class NotAnExportError(ValueError):
    """The file is not an export made by ``/export``; ``str(e)`` says why in one line."""


def render_export(rows: list[dict], *, now: float | None = None) -> str:
    """The export of a chat's subscription rows (``raw``, ``silent``, ``muted_until``), in ``/list`` order."""
    now = time.time() if now is None else now
    count = f"{len(rows)} subscription" + ("" if len(rows) == 1 else "s")
    lines = [
        f"{MAGIC} {VERSION}, exported {format_time(now)}: {count}",
        "# One query a line, as after /subscribe; options in [brackets] first: silent, "
        "muted until 2026-12-08T10:00Z.",
        "# Send this file back with /import as its caption to subscribe a chat to all of them.",
    ]
    for row in rows:
        options = []
        if row.get("silent"):
            options.append("silent")
        if row.get("muted_until") and row["muted_until"] > now:
            stamp = datetime.fromtimestamp(row["muted_until"], UTC).strftime(_TIME_FORMAT)
            options.append(f"muted until {stamp}")
        raw = " ".join(str(row["raw"]).split())
        prefix = f"[{', '.join(options)}] " if options or raw.startswith(("[", "#")) else ""
        lines.append(prefix + raw)
    return "\n".join(lines) + "\n"


def check_export(text: str) -> None:
    """Raise :class:`NotAnExportError` unless the file's first line says it is an export."""
    first = next((line.strip() for line in text.splitlines() if line.strip()), "")
    if not first.lower().startswith(MAGIC):
        raise NotAnExportError(
            f"That file is not a newsalert export: its first line should start with “{MAGIC}”. "
            "Send a file that /export made."
        )


def read_export(text: str, *, now: float | None = None) -> ReadExport:
    """Every subscription line of an export; raises :class:`NotAnExportError` if the file is not one."""
    now = time.time() if now is None else now
    check_export(text)
    result = ReadExport()
    for number, stripped in _subscription_lines(text.splitlines()):
        try:
            result.entries.append(_entry(number, stripped, now))
        except ValueError as error:
            result.errors.append((number, str(error)))
    return result


def count_entries(text: str) -> int:
    """How many subscription lines a file has (checked against the cap before any line is parsed)."""
    return sum(1 for _ in _subscription_lines(text.splitlines()))


def _subscription_lines(lines: list[str]) -> Iterator[tuple[int, str]]:
    """(line number, stripped line) of the lines that are not blank and not comments."""
    for number, line in enumerate(lines, start=1):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            yield number, stripped


def _entry(number: int, line: str, now: float) -> Entry:
    """One line as an :class:`Entry`; ValueError (a QueryError is one) saying what is wrong with it."""
    silent, muted_until = False, None
    raw = line
    if line.startswith("["):
        options, bracket, rest = line[1:].partition("]")
        if not bracket:
            raise ValueError("the [options] are not closed with ]")
        silent, muted_until = _options(options, now)
        raw = rest.strip()
    if not raw:
        raise ValueError("there is no query after the options")
    if len(raw) > MAX_QUERY_CHARS:
        raise ValueError(f"the query is {len(raw)} characters long; the limit is {MAX_QUERY_CHARS}")
    try:
        query = parse_query(raw)
    except QueryError as error:
        raise ValueError(f"“{raw[:60]}”: {error}") from None
    return Entry(number, raw, query, silent, muted_until)


def _options(text: str, now: float) -> tuple[bool, float | None]:
    silent, muted_until = False, None
    for option in (part.strip() for part in text.split(",")):
        if not option:
            continue
        if option.lower() == "silent":
            silent = True
        elif option.lower().startswith("muted until "):
            stamp = option[len("muted until ") :].strip()
            try:
                until = datetime.strptime(stamp, _TIME_FORMAT).replace(tzinfo=UTC).timestamp()
            except ValueError:
                raise ValueError(f"“{stamp[:40]}” is not a time like 2026-12-08T10:00Z") from None
            muted_until = until if until > now else None  # a mute that has run out is no mute
        else:
            raise ValueError(f"unknown option “{option[:40]}” (known: silent, muted until 2026-12-08T10:00Z)")
    return silent, muted_until
