"""``newsalert match QUERY (--file F | --text T)``: how a query is understood, and whether a text matches it.

Exit status: 0 the text matches, 1 it does not, 2 the query (or the input) cannot be used.

One short text is matched by the matching code run as plain Python (:mod:`matching.jit`): numba's start alone
(its import, its compiler's registries, loading each cached loop) takes ~1 s, more than the interpreter needs for
a news article. A long file (over :data:`INTERPRETED_CHARACTERS`), ``--compiled``, or any caller
that has loaded numba already (the bot, the tests) uses the compiled loops, as the bot's bulk matching does;
``--compiled`` also fills numba's cache (the Docker build's warm-up).
"""

from __future__ import annotations

import argparse
import os
import sys

from bot.cli.common import CliError, read_text

# Above this many characters the compiled loops pay for numba's start (measured: an 8,400-character article
# takes ~0.3 s interpreted, against ~1 s for numba to start).
INTERPRETED_CHARACTERS = 20_000


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
    parser.add_argument(
        "--compiled",
        action="store_true",
        help="match with the compiled loops the bot uses (slower to start; fills numba's cache)",
    )
    parser.set_defaults(func=cmd_match)


def cmd_match(args: argparse.Namespace) -> int:
    text = args.text if args.text is not None else read_text(args.file, code=2)
    import numpy as np

    with np.errstate(over="ignore"):  # interpreted, the hashes' uint64 products wrap as compiled, but warn
        if not args.compiled and len(text) + len(args.title) <= INTERPRETED_CHARACTERS:
            _interpret_matching()
        return _match(args, text)


def _match(args: argparse.Namespace, text: str) -> int:
    from matching import Document, Matcher, QueryError, parse_query

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


def _interpret_matching() -> None:
    """Import matching with its loops left as Python (see :mod:`matching.jit`), if it is not imported yet: so
    only in a process of its own. The variable is set for the import only; nothing started later inherits it."""
    if "matching" in sys.modules:
        return
    before = os.environ.get("NUMBA_DISABLE_JIT")
    os.environ["NUMBA_DISABLE_JIT"] = "1"
    try:
        import matching  # noqa: F401
    finally:
        if before is None:
            del os.environ["NUMBA_DISABLE_JIT"]
        else:
            os.environ["NUMBA_DISABLE_JIT"] = before
