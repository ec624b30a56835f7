"""The ``newsalert`` command line: one parser, with each group of subcommands registered by its own module
(:mod:`bot.cli.run`, :mod:`bot.cli.poll`, :mod:`bot.cli.feeds`, :mod:`bot.cli.summarize`, :mod:`bot.cli.match`,
:mod:`bot.cli.status`, :mod:`bot.cli.backup`; their shared helpers are in :mod:`bot.cli.common`).

Errors that a user can act on (bad config, unreadable file, bad argument) are raised as :class:`CliError` or
:class:`ConfigError` and printed as one line on stderr with a non-zero exit, never a traceback. Output piped into
a reader that stops early (``newsalert feeds list | head -1``) ends quietly with the shell's SIGPIPE status.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from bot.cli.common import CliError
from bot.config import ConfigError


def build_parser() -> argparse.ArgumentParser:
    from bot.cli import backup, feeds, match, poll, run, status, summarize

    parser = argparse.ArgumentParser(prog="newsalert", description="Telegram news alert bot.")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (run, poll, feeds, summarize, match, status, backup):
        module.register(sub)
    return parser


# What a shell reports for a command killed by SIGPIPE (128 + 13): the reader went away, nothing was wrong.
EXIT_BROKEN_PIPE = 141


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code = int(args.func(args) or 0)
        sys.stdout.flush()  # inside the try: piped output is buffered, and the reader may be gone by now
        return code
    except BrokenPipeError:
        # As the Python docs advise (library/signal, "Note on SIGPIPE"): point stdout at devnull so the flush at
        # interpreter exit does not raise again and print "Exception ignored ... BrokenPipeError".
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE
    except (CliError, ConfigError) as exc:
        print(f"newsalert: {exc}", file=sys.stderr)
        return getattr(exc, "code", 1)
    except KeyboardInterrupt:
        return 130

