"""``newsalert run`` (the bot on Telegram) and ``newsalert chat`` (the same bot in this terminal).

``run`` stops cleanly on SIGINT/SIGTERM with exit status 0: PTB's ``run_polling`` catches the signal, stops the
long poll (confirming what was read), waits for the jobs, and our post-shutdown closes the database.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import logging
import signal
import sqlite3
import sys

from telegram.error import InvalidToken, NetworkError
from telegram.ext import Application

from alerts.redaction import install_token_redaction
from bot.app import ALLOWED_UPDATES, build_application
from bot.chat import BANNER, TerminalBotApi, read_lines
from bot.chat_session import chat_config, first_update_id, start_session
from bot.cli.common import CliError, database_error
from bot.config import Config, MetricsConfig, load_config
from bot.event_loop import use_fast_loop
from bot.monitoring import ListenError
from storage.db import connect

_BOOTSTRAP_RETRIES = 5
_CHAT_TOKEN = "0:terminal"


class _NetworkErrorsInOneLine(logging.Filter):
    """A network failure or a refused token is an operating condition, not a bug: one line, no traceback.

    PTB's retry loops log those with the traceback attached (possibly already formatted, and redacted, by
    :func:`alerts.redaction.install_token_redaction`); keep the message and the exception's last line. A token
    refused at start is not logged at all: :func:`run_command` says so in its one-line error.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        retry_loop = record.name.startswith("telegram.ext") and "Network Retry Loop" in record.getMessage()
        refused = isinstance(error, InvalidToken) or "InvalidToken" in (record.exc_text or "")
        if retry_loop and refused and "Bootstrap" in record.getMessage():
            return False
        if isinstance(error, NetworkError | InvalidToken) or (retry_loop and (error or record.exc_text)):
            lines = (record.exc_text or "").strip().splitlines()
            detail = str(error) if error is not None else (lines[-1] if lines else "")
            record.msg = f"{record.getMessage()} ({detail})" if detail else record.getMessage()
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


class OneLineFormatter(logging.Formatter):
    """Every record is one line (time, level, logger, message): a traceback or a multi-line message has its line
    breaks written as ``\\n``, so journald, ``docker logs`` and grep see one event per line, level included."""

    def format(self, record: logging.LogRecord) -> str:
        return super().format(record).replace("\r", "").replace("\n", "\\n")


def setup_logging(level: int, token: str | None = None) -> None:
    """One handler on stderr; every record is scrubbed of the token (:func:`alerts.redaction.install_token_redaction`)."""
    install_token_redaction(token)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(OneLineFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(_NetworkErrorsInOneLine())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Per-request and per-job lines would drown what matters (and httpx's carry the token in the URL). APScheduler
    # warns each time a tick finds the previous run still going, which with max_instances=1 is the design.
    for noisy in ("httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    logging.getLogger("apscheduler").setLevel(logging.ERROR)


def run_command(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    token = config.token()
    if token is None:
        raise CliError(
            f"no bot token: set the {config.telegram.token_env} environment variable to the token from @BotFather, "
            "or try the bot without Telegram: newsalert chat",
            2,
        )
    setup_logging(logging.INFO, token)
    _check_storage(config)
    try:
        app = build_application(config, token)
    except ListenError as error:
        raise CliError(str(error), 1) from None
    use_fast_loop()
    try:
        app.run_polling(
            allowed_updates=ALLOWED_UPDATES,
            bootstrap_retries=_BOOTSTRAP_RETRIES,
            stop_signals=(signal.SIGINT, signal.SIGTERM),
            close_loop=False,
        )
    except InvalidToken:
        raise CliError(
            f"Telegram refused the bot token in {config.telegram.token_env}; check it with @BotFather", 2
        ) from None
    except NetworkError as error:
        raise CliError(
            f"cannot reach the Telegram Bot API at {config.telegram.base_url}: {error}", 1
        ) from None
    finally:
        _close_sends(app)
    return 0


def _close_sends(app: Application) -> None:
    """Close the send transport's aiohttp session. A start that failed (token refused, Telegram unreachable)
    never reaches PTB's shutdown, and aiohttp logs "Unclosed connector" at exit for a session left open; after a
    normal stop it is closed already and this does nothing."""
    asyncio.get_event_loop().run_until_complete(app.bot.request.shutdown())


def chat_command(args: argparse.Namespace) -> int:
    # The terminal bot is a try-out: its own database, and no health endpoint competing with a real bot's port.
    config = dataclasses.replace(chat_config(load_config(args.config)), metrics=MetricsConfig())
    setup_logging(logging.WARNING)
    _check_storage(config)
    piped = not sys.stdin.isatty()
    api = TerminalBotApi(sys.stdout, first_update_id=first_update_id(config.storage.path), echo=piped)
    app = build_application(config, _CHAT_TOKEN, request=api, feed_notices=False)
    started = app.post_init

    async def settle() -> None:
        await api.settle(app.update_queue)

    async def finish() -> None:
        """Input ended (Ctrl-D, or a pipe ran dry): answer what was typed, then quit."""
        await settle()
        app.stop_running()

    async def start_terminal(application: object) -> None:
        if started is not None:
            await started(app)
        await start_session(app, api)
        read_lines(asyncio.get_running_loop(), api, finish, sys.stdin, settle=settle if piped else None)

    app.post_init = start_terminal
    sys.stdout.write(BANNER + chat_banner_line(config) + "\n\n")
    sys.stdout.flush()
    app.run_polling(
        allowed_updates=ALLOWED_UPDATES,
        poll_interval=0,
        timeout=10,
        stop_signals=(signal.SIGINT, signal.SIGTERM),
        close_loop=False,
    )
    return 0


def chat_banner_line(config: Config) -> str:
    """Which database chat uses and how to manage its feeds: feeds added without ``--chat`` go to the bot's."""
    return (
        f"(database {config.storage.path}, {len(config.feeds)} feeds from the config; "
        "manage its feeds with `newsalert feeds --chat ...`)"
    )


def _check_storage(config: Config) -> None:
    """Fail with one line before starting if the database cannot be opened (bad path, read-only dir)."""
    try:
        connect(config.storage.path).conn.close()
    except (sqlite3.Error, OSError, RuntimeError) as error:
        raise database_error(config.storage.path, error) from None
