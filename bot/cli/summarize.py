"""``newsalert summarize (--file F | --text T)``: the summary the bot would send for a text or HTML page."""

from __future__ import annotations

import argparse

from bot.cli.common import CliError, read_text


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    summarize = sub.add_parser("summarize", help="print the summary the bot would send for a text")
    source = summarize.add_mutually_exclusive_group(required=True)
    source.add_argument("--file", metavar="F", help="a text or HTML file ('-' for stdin)")
    source.add_argument("--text", metavar="T", help="the text itself")
    summarize.add_argument("--max-chars", type=int, default=400, help="summary length limit (default 400)")
    summarize.set_defaults(func=cmd_summarize)


def cmd_summarize(args: argparse.Namespace) -> int:
    from feeds.clean import clean_html
    from feeds.summary import summarize

    if args.max_chars < 40:
        raise CliError("--max-chars must be at least 40")
    raw = read_text(args.file) if args.file is not None else args.text
    text = clean_html(raw)
    if not text:
        raise CliError("nothing to summarize: the text is empty")
    print(summarize(text, args.max_chars))
    return 0
