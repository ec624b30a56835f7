"""What a match answers: :class:`Match` per distinct query, :class:`Matches` per article (lazy, read-only).

Kept apart from the matcher so that callers (fan-out, /why) read results without the index behind them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import numpy as np

from matching.arrays import NONE
from matching.document import Prepared
from matching.explain import explain
from matching.gazetteer import Gazetteer
from matching.places import Findings
from matching.query import Query, parse_query


@dataclass(frozen=True, slots=True)
class MatchContext:
    """Everything the explanation of any match of one article needs, shared by its matches."""

    prep: Prepared
    findings: Findings
    gazetteer: Gazetteer


class Match(tuple):
    """A query matched by one article, shared by every subscription with that query.

    A tuple underneath, because an article can match thousands of subscriptions and this is built for each.
    """

    __slots__ = ()

    @property
    def canonical(self) -> str:
        """The canonical query that matched."""
        return self[0]

    @property
    def query(self) -> Query:
        ctx: MatchContext = self[1]
        return parse_query(self[0], ctx.gazetteer)

    def explain(self) -> str:
        """Plain text: which terms or places matched and where (title, summary, text)."""
        ctx: MatchContext = self[1]
        return explain(self.query, ctx.prep, ctx.findings, ctx.gazetteer)

    def __repr__(self) -> str:
        return f"Match({self[0]!r})"


_new_match = tuple.__new__


class Matches(Mapping[int, Match]):
    """The result of :meth:`Matcher.match`: subscription id -> :class:`Match`, read-only.

    Kept as two arrays (subscriptions, and the entry of each) and turned into :class:`Match` objects only for
    the ids asked for: an article can match thousands of subscriptions, while the caller reads few. One
    :class:`Match` per distinct query, shared by its subscriptions. The arrays are sorted by subscription only
    when first looked up or iterated (counting needs no order).
    """

    __slots__ = ("_subs", "_ents", "_sorted", "_canonicals", "_ctx", "_made")

    def __init__(
        self, subs: np.ndarray, ents: np.ndarray, canonicals: list[str], ctx: MatchContext | None
    ) -> None:
        self._subs = subs
        self._ents = ents
        self._sorted = False
        self._canonicals = canonicals
        self._ctx = ctx
        self._made: dict[int, Match] = {}

    def _sort(self) -> None:
        if not self._sorted:
            order = np.argsort(self._subs)
            self._subs, self._ents, self._sorted = self._subs[order], self._ents[order], True

    def _find(self, sub_id: object) -> int:
        if not isinstance(sub_id, int) or not self._subs.size:
            return -1
        self._sort()
        i = int(np.searchsorted(self._subs, sub_id))
        return i if i < self._subs.size and self._subs[i] == sub_id else -1

    def __getitem__(self, sub_id: int) -> Match:
        i = self._find(sub_id)
        if i < 0:
            raise KeyError(sub_id)
        entry = int(self._ents[i])
        match = self._made.get(entry)
        if match is None:
            match = self._made[entry] = _new_match(Match, (self._canonicals[entry], self._ctx))
        return match

    def __contains__(self, sub_id: object) -> bool:
        return self._find(sub_id) >= 0

    def __iter__(self) -> Iterator[int]:
        """Subscription ids in ascending order."""
        self._sort()
        return iter(self._subs.tolist())

    def __len__(self) -> int:
        return int(self._subs.size)

    def __repr__(self) -> str:
        return f"Matches({dict(self.items())!r})"


NO_MATCHES = Matches(NONE, NONE, [], None)
