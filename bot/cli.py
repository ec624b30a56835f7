"""The ``newsalert`` command line: one parser, with each group of subcommands registered by its own module.

Errors that a user can act on (bad config, unreadable file, bad argument) are raised as :class:`CliError` or
:class:`ConfigError` and printed as one line on stderr with a non-zero exit, never a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from bot.config import ConfigError


class CliError(Exception):
    """A failure to report as one line; ``code`` is the exit status."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.code = code


def build_parser() -> argparse.ArgumentParser:
    from bot import cli_feeds, cli_match, cli_run

    parser = argparse.ArgumentParser(prog="newsalert", description="Telegram news alert bot.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (cli_run, cli_feeds, cli_match):
        module.register(sub)
    return parser


def add_config_option(parser: argparse.ArgumentParser) -> None:
    """The ``--config`` option every subcommand shares."""
    parser.add_argument(
        "--config", default=None, metavar="PATH", help="config file (default: ./config.toml, optional)"
    )


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


if __name__ == "__main__":
    sys.exit(main())
