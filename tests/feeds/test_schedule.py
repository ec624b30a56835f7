"""Next-check arithmetic: interval, server hints capped at an hour, backoff capped, deterministic spread."""

from __future__ import annotations

from feeds.schedule import (
    BACKOFF_CAP_SECONDS,
    first_check_at,
    next_check_after_failure,
    next_check_after_success,
    spread_fraction,
)

NOW = 1_780_000_000.0


def test_success_uses_the_interval() -> None:
    assert next_check_after_success(NOW, 300) == NOW + 300


def test_hints_only_lengthen_and_are_capped_at_an_hour() -> None:
    assert next_check_after_success(NOW, 300, max_age=60) == NOW + 300
    assert next_check_after_success(NOW, 300, max_age=900) == NOW + 900
    assert next_check_after_success(NOW, 300, ttl=7 * 24 * 3600) == NOW + 3600
    assert next_check_after_success(NOW, 300, retry_after=86400) == NOW + 3600
    assert next_check_after_success(NOW, 300, max_age=600, ttl=1200) == NOW + 1200
    # An operator's own interval above an hour is kept.
    assert next_check_after_success(NOW, 7200, ttl=60) == NOW + 7200


def test_failure_backs_off_exponentially_with_a_cap() -> None:
    delays = [next_check_after_failure(NOW, 300, n, key=7) - NOW for n in range(1, 12)]
    assert 270 <= delays[0] <= 330
    assert 540 <= delays[1] <= 660
    assert 1080 <= delays[2] <= 1320
    assert all(later >= earlier * 0.8 for earlier, later in zip(delays, delays[1:], strict=False))
    assert max(delays) <= BACKOFF_CAP_SECONDS
    assert delays[-1] >= BACKOFF_CAP_SECONDS * 0.9


def test_failure_honours_retry_after_up_to_an_hour() -> None:
    assert next_check_after_failure(NOW, 300, 1, key=1, retry_after=1800) == NOW + 1800
    assert next_check_after_failure(NOW, 300, 1, key=1, retry_after=86400) == NOW + 3600
    assert next_check_after_failure(NOW, 300, 1, key=1, retry_after=5) - NOW >= 270


def test_first_checks_are_spread_and_deterministic() -> None:
    times = [first_check_at(NOW, f"https://example.org/{i}.xml", 300) for i in range(10_000)]
    assert times == [first_check_at(NOW, f"https://example.org/{i}.xml", 300) for i in range(10_000)]
    assert all(NOW <= t < NOW + 300 for t in times)
    per_second: dict[int, int] = {}
    for t in times:
        per_second[int(t - NOW)] = per_second.get(int(t - NOW), 0) + 1
    assert len(per_second) == 300
    assert max(per_second.values()) < 80  # ~33 a second on average, never a stampede
    assert 0 <= spread_fraction("x") < 1
