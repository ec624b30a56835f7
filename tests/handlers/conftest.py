"""The real bot (``bot.app.build_application``: PTB, handlers, jobs, storage) against the fake Bot API server.

Only the transport is a test double, and it is a real HTTP server on 127.0.0.1. The fake's waits block, so tests
call them through ``asyncio.to_thread`` while the bot runs on the test's event loop.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from telegram.ext import Application

from bot.app import ALLOWED_UPDATES, build_application
from bot.config import Config, FeedConfig, MetricsConfig, PollingConfig, StorageConfig, TelegramConfig
from handlers.context import Services
from storage.db import connect
from tests.support.fake_telegram import FakeTelegram, SentMessage


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeTelegram]:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    with FakeTelegram(chat_burst=50) as server:
        yield server


class BotUnderTest:
    """A running Application plus helpers to talk to it as a user would."""

    def __init__(self, app: Application, fake: FakeTelegram, db_path: Path) -> None:
        self.app = app
        self.fake = fake
        self.db = connect(db_path)

    @property
    def services(self) -> Services:
        return self.app.bot_data["services"]

    async def send(
        self, chat_id: int, text: str, *, replies: int = 1, timeout: float = 5.0, **kwargs: Any
    ) -> list[SentMessage]:
        """Inject a user message and wait for ``replies`` new bot messages in that chat; returns the new ones."""
        before = len(self.fake.messages(chat_id))
        self.fake.inject_message(chat_id, text, **kwargs)
        if replies == 0:
            await asyncio.to_thread(self.fake.wait_for_updates_consumed, timeout)
            return []
        messages = await asyncio.to_thread(self.fake.wait_for_messages, chat_id, before + replies, timeout)
        return messages[before:]

    async def press(self, chat_id: int, message: SentMessage, data: str, **kwargs: Any) -> dict:
        """Press an inline button; returns the callback answer once the bot gave it."""
        query_id = self.fake.press_button(chat_id, message.message_id, data, **kwargs)
        return await asyncio.to_thread(self.fake.wait_for_callback_answer, query_id)

    async def until(self, predicate: Any, timeout: float = 5.0) -> Any:
        """Poll a condition on our own state (the database) with a deadline."""
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            result = predicate()
            if result:
                return result
            if asyncio.get_running_loop().time() > deadline:
                raise TimeoutError("condition not met")
            await asyncio.sleep(0.02)

    def row(self, sql: str, params: list[Any] | tuple[Any, ...] = ()) -> dict[str, Any] | None:
        rows = list(self.db.query(sql, params))
        return rows[0] if rows else None


@pytest.fixture
async def start_bot(fake: FakeTelegram, tmp_path: Path) -> AsyncIterator[Any]:
    """``await start_bot(max_subscriptions=2, ...)`` starts the bot with those ``[telegram]`` settings
    (and ``polling={...}`` for ``[polling]``, ``metrics={...}`` for ``[metrics]``, ``feeds=(FeedConfig(...),)`` for
    ``[[feeds]]``)."""
    started: list[tuple[Application, BotUnderTest]] = []

    async def start(
        polling: dict[str, Any] | None = None,
        feeds: tuple[FeedConfig, ...] = (),
        metrics: dict[str, Any] | None = None,
        **telegram: Any,
    ) -> BotUnderTest:
        db_path = tmp_path / "bot.db"
        config = Config(
            telegram=dataclasses.replace(TelegramConfig(), base_url=fake.base_url, **telegram),
            storage=StorageConfig(path=str(db_path)),
            polling=PollingConfig(**(polling or {})),
            metrics=MetricsConfig(**(metrics or {})),
            feeds=feeds,
        )
        app = build_application(config, fake.token)
        await app.initialize()
        assert app.post_init is not None
        await app.post_init(app)
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=5, allowed_updates=ALLOWED_UPDATES)
        under_test = BotUnderTest(app, fake, db_path)
        started.append((app, under_test))
        return under_test

    yield start
    for app, under_test in started:
        app.bot_data["pipeline"].stop()  # what SIGINT/SIGTERM do first
        assert app.updater is not None
        await app.updater.stop()
        await app.stop()
        await app.shutdown()
        assert app.post_shutdown is not None
        await app.post_shutdown(app)
        under_test.db.conn.close()
