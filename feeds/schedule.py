"""When to check a feed next: the configured interval, lengthened by the server's hints, backed off on failure.

The server may ask for fewer requests (Retry-After, Cache-Control max-age, the feed's ``<ttl>``); each hint can
only lengthen the interval and is capped at one hour, so a feed claiming ``ttl`` of a week is still read hourly.
A failing feed is retried with exponential backoff capped at four hours and is never dropped: Miniflux's users
complain when feeds stop after 3 errors and nobody notices they came back. Jitter is derived from the feed's own
id or URL, so it is deterministic (tests can predict it) yet spreads 10,000 feeds across the interval.
"""

from __future__ import annotations

import hashlib

HINT_CAP_SECONDS = 3600
BACKOFF_CAP_SECONDS = 4 * 3600
FIRST_CHECK_SPREAD_SECONDS = 300


def spread_fraction(key: str | int) -> float:
    """A stable number in [0, 1) for ``key``: the same feed always lands in the same place."""
    digest = hashlib.blake2b(str(key).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2**64


def first_check_at(now: float, key: str | int, interval: float) -> float:
    """When a newly added feed is first due: spread over the interval (at most five minutes)."""
    return now + spread_fraction(key) * min(float(interval), FIRST_CHECK_SPREAD_SECONDS)


def next_check_after_success(
    now: float,
    interval: float,
    *,
    max_age: float | None = None,
    ttl: float | None = None,
    retry_after: float | None = None,
) -> float:
    """Next check after a good answer (200 or 304): ``interval``, or longer if the server asked, up to an hour."""
    delay = float(interval)
    for hint in (max_age, ttl, retry_after):
        if hint is not None and hint > delay:
            delay = max(delay, min(float(hint), HINT_CAP_SECONDS))
    return now + delay


def next_check_after_failure(
    now: float, interval: float, error_count: int, key: str | int, *, retry_after: float | None = None
) -> float:
    """Next check after the ``error_count``-th failure in a row: interval × 2^(n-1), ±10 %, capped at 4 hours.

    A Retry-After (429/503) is honoured up to an hour when it asks for more than the backoff.
    """
    exponent = max(0, min(error_count - 1, 16))
    delay = min(float(interval) * 2**exponent, BACKOFF_CAP_SECONDS)
    delay *= 0.9 + 0.2 * spread_fraction(f"{key}:{error_count}")
    if retry_after is not None and retry_after > delay:
        delay = min(float(retry_after), max(delay, HINT_CAP_SECONDS))
    return now + min(delay, BACKOFF_CAP_SECONDS)
