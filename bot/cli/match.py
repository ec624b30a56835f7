"""``newsalert match QUERY (--file F | --text T)``: how a query is understood, and whether a text matches it.

Exit status: 0 the text matches, 1 it does not, 2 the query (or the input) cannot be used.
"""

from __future__ import annotations

import argparse

from bot.cli.common import CliError, read_text
from matching import Document, Matcher, QueryError, parse_query


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    parser = sub.add_parser(
        "match",
        help="show how QUERY is understood and whether a text matches it, and why",
        description="Exit status: 0 match, 1 no match, 2 bad query.",
    )
    parser.add_argument(
        "query", metavar="QUERY", help='a subscription query, e.g. kosovo or "tear gas" -nato'
    )
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--file", metavar="F", help="read the article text from F ('-' for stdin)")
    source.add_argument("--text", metavar="T", help="the article text")
    parser.add_argument("--title", default="", metavar="T", help="the article's title (optional)")
    parser.set_defaults(func=cmd_match)


def cmd_match(args: argparse.Namespace) -> int:
    text = args.text if args.text is not None else read_text(args.file, code=2)
    try:
        query = parse_query(args.query)
    except QueryError as exc:
        raise CliError(f"bad query: {exc}", 2) from exc
    print(f"Query: {args.query}")
    print(f"Understood as: {query.canonical}")
    print(query.description)
    matcher = Matcher()
    matcher.add(1, query)
    found = matcher.match(Document(title=args.title, text=text)).get(1)
    if found is None:
        print("No match.")
        return 1
    print(f"Match: {found.explain()}")
    return 0
