"""When alerts and digests are delivered: local times, time zones, quiet hours and mute durations.

Everything here is pure (no clock, no database): callers pass "now" as an aware UTC datetime and get UTC
datetimes or unix times back, so the delivery loop and tests control time completely.

Local times are wall-clock times in the subscriber's zone, and DST makes two of them special:

- a time skipped when clocks spring forward (Europe/Kyiv has no 03:30 on the last Sunday of March) fires at the
  first instant that exists after it, the moment the clocks jump;
- a time that occurs twice when clocks fall back fires once, at its first occurrence.

Users type these values into Telegram, so every parser raises ``ValueError`` with a one-line message that can be
shown to them as it is.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Mapping
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

DEFAULT_DIGEST_TIME = "08:00"
# A sent alert is edited to name outlets that reported its story later, at most this often (seconds): reports
# arriving in between are shown together by the next edit.
EDIT_INTERVAL = 300.0
MAX_DURATION = timedelta(days=30)
MIN_DURATION = timedelta(minutes=1)

# Renamed zones and bare city names people type; tzdata keeps the old names as links, but we store the current one.
ALIASES = {
    "kiev": "Europe/Kyiv",
    "europe/kiev": "Europe/Kyiv",
    "calcutta": "Asia/Kolkata",
    "asia/calcutta": "Asia/Kolkata",
    "saigon": "Asia/Ho_Chi_Minh",
    "asia/saigon": "Asia/Ho_Chi_Minh",
    "katmandu": "Asia/Kathmandu",
    "asia/katmandu": "Asia/Kathmandu",
    "rangoon": "Asia/Yangon",
    "asia/rangoon": "Asia/Yangon",
    "constantinople": "Europe/Istanbul",
    "uzhgorod": "Europe/Kyiv",
    "zaporozhye": "Europe/Kyiv",
    "utc": "UTC",
    "gmt": "UTC",
    "z": "UTC",
}
_UTC_OFFSET = re.compile(r"^(?:utc|gmt)\s*([+-])\s*(\d{1,2})$")


# --- parsing what users type -------------------------------------------------------------------------------


def parse_hhmm(text: str) -> str:
    """A time of day as ``HH:MM``. Accepts "8:00", "08:00", "8.30", "0830", "8", "8am", "8:30 pm"."""
    raw = text.strip().lower().replace(" ", "")
    match = re.fullmatch(r"(\d{1,2})(?:[:.h]?(\d{2}))?(am|pm)?", raw)
    if match:
        hour, minute = int(match.group(1)), int(match.group(2) or 0)
        meridiem = match.group(3)
        if meridiem and 1 <= hour <= 12:
            hour = hour % 12 + (12 if meridiem == "pm" else 0)
        elif meridiem:
            hour = 99  # "13pm": not a time
        if hour < 24 and minute < 60:
            return f"{hour:02d}:{minute:02d}"
    raise ValueError(f"“{text.strip()}” is not a time of day. Use HH:MM, for example 08:00 or 21:30.")


def parse_quiet_range(text: str) -> tuple[str, str]:
    """Quiet hours as (start, end) ``HH:MM`` strings from "22:00-07:00" (also "22:00 – 07:00", "22 to 7")."""
    parts = re.split(r"\s*(?:-|–|—|\bto\b|\buntil\b)\s*", text.strip(), maxsplit=1)
    if len(parts) != 2 or not all(parts):
        raise ValueError(f"“{text.strip()}” is not a range of hours. Use START-END, for example 22:00-07:00.")
    start, end = parse_hhmm(parts[0]), parse_hhmm(parts[1])
    if start == end:
        raise ValueError("Quiet hours must start and end at different times, for example 22:00-07:00.")
    return start, end


@lru_cache(maxsize=1)
def _zone_names() -> dict[str, str]:
    """Lowercased zone name and lowercased city part (spaces for underscores) -> canonical zone name."""
    names: dict[str, str] = {}
    for name in sorted(available_timezones()):
        names[name.lower()] = name
    for name in sorted(available_timezones()):
        if "/" in name and not name.startswith(("Etc/", "SystemV/", "US/")):
            city = name.rsplit("/", 1)[1].lower()
            names.setdefault(city, name)
            names.setdefault(city.replace("_", " "), name)
    return names


def validate_timezone(name: str) -> str:
    """The canonical zoneinfo name for what the user typed, or ``ValueError`` suggesting close names.

    Case does not matter ("europe/kyiv"), a city alone is enough ("Kyiv", "new york"), renamed zones give their
    current name ("Kiev" -> "Europe/Kyiv"), and "UTC+3" becomes the fixed-offset zone Etc/GMT-3.
    """
    raw = name.strip()
    key = re.sub(r"\s+", " ", raw.lower())
    if not key:
        raise ValueError("Give a time zone, for example Europe/Kyiv or America/New_York.")
    if key in ALIASES:
        return ALIASES[key]
    offset = _UTC_OFFSET.match(key)
    if offset:
        hours = int(offset.group(2))
        if hours > 14:
            raise ValueError(f"“{raw}” is not a real UTC offset; offsets run from UTC-12 to UTC+14.")
        # The Etc zones count the other way round: UTC+3 is Etc/GMT-3.
        return "UTC" if hours == 0 else f"Etc/GMT{'-' if offset.group(1) == '+' else '+'}{hours}"
    names = _zone_names()
    for candidate in (key, key.replace(" ", "_")):
        if candidate in names:
            return names[candidate]
    close = difflib.get_close_matches(key.replace(" ", "_"), list(names), n=3, cutoff=0.6)
    suggestions = list(dict.fromkeys(ALIASES.get(c, names[c]) for c in close))
    hint = f" Did you mean {' or '.join(suggestions)}?" if suggestions else ""
    raise ValueError(f"Unknown time zone “{raw}”.{hint} Use a name like Europe/Kyiv or America/New_York.")


_DURATION_UNITS = {
    "m": 60,
    "min": 60,
    "mins": 60,
    "minute": 60,
    "minutes": 60,
    "h": 3600,
    "hr": 3600,
    "hrs": 3600,
    "hour": 3600,
    "hours": 3600,
    "d": 86400,
    "day": 86400,
    "days": 86400,
    "w": 604800,
    "week": 604800,
    "weeks": 604800,
}


def parse_duration(text: str) -> timedelta:
    """A duration such as "30m", "2h", "1d", "90m", "1h30m" or "2 hours", between a minute and 30 days."""
    raw = text.strip().lower()
    if raw.isdigit():
        raise ValueError(f"Add a unit: {raw}m for minutes, {raw}h for hours or {raw}d for days.")
    parts = re.findall(r"(\d+)\s*([a-z]+)", raw)
    if not raw or not parts or re.sub(r"(\d+)\s*([a-z]+)", "", raw).strip():
        raise ValueError(f"“{text.strip()}” is not a duration. Use for example 30m, 2h or 1d.")
    seconds = 0
    for amount, unit in parts:
        if unit not in _DURATION_UNITS:
            raise ValueError(
                f"“{unit}” is not a unit I know. Use m (minutes), h (hours) or d (days), e.g. 2h."
            )
        seconds += int(amount) * _DURATION_UNITS[unit]
    if seconds > MAX_DURATION.total_seconds():
        raise ValueError(f"That is too long: at most {MAX_DURATION.days} days (e.g. 30d).")
    duration = timedelta(seconds=seconds)
    if duration < MIN_DURATION:
        raise ValueError("That is too short: use at least 1m.")
    return duration


# --- local times -------------------------------------------------------------------------------------------


def _utc(moment: datetime) -> datetime:
    """``moment`` in UTC; a naive datetime is taken to be UTC already."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _zone(name: str | None) -> ZoneInfo:
    """The zone for a stored name; UTC if the name is empty or no longer known to tzdata."""
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def _clock(hhmm: str) -> time:
    hour, minute = parse_hhmm(hhmm).split(":")
    return time(int(hour), int(minute))


def local_instant(day: date, clock: time, zone: ZoneInfo) -> datetime:
    """The UTC instant at which ``zone``'s wall clock shows ``clock`` on ``day``.

    Ambiguous (clocks fall back): the first occurrence. Nonexistent (clocks spring forward): the instant of the
    jump, the first valid instant after it.
    """
    wall = datetime.combine(day, clock)
    first = wall.replace(tzinfo=zone, fold=0)
    if first.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall:
        return first.astimezone(UTC)
    # In a gap, fold=0 reads the wall time with the offset before the jump and fold=1 with the offset after, so
    # the jump lies between the two readings; find its exact second by bisection.
    low = int(wall.replace(tzinfo=zone, fold=1).astimezone(UTC).timestamp())
    high = int(first.astimezone(UTC).timestamp())
    low, high = min(low, high), max(low, high)
    after = datetime.fromtimestamp(high, UTC).astimezone(zone).utcoffset()
    while low < high:
        middle = (low + high) // 2
        if datetime.fromtimestamp(middle, UTC).astimezone(zone).utcoffset() == after:
            high = middle
        else:
            low = middle + 1
    return datetime.fromtimestamp(high, UTC)


def next_daily_digest(now_utc: datetime, tz: str, at: str) -> datetime:
    """The next UTC instant, strictly after ``now_utc``, at which it is ``at`` (HH:MM) in zone ``tz``.

    Exactly once per local day, whatever DST does (see ``local_instant``).
    """
    now = _utc(now_utc)
    zone = _zone(tz)
    clock = _clock(at)
    today = now.astimezone(zone).date()
    for offset in range(-1, 3):
        instant = local_instant(today + timedelta(days=offset), clock, zone)
        if instant > now:
            return instant
    raise AssertionError("unreachable: a local time occurs within any three days")


def next_hourly_digest(now_utc: datetime) -> datetime:
    """The next full hour (UTC) strictly after ``now_utc``."""
    now = _utc(now_utc)
    return now.replace(minute=0, second=0, microsecond=0) + timedelta(hours=1)


def in_quiet_hours(now_utc: datetime, tz: str, start: str, end: str) -> bool:
    """Whether the local wall-clock time is within [start, end); the range may cross midnight (22:00-07:00)."""
    begin, finish = _clock(start), _clock(end)
    if begin == finish:
        return False
    wall = _utc(now_utc).astimezone(_zone(tz)).time()
    if begin < finish:
        return begin <= wall < finish
    return wall >= begin or wall < finish


def quiet_hours_end(now_utc: datetime, tz: str, start: str, end: str) -> datetime:
    """The UTC instant the quiet hours around ``now_utc`` end; ``now_utc`` itself when it is not in quiet hours."""
    now = _utc(now_utc)
    if not in_quiet_hours(now, tz, start, end):
        return now
    return next_daily_digest(now, tz, end)


def release_time(now_utc: datetime | float, subscriber: Mapping[str, Any]) -> float | None:
    """When an alert created at ``now_utc`` should be delivered to this subscriber, as unix time; None = at once.

    ``subscriber`` is a ``subscribers`` row (``digest``: off | hourly | daily, ``timezone``, ``digest_time``,
    ``quiet_start``, ``quiet_end``). Digests wait for the next full hour or the daily time; quiet hours hold
    whatever would arrive during them until they end, when everything held goes out together. Mute and pause are
    not handled here: they decide whether an alert is made at all.
    """
    now = datetime.fromtimestamp(now_utc, UTC) if isinstance(now_utc, int | float) else _utc(now_utc)
    tz = subscriber.get("timezone") or "UTC"
    digest = subscriber.get("digest") or "off"
    if digest == "hourly":
        release: datetime | None = next_hourly_digest(now)
    elif digest == "daily":
        release = next_daily_digest(now, tz, subscriber.get("digest_time") or DEFAULT_DIGEST_TIME)
    else:
        release = None
    start, end = subscriber.get("quiet_start"), subscriber.get("quiet_end")
    if start and end:
        moment = release or now
        if in_quiet_hours(moment, tz, start, end):
            release = quiet_hours_end(moment, tz, start, end)
    return release.timestamp() if release is not None else None
