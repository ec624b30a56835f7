"""Delivery timing: daily digests across DST, quiet hours, durations, zones and the release rule.

Expected instants are worked out by hand from the zones' published rules (EU: last Sunday of March/October at
01:00 UTC; US: second Sunday of March / first Sunday of November at 02:00 local; Lord Howe: 30-minute DST at 02:00
local on the first Sunday of October/April), not from the code under test.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alerts.timing import (
    in_quiet_hours,
    next_daily_digest,
    next_hourly_digest,
    parse_duration,
    parse_hhmm,
    parse_quiet_range,
    quiet_hours_end,
    release_time,
    validate_timezone,
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def fires(tz: str, at: str, start: datetime, count: int) -> list[datetime]:
    """The next ``count`` digest instants after ``start``, each computed from the previous one (as a scheduler does)."""
    out, now = [], start
    for _ in range(count):
        now = next_daily_digest(now, tz, at)
        out.append(now)
    return out


@pytest.mark.parametrize(
    ("start", "before", "after", "change"),
    [
        # Spring forward on Sunday 29 March 2026: 08:00 EET (UTC+2) is 06:00 UTC, 08:00 EEST (UTC+3) is 05:00 UTC.
        (utc(2026, 3, 26), 6, 5, date(2026, 3, 29)),
        # Fall back on Sunday 25 October 2026: 05:00 UTC before, 06:00 UTC after.
        (utc(2026, 10, 22), 5, 6, date(2026, 10, 25)),
    ],
)
def test_kyiv_daily_digest_at_eight_once_per_local_day_across_dst(
    start: datetime, before: int, after: int, change: date
) -> None:
    instants = fires("Europe/Kyiv", "08:00", start, 7)
    local = [i.astimezone(ZoneInfo("Europe/Kyiv")) for i in instants]
    assert [(t.hour, t.minute) for t in local] == [(8, 0)] * 7
    assert [t.date() for t in local] == [start.date() + timedelta(days=d) for d in range(7)]
    assert [i.hour for i in instants] == [before if i.date() < change else after for i in instants]


def test_kyiv_nonexistent_time_fires_when_the_clocks_jump() -> None:
    # 03:00 EET -> 04:00 EEST at 01:00 UTC on 29 March 2026: 03:30 does not exist that day.
    assert next_daily_digest(utc(2026, 3, 28, 12), "Europe/Kyiv", "03:30") == utc(2026, 3, 29, 1, 0)
    assert next_daily_digest(utc(2026, 3, 29, 1, 0), "Europe/Kyiv", "03:30") == utc(2026, 3, 30, 0, 30)


def test_kyiv_ambiguous_time_fires_once_at_its_first_occurrence() -> None:
    # 04:00 EEST -> 03:00 EET at 01:00 UTC on 25 October 2026: 03:30 happens at 00:30 and again at 01:30 UTC.
    first = next_daily_digest(utc(2026, 10, 24, 12), "Europe/Kyiv", "03:30")
    assert first == utc(2026, 10, 25, 0, 30)
    assert next_daily_digest(first, "Europe/Kyiv", "03:30") == utc(2026, 10, 26, 1, 30)


def test_new_york_daily_digest_and_dst_edges() -> None:
    # 08:00 EST = 13:00 UTC until 8 March 2026, then 08:00 EDT = 12:00 UTC.
    assert [i.hour for i in fires("America/New_York", "08:00", utc(2026, 3, 6, 14), 3)] == [13, 12, 12]
    # 02:30 does not exist on 8 March (02:00 EST -> 03:00 EDT at 07:00 UTC).
    assert next_daily_digest(utc(2026, 3, 7, 12), "America/New_York", "02:30") == utc(2026, 3, 8, 7, 0)
    # 01:30 happens twice on 1 November (EDT then EST): the first is 05:30 UTC.
    first = next_daily_digest(utc(2026, 10, 31, 12), "America/New_York", "01:30")
    assert first == utc(2026, 11, 1, 5, 30)
    assert next_daily_digest(first, "America/New_York", "01:30") == utc(2026, 11, 2, 6, 30)


def test_lord_howe_half_hour_dst() -> None:
    # Standard time is UTC+10:30, summer time UTC+11. Summer time ends Sunday 5 April 2026 (02:00 -> 01:30):
    # 01:45 happens twice, first at 14:45 UTC on 4 April.
    first = next_daily_digest(utc(2026, 4, 4, 0), "Australia/Lord_Howe", "01:45")
    assert first == utc(2026, 4, 4, 14, 45)
    assert next_daily_digest(first, "Australia/Lord_Howe", "01:45") == utc(2026, 4, 5, 15, 15)
    # It starts Sunday 4 October 2026 (02:00 -> 02:30): 02:15 does not exist; the jump is at 15:30 UTC on 3 Oct.
    assert next_daily_digest(utc(2026, 10, 3, 0), "Australia/Lord_Howe", "02:15") == utc(2026, 10, 3, 15, 30)
    # 08:00 moves by half an hour: 21:30 UTC (UTC+10:30) before, 21:00 UTC (UTC+11) after.
    times = [(i.hour, i.minute) for i in fires("Australia/Lord_Howe", "08:00", utc(2026, 10, 2, 0), 3)]
    assert times == [(21, 30), (21, 0), (21, 0)]


ZONES = ["Europe/Kyiv", "America/New_York", "Australia/Lord_Howe", "Asia/Kolkata", "America/Santiago", "UTC"]


@settings(max_examples=300, deadline=None)
@given(
    zone=st.sampled_from(ZONES),
    now=st.datetimes(
        min_value=datetime(2020, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
    ),
    hour=st.integers(0, 23),
    minute=st.integers(0, 59),
)
def test_daily_digest_properties(zone: str, now: datetime, hour: int, minute: int) -> None:
    at = f"{hour:02d}:{minute:02d}"
    first = next_daily_digest(now, zone, at)
    second = next_daily_digest(first, zone, at)
    assert now < first <= now + timedelta(hours=26)
    tz = ZoneInfo(zone)
    # Once per local day: consecutive fires fall on consecutive local dates.
    assert second.astimezone(tz).date() == first.astimezone(tz).date() + timedelta(days=1)
    for instant in (first, second):
        wall = instant.astimezone(tz)
        if (wall.hour, wall.minute) != (hour, minute):
            # Only when the time was skipped: the instant is a clock change and the wall time just passed it.
            assert (instant - timedelta(seconds=1)).astimezone(tz).utcoffset() != wall.utcoffset()
            assert wall.time() > wall.replace(hour=hour, minute=minute).time()


def test_hourly_digest_is_the_next_full_hour() -> None:
    assert next_hourly_digest(utc(2026, 5, 1, 10, 0)) == utc(2026, 5, 1, 11, 0)
    assert next_hourly_digest(utc(2026, 5, 1, 10, 59, 59)) == utc(2026, 5, 1, 11, 0)
    assert next_hourly_digest(utc(2026, 12, 31, 23, 30)) == utc(2027, 1, 1, 0, 0)


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        ("21:59", False),
        ("22:00", True),
        ("23:30", True),
        ("00:00", True),
        ("06:59", True),
        ("07:00", False),
        ("12:00", False),
    ],
)
def test_quiet_hours_across_midnight(local: str, expected: bool) -> None:
    hour, minute = map(int, local.split(":"))
    # Kyiv is UTC+2 in January.
    now = datetime(2026, 1, 15, hour, minute, tzinfo=ZoneInfo("Europe/Kyiv")).astimezone(UTC)
    assert in_quiet_hours(now, "Europe/Kyiv", "22:00", "07:00") is expected


def test_quiet_hours_within_a_day_and_empty_range() -> None:
    assert in_quiet_hours(utc(2026, 1, 15, 13, 30), "UTC", "13:00", "15:00")
    assert not in_quiet_hours(utc(2026, 1, 15, 15, 0), "UTC", "13:00", "15:00")
    assert not in_quiet_hours(utc(2026, 1, 15, 13, 0), "UTC", "13:00", "13:00")


def test_quiet_hours_end() -> None:
    # 23:00 Kyiv on 15 January (21:00 UTC): quiet until 07:00 Kyiv on the 16th, 05:00 UTC.
    assert quiet_hours_end(utc(2026, 1, 15, 21), "Europe/Kyiv", "22:00", "07:00") == utc(2026, 1, 16, 5)
    # 01:00 Kyiv on the 16th: the same end.
    assert quiet_hours_end(utc(2026, 1, 15, 23), "Europe/Kyiv", "22:00", "07:00") == utc(2026, 1, 16, 5)
    # Not quiet: now.
    assert quiet_hours_end(utc(2026, 1, 15, 10), "Europe/Kyiv", "22:00", "07:00") == utc(2026, 1, 15, 10)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2h", timedelta(hours=2)),
        ("30m", timedelta(minutes=30)),
        ("1d", timedelta(days=1)),
        ("90m", timedelta(minutes=90)),
        ("1h30m", timedelta(minutes=90)),
        ("1h 30m", timedelta(minutes=90)),
        ("2 hours", timedelta(hours=2)),
        (" 1W ", timedelta(weeks=1)),
        ("30d", timedelta(days=30)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "not a duration"),
        ("soon", "not a duration"),
        ("-2h", "not a duration"),
        ("2x", "not a unit"),
        ("5", "Add a unit"),
        ("0m", "too short"),
        ("31d", "too long"),
        ("99999999999999999999d", "too long"),
    ],
)
def test_parse_duration_rejects_with_a_friendly_reason(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        parse_duration(text)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("08:00", "08:00"),
        ("8:00", "08:00"),
        ("8", "08:00"),
        ("0830", "08:30"),
        ("21.45", "21:45"),
        ("8pm", "20:00"),
        ("12am", "00:00"),
        ("12:15 PM", "12:15"),
        ("23:59", "23:59"),
    ],
)
def test_parse_hhmm(text: str, expected: str) -> None:
    assert parse_hhmm(text) == expected


@pytest.mark.parametrize("text", ["24:00", "8:60", "13pm", "noon", "", "8:5", "-1:00"])
def test_parse_hhmm_rejects(text: str) -> None:
    with pytest.raises(ValueError, match="not a time of day"):
        parse_hhmm(text)


def test_parse_quiet_range() -> None:
    assert parse_quiet_range("22:00-07:00") == ("22:00", "07:00")
    assert parse_quiet_range("22:00 – 7:00") == ("22:00", "07:00")
    assert parse_quiet_range("10pm to 7am") == ("22:00", "07:00")
    with pytest.raises(ValueError, match="not a range"):
        parse_quiet_range("22:00")
    with pytest.raises(ValueError, match="different times"):
        parse_quiet_range("07:00-7:00")
    with pytest.raises(ValueError, match="not a time of day"):
        parse_quiet_range("22:00-25:00")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Europe/Kyiv", "Europe/Kyiv"),
        ("europe/kyiv", "Europe/Kyiv"),
        ("Kiev", "Europe/Kyiv"),
        ("Europe/Kiev", "Europe/Kyiv"),
        ("kyiv", "Europe/Kyiv"),
        ("new york", "America/New_York"),
        ("Lord_Howe", "Australia/Lord_Howe"),
        ("utc", "UTC"),
        ("UTC+3", "Etc/GMT-3"),
        ("GMT-5", "Etc/GMT+5"),
    ],
)
def test_validate_timezone(text: str, expected: str) -> None:
    assert validate_timezone(text) == expected
    ZoneInfo(expected)


def test_unknown_timezone_suggests_close_names() -> None:
    with pytest.raises(
        ValueError, match=r"Unknown time zone “Europe/Kyv”\. Did you mean Europe/Kyiv"
    ) as error:
        validate_timezone("Europe/Kyv")
    assert "Europe/Kiev" not in str(error.value)
    with pytest.raises(ValueError, match="America/New_York"):
        validate_timezone("Amerika/New_Yrok")
    for bad in ("Mars/Olympus", "../../etc/passwd", "", "UTC+15"):
        with pytest.raises(ValueError):
            validate_timezone(bad)


def subscriber(**columns: object) -> dict[str, object]:
    row: dict[str, object] = {
        "timezone": "UTC",
        "digest": "off",
        "digest_time": None,
        "quiet_start": None,
        "quiet_end": None,
    }
    row.update(columns)
    return row


def test_release_time_instant_unless_quiet() -> None:
    now = utc(2026, 1, 15, 12)
    assert release_time(now, subscriber()) is None
    assert release_time(now.timestamp(), subscriber()) is None
    quiet = subscriber(timezone="Europe/Kyiv", quiet_start="22:00", quiet_end="07:00")
    assert release_time(now, quiet) is None
    assert release_time(utc(2026, 1, 15, 21), quiet) == utc(2026, 1, 16, 5).timestamp()


def test_release_time_digests() -> None:
    now = utc(2026, 1, 15, 12, 20)
    assert release_time(now, subscriber(digest="hourly")) == utc(2026, 1, 15, 13).timestamp()
    daily = subscriber(digest="daily", timezone="Europe/Kyiv", digest_time="08:00")
    assert release_time(now, daily) == utc(2026, 1, 16, 6).timestamp()
    # No time stored: the default 08:00.
    assert (
        release_time(now, subscriber(digest="daily", timezone="Europe/Kyiv"))
        == utc(2026, 1, 16, 6).timestamp()
    )


def test_release_time_quiet_hours_hold_digests_until_they_end() -> None:
    # Hourly digest due at 21:00 UTC = 23:00 Kyiv, inside 22:00-07:00: held to 07:00 Kyiv (05:00 UTC).
    hourly = subscriber(digest="hourly", timezone="Europe/Kyiv", quiet_start="22:00", quiet_end="07:00")
    assert release_time(utc(2026, 1, 15, 20, 10), hourly) == utc(2026, 1, 16, 5).timestamp()
    # Daily at 06:00 Kyiv, quiet until 07:00: the digest goes out at 07:00.
    daily = subscriber(
        digest="daily", timezone="Europe/Kyiv", digest_time="06:00", quiet_start="22:00", quiet_end="07:00"
    )
    assert release_time(utc(2026, 1, 15, 12), daily) == utc(2026, 1, 16, 5).timestamp()


def test_release_time_survives_a_zone_tzdata_no_longer_knows() -> None:
    assert (
        release_time(utc(2026, 1, 15, 12, 20), subscriber(digest="hourly", timezone="Nowhere/Gone"))
        == utc(2026, 1, 15, 13).timestamp()
    )
