"""Is the bot doing its job? One verdict, seen three ways: ``/healthz``, the heartbeat row, ``newsalert status``.

The running bot keeps :class:`BotHealth` up to date (Telegram's last good answer to ``getUpdates``, the feed loop's
last tick) and judges it in process for ``/healthz``. It also writes the verdict to the database every
:data:`HEARTBEAT_SECONDS`, so a process that cannot reach the bot (``newsalert status``, a container health
command) judges the same thing with :func:`judge_heartbeat`, adding one rule of its own: a heartbeat that stopped
coming means the bot stopped or hung.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

HEARTBEAT_SECONDS = 5.0
# A heartbeat this old means the bot is gone or its event loop is stuck (a healthy one writes every 5 s).
HEARTBEAT_STALE_AFTER = 30.0
# getUpdates long-polls for 10 s at a time; three missed rounds and some retry backoff is an outage, not a blip.
TELEGRAM_STALE_AFTER = 90.0
FEED_LOOP_INTERVALS = 3  # the feed loop is stuck when it has not ticked for this many polling intervals


@dataclass
class BotHealth:
    """What the running bot knows of its own health; times are wall-clock seconds (comparable across processes)."""

    poll_interval: float
    updater_running: Callable[[], bool] = lambda: False
    telegram_stale_after: float = TELEGRAM_STALE_AFTER
    clock: Callable[[], float] = time.time
    started_at: float = field(default=0.0)
    telegram_ok_at: float | None = None
    poll_ran_at: float | None = None

    def __post_init__(self) -> None:
        self.started_at = self.started_at or self.clock()
        self.feed_loop_stale_after = FEED_LOOP_INTERVALS * self.poll_interval

    def telegram_answered(self) -> None:
        """Telegram answered a ``getUpdates`` (called from the request layer, on the event loop)."""
        self.telegram_ok_at = self.clock()

    def poll_ran(self) -> None:
        """The feed loop ticked (at the start and the end of each poll job, so a long cycle still counts)."""
        self.poll_ran_at = self.clock()

    def check(self) -> tuple[bool, str]:
        """(healthy, reason): every problem found, joined in one line; "ok" when there is none."""
        now = self.clock()
        problems = []
        if not self.updater_running():
            problems.append("not polling Telegram")
        elif self.telegram_ok_at is None:
            problems.append("no answer from Telegram yet")
        elif now - self.telegram_ok_at > self.telegram_stale_after:
            problems.append(f"no answer from Telegram for {now - self.telegram_ok_at:.0f} s")
        if self.poll_ran_at is None:
            problems.append("the feed loop has not run yet")
        elif now - self.poll_ran_at > self.feed_loop_stale_after:
            problems.append(f"the feed loop last ran {now - self.poll_ran_at:.0f} s ago")
        return (not problems, "; ".join(problems) or "ok")


def judge_heartbeat(row: dict[str, Any] | None, now: float | None = None) -> tuple[bool, str]:
    """The verdict of another process, from the heartbeat row the bot wrote (None: it never did)."""
    now = time.time() if now is None else now
    if row is None:
        return False, "the bot has never run on this database"
    if row["stopped_at"] is not None:
        return False, f"the bot is not running (stopped {_ago(now - row['stopped_at'])})"
    age = now - row["written_at"]
    if age > HEARTBEAT_STALE_AFTER:
        return False, f"no heartbeat from the bot for {_ago(age, suffix='')}: it stopped or hangs"
    if not row["healthy"]:
        return False, str(row["reason"])
    return True, "ok"


def _ago(seconds: float, suffix: str = " ago") -> str:
    seconds = max(0.0, seconds)
    if seconds < 120:
        return f"{seconds:.0f} s{suffix}"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min{suffix}"
    if seconds < 172800:
        return f"{seconds / 3600:.0f} h{suffix}"
    return f"{seconds / 86400:.0f} days{suffix}"


def ago(timestamp: float | None, now: float | None = None) -> str:
    """``"5 s ago"``, ``"3 min ago"``…, or ``"never"``: for people reading the status table."""
    if timestamp is None:
        return "never"
    return _ago((time.time() if now is None else now) - timestamp)
