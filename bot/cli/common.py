"""What every ``newsalert`` subcommand shares: the one-line error and the ``--config`` option.

The subcommand modules import this; the parser in :mod:`bot.cli` imports them, so no import runs back up.
"""

from __future__ import annotations

import argparse
import sys
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
