"""Loading the matcher at start: every stored subscription, then one made-up article so its compiled parts are
ready before the first poll. Both run in a thread of their own (see :func:`bot.app._load_then_poll`)."""

from __future__ import annotations

import asyncio
import gc
import itertools
import logging

from matching import Document, Matcher
from storage import subscriptions
from storage.db import connect

log = logging.getLogger("bot.app")


def fill_matcher(path: str, matcher: Matcher, stopping: asyncio.Event) -> int:
    """Every stored subscription into ``matcher`` (own connection: this runs in a thread); stops early on
    shutdown. Returns how many went in."""
    db = connect(path)
    try:
        rows = itertools.takewhile(lambda _: not stopping.is_set(), subscriptions.all_subscriptions(db))
        refused = matcher.add_many(rows)
    finally:
        db.conn.close()
    for sub_id, error in refused[:10]:
        log.warning("subscription %d cannot be matched any more: %s", sub_id, error)
    # What is loaded now lives as long as the bot: keep the garbage collector from walking it again. At a million
    # subscriptions each full collection otherwise took ~0.15 s, and the first came in the middle of matching.
    gc.freeze()
    return len(matcher)


def warm_up_matching() -> None:
    """Match one made-up article on a scratch matcher, so matching's lazily built parts (its compiled loops, built
    or read from their on-disk cache on first use) are ready before the first poll.

    Left to the first article that hits a subscription, that took over a second on a fresh install (compiling)
    with the GIL held; the event loop and every thread stalled with it, and the first alerts came seconds late.
    """
    scratch = Matcher()  # the gazetteer is loaded once per process: this one shares it
    scratch.add(1, "harbour")
    scratch.add(2, "Zvečan")
    scratch.match(
        Document(title="Harbour closed in Zvečan", text="The harbour in Zvečan, Kosovo, is closed.")
    )
    scratch.match(
        Document(title="Порт в Звечане закрыт", text="Порт в Звечане, Косово, закрыт.")
    )  # not ASCII
