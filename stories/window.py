"""The reports of the last 48 hours: document frequencies, how names are written, and an index of terms.

IDF comes from the window itself and changes as reports arrive and age out, so a word is rare or common by what
the news of these two days says ("quake" is rare until a quake is everywhere). A prior of ``PRIOR_DOCUMENTS``
unseen documents keeps a small window (a new installation, a test) from calling every word common.

The inverted index maps a term to the reports holding it, oldest first; a new report looks up only its rarer
terms and only their newest postings, so finding candidates never scans the window.
"""

from __future__ import annotations

import math
from collections import Counter, deque

from stories.report import Report

PRIOR_DOCUMENTS = 1000
# IDF and the vector lengths cached from it are recomputed when the window has changed by this share of its
# reports (at least MIN_GENERATION reports added or expired): IDF drifts slowly, and recomputing it for every
# report would cost more than the grouping.
GENERATION_SHARE = 0.05
MIN_GENERATION = 100


class IdfTable(dict[str, float]):
    """term -> IDF, computed on first use from the window's counts of that generation."""

    def __init__(self, window: Window) -> None:
        super().__init__()
        self._df = window.df
        self._log_n = math.log(len(window.reports) + PRIOR_DOCUMENTS)

    def __missing__(self, term: str) -> float:
        value = self[term] = self._log_n - math.log(self._df.get(term, 0) + 1)
        return value


class Window:
    """Reports in arrival order with the statistics the grouper reads; ``add`` and ``expire`` keep them current."""

    def __init__(self) -> None:
        self.reports: dict[int, Report] = {}
        self.order: deque[int] = deque()
        self.df: Counter[str] = Counter()
        self.capitalised: Counter[str] = Counter()  # times a stem was written as a name
        self.lowercase: Counter[str] = Counter()  # times it was written in lower case
        self.postings: dict[str, list[int]] = {}
        self._dead: Counter[str] = Counter()  # expired keys still in a postings list
        self._changes = 0  # reports added or expired since the current generation began
        self.generation = 0
        self._idf: IdfTable | None = None

    def __len__(self) -> int:
        return len(self.reports)

    def _changed(self) -> None:
        self._changes += 1
        if self._changes >= max(MIN_GENERATION, GENERATION_SHARE * len(self.reports)):
            self._changes = 0
            self.generation += 1
            self._idf = None

    def idf_table(self) -> IdfTable:
        """The IDF of this generation, memoised."""
        if self._idf is None:
            self._idf = IdfTable(self)
        return self._idf

    def is_name(self, stem: str) -> bool:
        """Whether the window mostly writes ``stem`` capitalised mid-sentence: "Aceh" is, "quake" is not."""
        return self.capitalised.get(stem, 0) > self.lowercase.get(stem, 0)

    def names_of(self, report: Report) -> frozenset[str]:
        """The report's own names, and the words whose writing it does not show that the window writes as names."""
        return report.name_terms | frozenset(t for t in report.unsure_terms if self.is_name(t))

    def add(self, report: Report) -> None:
        self.reports[report.key] = report
        self._changed()
        self.order.append(report.key)
        self.df.update(report.terms)
        self.capitalised.update(report.name_terms)
        self.lowercase.update(report.lower_terms)
        for term in report.terms:
            self.postings.setdefault(term, []).append(report.key)

    def expire(self, cutoff: float) -> list[Report]:
        """Drop the reports first seen before ``cutoff``; returns them (their stories forget them too)."""
        gone = []
        while self.order and self.reports[self.order[0]].seen < cutoff:
            report = self.reports.pop(self.order.popleft())
            gone.append(report)
            self._changed()
            self.df.subtract(report.terms)
            self.capitalised.subtract(report.name_terms)
            self.lowercase.subtract(report.lower_terms)
            for term in report.terms:
                self._forget_posting(term)
        return gone

    def _forget_posting(self, term: str) -> None:
        """Count an expired posting; compact the list once half of it is dead (amortised constant time)."""
        self._dead[term] += 1
        postings = self.postings[term]
        if self._dead[term] * 2 >= len(postings):
            live = [key for key in postings if key in self.reports]
            if live:
                self.postings[term] = live
            else:
                del self.postings[term]
                del self.df[term]
            del self._dead[term]

    def newest_holding(self, term: str, limit: int) -> list[int]:
        """The newest ``limit`` reports holding ``term``, newest last; some may have expired (check ``reports``)."""
        return self.postings.get(term, [])[-limit:]
