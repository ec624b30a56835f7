"""A story: the reports of one event, kept as the sum of their terms (its centroid), names, quantities and span.

A story is compared with a new report as a whole (the centroid: what its reports say most) and through its
members (the best single report), so a story can grow by reports that each share words with a different part
of it. Its names and quantities are what vetoes a join: two quakes in Indonesia share every topic word, not
their magnitude or province.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from operator import mul

from stories.report import Report


@dataclass
class Story:
    """The members of a story that are still in the window, and what they say together."""

    id: int
    language: str
    members: set[int] = field(default_factory=set)
    counts: Counter[str] = field(default_factory=Counter)  # summed term weights of the members
    names: Counter[str] = field(default_factory=Counter)
    quantities: Counter[tuple[str, str]] = field(default_factory=Counter)
    sources: Counter[int] = field(default_factory=Counter)
    first_seen: float = math.inf
    last_seen: float = -math.inf
    published_first: float = math.inf  # the span of its reports' own publication times (expiry keeps it)
    published_last: float = -math.inf
    _norm: tuple[int, float] | None = None  # (window generation, centroid length)
    _changes: int = 0  # members added or removed since the length was computed

    def add(self, report: Report, names: frozenset[str]) -> None:
        self.members.add(report.key)
        self.counts.update(report.terms)
        self.names.update(names)
        self.quantities.update(report.quantities)
        self.sources[report.source] += 1
        self.first_seen = min(self.first_seen, report.seen)
        self.last_seen = max(self.last_seen, report.seen)
        if report.published is not None:
            self.published_first = min(self.published_first, report.published)
            self.published_last = max(self.published_last, report.published)
        self._changes += 1

    def remove(self, report: Report, names: frozenset[str]) -> None:
        """Forget a member that left the window (the story's newer members keep it alive)."""
        self.members.discard(report.key)
        self.counts.subtract(report.terms)
        self.names.subtract(names)
        self.quantities.subtract(report.quantities)
        self.sources.subtract([report.source])
        for counter in (self.counts, self.names, self.quantities, self.sources):
            for key in [k for k, v in counter.items() if v <= 0]:
                del counter[key]
        self._changes += 1

    def norm(self, idf: Mapping[str, float], generation: int) -> float:
        """Length of the centroid under the IDF of this window generation. Recomputed when the generation changes
        or the story has changed by a tenth of its members since: one more report barely moves a big story, and
        recomputing its thousand terms for each would make crowded stories slow to join."""
        cached = self._norm
        changes = self._changes
        if cached is None or cached[0] != generation or changes * 10 > len(self.members):
            self._norm = cached = (
                generation,
                math.hypot(*map(mul, self.counts.values(), map(idf.__getitem__, self.counts))) or 1.0,
            )
            self._changes = 0
        return cached[1]

    def published_near(self, published: float | None, limit: float) -> bool:
        """Whether a report published at ``published`` is within ``limit`` seconds of the story's reports."""
        if published is None or self.published_first == math.inf:
            return True
        return self.published_first - limit <= published <= self.published_last + limit

    def conflicting_quantity(self, quantities: frozenset[tuple[str, str]]) -> bool:
        """A quantity with a unit the story states too, at a value the story never gives ("6.1" vs "5.2" magnitude)."""
        for unit, value in quantities:
            if (unit, value) in self.quantities:
                continue
            if any(u == unit for u, _ in self.quantities):
                return True
        return False
