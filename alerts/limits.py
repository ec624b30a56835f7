"""How fast the bot may send: the Application's rate limiter, shared by alerts, digests, edits and replies."""

from __future__ import annotations

from telegram.ext import AIORateLimiter

DEFAULT_RATE = 29.0


def rate_limiter(overall_max_rate: float = DEFAULT_RATE, max_retries: int = 3) -> AIORateLimiter:
    """The limiter the Application should use for delivery: under 30/s overall, 20/min per group, and a few
    in-place retries on 429 (each pauses every request for retry_after, as Telegram expects)."""
    return AIORateLimiter(overall_max_rate=overall_max_rate, overall_time_period=1, max_retries=max_retries)
