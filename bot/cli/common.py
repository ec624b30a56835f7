"""What every ``newsalert`` subcommand shares: the one-line error and the ``--config`` option.

The subcommand modules import this; the parser in :mod:`bot.cli` imports them, so no import runs back up.
"""

from __future__ import annotations

import argparse
import sqlite3
from pathlib import Path


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


def database_error(path: str | Path, error: Exception) -> CliError:
    """The one line for a database that cannot be opened. A damaged file (not SQLite, truncated, malformed) says
    so and what to do, since retrying cannot help; anything else (a bad path, no permission) is shown as is."""
    if isinstance(error, sqlite3.DatabaseError) and getattr(error, "sqlite_errorname", "") in (
        "SQLITE_CORRUPT",
        "SQLITE_NOTADB",
    ):
        return CliError(f"the database {path} is damaged ({error}): move it aside and restore a backup")
    return CliError(f"cannot open the database {path}: {error}")
