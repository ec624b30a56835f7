"""What every ``newsalert`` subcommand shares: the one-line error, the ``--config``/``--chat`` options, the
database they choose, and reading a text file.

The subcommand modules import this; the parser in :mod:`bot.cli` imports them, so no import runs back up.
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from datetime import UTC, datetime
from pathlib import Path

import sqlite_utils

from bot.config import Config, load_config
from storage.db import connect


class CliError(Exception):
    """A failure to report as one line; ``code`` is the exit status."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def add_config_option(parser: argparse.ArgumentParser) -> None:
    """The ``--config`` option every subcommand shares."""
    parser.add_argument(
        "--config", default=None, metavar="PATH", help="config file (default: ./config.toml, optional)"
    )


def add_chat_option(parser: argparse.ArgumentParser, *, group: bool = False) -> None:
    """``--chat``: work on the database ``newsalert chat`` uses instead of the bot's.

    ``group=True`` puts it on a command group (``feeds --chat list``); its actions take it too (``feeds list
    --chat``), without their default overwriting the group's.
    """
    parser.add_argument(
        "--chat",
        action="store_true",
        default=False if group else argparse.SUPPRESS,
        help="use newsalert chat's database ([storage] chat_path) instead of the bot's ([storage] path)",
    )


def open_database(args: argparse.Namespace) -> tuple[Config, sqlite_utils.Database, str]:
    """The config, the chosen database (the bot's, or chat's with ``--chat``) and that database's path."""
    config = load_config(args.config)
    path = config.storage.chat_database() if getattr(args, "chat", False) else config.storage.path
    try:
        return config, connect(path), path
    except (sqlite3.Error, OSError, RuntimeError) as exc:
        raise database_error(path, exc) from None


def note(message: str) -> None:
    """A line for the person at the terminal, not for the program reading stdout."""
    print(message, file=sys.stderr)


def iso(timestamp: float | None) -> str | None:
    if timestamp is None:
        return None
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def read_text(path: str, code: int = 1) -> str:
    """The UTF-8 text of ``path`` ('-' for stdin). An unreadable file is a :class:`CliError` with exit ``code``; a
    file that is not text is one with exit 2 (the input cannot be used), and is never echoed.

    A NUL byte or bytes that are not UTF-8 mean an image, an archive or a binary: printing a "summary" of it would
    only spray bytes on the terminal.
    """
    try:
        data = sys.stdin.buffer.read() if path == "-" else Path(path).read_bytes()
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror or exc}", code) from None
    name = "stdin" if path == "-" else path
    if b"\0" in data:
        raise CliError(f"{name} is not a text file (it holds binary data)", 2)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise CliError(f"{name} is not a text file (it is not UTF-8 text)", 2) from None


def database_error(path: str | Path, error: Exception) -> CliError:
    """The one line for a database that cannot be opened. A damaged file (not SQLite, truncated, malformed) says
    so and what to do, since retrying cannot help; anything else (a bad path, no permission) is shown as is."""
    if isinstance(error, sqlite3.DatabaseError) and getattr(error, "sqlite_errorname", "") in (
        "SQLITE_CORRUPT",
        "SQLITE_NOTADB",
    ):
        return CliError(f"the database {path} is damaged ({error}): move it aside and restore a backup")
    return CliError(f"cannot open the database {path}: {error}")
