"""``newsalert backup PATH``: a consistent copy of the database, safe to take while the bot runs
(see :mod:`storage.backup`)."""

from __future__ import annotations

import argparse
import sqlite3
import sys

from bot.cli.common import CliError, add_config_option
from bot.config import load_config
from storage.backup import backup_database


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser("backup", help="copy the database to PATH, also while the bot runs")
    add_config_option(parser)
    parser.add_argument("path", metavar="PATH", help="file to write the copy to (must not exist)")
    parser.add_argument("--force", action="store_true", help="replace PATH if it exists")
    parser.set_defaults(func=cmd_backup)


def cmd_backup(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    try:
        size = backup_database(config.storage.path, args.path, replace=args.force)
    except FileExistsError as exc:
        raise CliError(f"backup not written: {exc}") from None
    except OSError as exc:
        raise CliError(f"backup of {config.storage.path} failed: {exc.strerror or exc}") from None
    except sqlite3.Error as exc:
        raise CliError(f"backup of {config.storage.path} failed: {exc}") from None
    print(f"backed up {config.storage.path} to {args.path} ({size:,} bytes)", file=sys.stderr)
    return 0
