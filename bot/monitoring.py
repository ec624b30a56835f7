"""Wire health and metrics into the running bot: the observed transports, the heartbeat job, the HTTP endpoint.

One :class:`Monitoring` per Application (kept in ``bot_data["monitoring"]``). Its HTTP endpoint exists only when
``[metrics] listen`` is set; health and the heartbeat row are kept either way, so ``newsalert status`` works with
no endpoint at all.
"""

from __future__ import annotations

import logging
import os
import sqlite3
from dataclasses import dataclass

from telegram.ext import Application, ContextTypes

from bot.config import Config
from bot.health import BotHealth
from bot.metrics import BotMetrics, ObservedAiohttpRequest, ObservedRequest
from handlers.context import DbWorker
from observe.address import parse_address
from observe.http import ObserveServer
from storage import health as db_health

log = logging.getLogger(__name__)



class ListenError(Exception):
    """``metrics.listen`` names an address this process cannot listen on; the message is one line."""


@dataclass
class Monitoring:
    health: BotHealth
    metrics: BotMetrics
    server: ObserveServer | None = None
    pid: int = 0
    _beat_failing: bool = False

    @classmethod
    def for_config(cls, config: Config) -> Monitoring:
        """Health and metrics for this config, with the endpoint's socket already bound (so a port in use is an
        error before the bot starts, not a line in the log while it runs)."""
        health = BotHealth(poll_interval=config.polling.interval_seconds)
        metrics = BotMetrics(config.storage.path, health.check)
        server = None
        if config.metrics.listen:
            host, port = parse_address(config.metrics.listen)
            try:
                server = ObserveServer(host, port, metrics.registry, health.check)
            except OSError as error:
                raise ListenError(
                    f"cannot listen on metrics.listen = {config.metrics.listen!r}: {error.strerror or error}"
                ) from None
        return cls(health, metrics, server, os.getpid())

    def requests(self, pool_size: int) -> tuple[ObservedAiohttpRequest, ObservedRequest]:
        """The Bot API transports, (everything but the long poll, the long poll): every error answer is counted,
        and each good ``getUpdates`` answer is proof that the bot is polling Telegram. ``pool_size``: connections
        for sending (see :func:`bot.app.connection_pool_size`). Sends go through aiohttp, the long poll through
        PTB's httpx transport (:mod:`bot.aiohttp_request` says why)."""

        def on_update_answer(method: str, status: int) -> None:
            self.metrics.telegram_answered(status)
            if status == 200:
                self.health.telegram_answered()

        def on_answer(method: str, status: int) -> None:
            self.metrics.telegram_answered(status)

        main = ObservedAiohttpRequest(on_answer, connection_pool_size=pool_size)
        return main, ObservedRequest(on_update_answer, connection_pool_size=1)

    def attach(self, app: Application) -> None:
        self.health.updater_running = lambda: app.updater is not None and app.updater.running
        app.bot_data["monitoring"] = self

    def start(self) -> None:
        if self.server is not None:
            self.server.start()
            log.info("health and metrics on http://%s/healthz and /metrics", _shown(self.server))

    async def beat(self, context: ContextTypes.DEFAULT_TYPE) -> None:
        """The heartbeat job: write the current verdict for readers in other processes."""
        healthy, reason = self.health.check()
        db: DbWorker = context.application.bot_data["services"].db
        try:
            await db.run(
                lambda conn: db_health.write_heartbeat(
                    conn,
                    pid=self.pid,
                    started_at=self.health.started_at,
                    now=self.health.clock(),
                    healthy=healthy,
                    reason=reason,
                    telegram_ok_at=self.health.telegram_ok_at,
                    poll_ran_at=self.health.poll_ran_at,
                )
            )
        except sqlite3.Error as error:  # a full or locked disk: say so once, not every few seconds
            if not self._beat_failing:
                log.warning("cannot write the heartbeat (newsalert status will say the bot hangs): %s", error)
            self._beat_failing = True
            return
        if self._beat_failing:
            log.info("the heartbeat is written again")
        self._beat_failing = False

    async def stop(self, db: DbWorker | None) -> None:
        """Close the endpoint and leave a heartbeat that says the bot stopped (not that it hangs)."""
        if self.server is not None:
            self.server.stop()
        if db is not None:
            await db.run(lambda conn: db_health.mark_stopped(conn, pid=self.pid, now=self.health.clock()))


def _shown(server: ObserveServer) -> str:
    host = server.host
    return f"[{host}]:{server.port}" if ":" in host else f"{host}:{server.port}"
