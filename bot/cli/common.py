"""What every ``newsalert`` subcommand shares: the one-line error and the ``--config`` option.

The subcommand modules import this; the parser in :mod:`bot.cli` imports them, so no import runs back up.
"""

from __future__ import annotations

import argparse


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
