"""What one ``newsalert chat`` session sets up around the shared Application (:mod:`bot.chat` is its transport).

* The person at the terminal runs the bot, so they are its operator: the only admin (``/addfeed``, ``/feeds``,
  ``/stats`` work), and the only one told about feed health.
* Made-up update ids continue past those the database remembers, or a restarted session's lines would be
  skipped as Telegram redeliveries for a day.
* Every feed is checked at once on start, and a feed that fails or recovers is one printed line, at its first
  failure: in a terminal, silence after ``/subscribe kosovo`` must not hide that no feed can be reached.
"""

from __future__ import annotations

import dataclasses
import time
from typing import Any

from telegram.ext import Application, ContextTypes

from bot.chat import CHAT_ID, TerminalBotApi
from bot.config import Config
from handlers.context import Services
from storage import feeds as feed_store
from storage import updates
from storage.db import connect

_HEALTH_TICK = 1.0


def chat_config(config: Config) -> Config:
    """The config as chat runs it: its own database, and the terminal user as the one operator."""
    return dataclasses.replace(
        config,
        storage=dataclasses.replace(config.storage, path=config.storage.chat_database()),
        telegram=dataclasses.replace(config.telegram, admins=(CHAT_ID,)),
    )


def first_update_id(path: str) -> int:
    """One past the highest update id the database has handled."""
    db = connect(path)
    try:
        return updates.last_update_id(db) + 1
    finally:
        db.conn.close()


class FeedHealth:
    """Prints a line when a feed fails (its first failure in this session) and when a failing feed works again.

    It reads the feeds table (the poll cycle's record) rather than hooking into the cycle, so it sees feeds the
    same way ``/feeds`` does; a feed counts once it has been polled in this session. ``failing_before``: feeds an
    earlier session left failing, whose recovery is news too.
    """

    def __init__(self, api: TerminalBotApi, *, since: float, failing_before: set[int]) -> None:
        self._api = api
        self._since = since
        self._failing_before = set(failing_before)
        self._reported: set[int] = set()  # failures printed in this session and not recovered since

    async def check(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        services: Services = context.bot_data["services"]
        self.report(await services.db.run(feed_store.all_feeds))

    def report(self, feeds: list[dict[str, Any]], now: float | None = None) -> None:
        now = time.time() if now is None else now
        for feed in feeds:
            if not self._polled(feed):
                continue
            name = feed["name"] or feed["title"] or feed["url"]
            if feed["error_count"] and feed["id"] not in self._reported:
                self._reported.add(feed["id"])
                retry = _in(max(0.0, (feed["next_check_at"] or now) - now))
                self._api.notice(f"⚠️ feed {name} failed: {feed['last_error'] or 'error'} (next try {retry})")
            elif not feed["error_count"] and feed["id"] in self._reported | self._failing_before:
                self._reported.discard(feed["id"])
                self._failing_before.discard(feed["id"])
                self._api.notice(f"✅ feed {name} works again")

    def _polled(self, feed: dict[str, Any]) -> bool:
        return bool(feed["last_polled"]) and feed["last_polled"] >= self._since


def _in(seconds: float) -> str:
    if seconds < 90:
        return f"in {max(1, round(seconds))} s"
    if seconds < 5400:
        return f"in {round(seconds / 60)} min"
    return f"in {round(seconds / 3600)} h"


async def start_session(app: Application, api: TerminalBotApi) -> None:
    """After the bot started: check every feed now, and print feed health from then on."""
    services: Services = app.bot_data["services"]
    started = time.time()
    failing = {f["id"] for f in await services.db.run(feed_store.all_feeds) if f["error_count"]}
    await services.db.run(feed_store.check_all_now, started)
    assert app.job_queue is not None
    health = FeedHealth(api, since=started, failing_before=failing)
    app.job_queue.run_repeating(
        health.check,
        interval=_HEALTH_TICK,
        first=_HEALTH_TICK,
        name="feed-health",
        job_kwargs={"max_instances": 1, "coalesce": True},
    )
