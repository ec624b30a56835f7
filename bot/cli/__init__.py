"""The ``newsalert`` command line: one parser, with each group of subcommands registered by its own module
(:mod:`bot.cli.run`, :mod:`bot.cli.feeds`, :mod:`bot.cli.match`, :mod:`bot.cli.backup`; their shared helpers are in
:mod:`bot.cli.common`).

Errors that a user can act on (bad config, unreadable file, bad argument) are raised as :class:`CliError` or
:class:`ConfigError` and printed as one line on stderr with a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot.cli.common import CliError
from bot.config import ConfigError


def build_parser() -> argparse.ArgumentParser:
    from bot.cli import backup, feeds, match, run

    parser = argparse.ArgumentParser(prog="newsalert", description="Telegram news alert bot.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (run, feeds, match, backup):
        module.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (CliError, ConfigError) as exc:
        print(f"newsalert: {exc}", file=sys.stderr)
        return getattr(exc, "code", 1)
    except KeyboardInterrupt:
        return 130

