"""Matching one article against every subscription at once.

Structure (see the "Matching and places" field notes for the measurements behind it):

- every distinct normalised keyword phrase gets an id; the phrases sit in one Aho-Corasick automaton
  (ahocorasick-rs, contiguous NFA), each padded with spaces so that a hit is always a whole-word match. Pattern
  number == phrase id, so a hit needs no lookup;
- places are found by the gazetteer's own automaton (:mod:`matching.places`) and turned into region keys
  ("XK", "balkans", "US-GA");
- phrase ids and region keys of the article form one set of *keys*. Subscriptions with a single clause and no
  exclusion (most of them: ``kosovo``, ``"tear gas"``, ``kfor OR unmik``) are posted under each of their keys
  and match on sight. Others are posted under the keys of one clause (the most specific) and are evaluated,
  with set operations, only when that clause is hit. Nothing loops over all subscriptions.

Updates: a new subscription's phrases that the main automaton lacks go to a small side automaton rebuilt on
each add (milliseconds), so it is live at once; when the side grows past ``side_limit`` phrases a background
thread rebuilds the main automaton and the side empties. Removal deletes the subscription from the live table,
which every posting is checked against, so it stops at once; stale postings are dropped by :meth:`rebuild`.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass

import ahocorasick_rs

from matching.document import Document, Prepared
from matching.explain import explain
from matching.gazetteer import Gazetteer, load
from matching.places import NO_FINDINGS, Findings, find_places
from matching.query import Query, QueryError, Term, parse_query

Key = int | str  # phrase id or region key


class _Sub:
    """A compiled subscription. Direct ones (one clause, no exclusion) keep their ``keys`` and match on any of
    them; checked ones keep ``clauses`` (all must be hit) and ``excluded`` (none may be)."""

    __slots__ = ("sub_id", "canonical", "keys", "clauses", "excluded")

    def __init__(
        self,
        sub_id: int,
        canonical: str,
        keys: tuple[Key, ...] | None,
        clauses: tuple[frozenset[Key], ...] | None = None,
        excluded: frozenset[Key] | None = None,
    ) -> None:
        self.sub_id = sub_id
        self.canonical = canonical
        self.keys = keys
        self.clauses = clauses
        self.excluded = excluded


class _Index:
    """Phrases, automata and postings. Swapped whole by a rebuild; otherwise only appended to."""

    def __init__(self) -> None:
        self.phrase_ids: dict[str, int] = {}
        self.phrases: list[str] = []
        self.live: dict[int, _Sub] = {}
        self.direct: dict[Key, list[_Sub]] = {}
        self.checked: dict[Key, list[_Sub]] = {}
        # (main automaton, number of phrases it covers, side automaton over the phrases after those)
        self.automata: tuple[ahocorasick_rs.AhoCorasick | None, int, ahocorasick_rs.AhoCorasick | None] = (
            None,
            0,
            None,
        )

    def phrase_id(self, phrase: str) -> int:
        pid = self.phrase_ids.get(phrase)
        if pid is None:
            pid = self.phrase_ids[phrase] = len(self.phrases)
            self.phrases.append(phrase)
        return pid

    def term_keys(self, term: Term) -> frozenset[Key]:
        if term.kind == "region":
            return frozenset((term.value,))
        return frozenset(self.phrase_id(p) for p in term.phrases())

    def insert(self, sub_id: int, query: Query) -> None:
        clauses = tuple(frozenset().union(*(self.term_keys(t) for t in clause)) for clause in query.clauses)
        excluded = frozenset().union(*(self.term_keys(t) for t in query.excluded)) if query.excluded else None
        anchor = _anchor(query) if len(clauses) > 1 or excluded is not None else 0
        self._post(_Sub(sub_id, query.canonical, None, clauses, excluded), clauses, anchor)

    def insert_remapped(self, sub: _Sub, old_phrases: list[str]) -> None:
        """Re-insert a subscription compiled against another index (used by a rebuild: no re-parsing)."""

        def remap(keys: Iterable[Key]) -> frozenset[Key]:
            return frozenset(self.phrase_id(old_phrases[k]) if isinstance(k, int) else k for k in keys)

        if sub.keys is not None:
            keys = remap(sub.keys)
            self._post(_Sub(sub.sub_id, sub.canonical, None, (keys,), None), (keys,), 0)
            return
        assert sub.clauses is not None
        clauses = tuple(remap(c) for c in sub.clauses)
        excluded = remap(sub.excluded) if sub.excluded is not None else None
        anchor = max(range(len(clauses)), key=lambda i: _clause_rarity(clauses[i], self.phrases))
        self._post(_Sub(sub.sub_id, sub.canonical, None, clauses, excluded), clauses, anchor)

    def _post(self, sub: _Sub, clauses: tuple[frozenset[Key], ...], anchor: int) -> None:
        if len(clauses) == 1 and sub.excluded is None:
            sub.keys = tuple(clauses[0])
            sub.clauses = None
            for key in sub.keys:
                self.direct.setdefault(key, []).append(sub)
        else:
            for key in clauses[anchor]:
                self.checked.setdefault(key, []).append(sub)
        self.live[sub.sub_id] = sub

    def refresh_side(self) -> None:
        main, covered, _ = self.automata
        self.automata = (main, covered, _automaton([f" {p} " for p in self.phrases[covered:]]))


def _clause_rarity(clause: frozenset[Key], phrases: list[str]) -> tuple[int, int]:
    """Keywords before regions (places are in almost every article), then the longest phrase as the rarest."""
    if any(isinstance(k, str) for k in clause):
        return (0, 0)
    return (1, min(len(phrases[k]) for k in clause))  # type: ignore[index]


def _anchor(query: Query) -> int:
    def rarity(i: int) -> tuple[int, int]:
        terms = query.clauses[i]
        if any(t.kind == "region" for t in terms):
            return (0, 0)
        return (1, min(len(t.value) for t in terms))

    return max(range(len(query.clauses)), key=rarity)


@dataclass(frozen=True, slots=True)
class _Context:
    """Everything the explanation of any match of one article needs, shared by its matches."""

    prep: Prepared
    findings: Findings
    gazetteer: Gazetteer


class Match:
    """One subscription matched by one article."""

    __slots__ = ("sub_id", "canonical", "_ctx")

    def __init__(self, sub_id: int, canonical: str, ctx: _Context) -> None:
        self.sub_id = sub_id
        self.canonical = canonical
        self._ctx = ctx

    @property
    def query(self) -> Query:
        return parse_query(self.canonical, self._ctx.gazetteer)

    def explain(self) -> str:
        """Plain text: which terms or places matched and where (title, summary, text)."""
        return explain(self.query, self._ctx.prep, self._ctx.findings, self._ctx.gazetteer)

    def __repr__(self) -> str:
        return f"Match({self.sub_id}, {self.canonical!r})"


def _automaton(patterns: list[str]) -> ahocorasick_rs.AhoCorasick | None:
    if not patterns:
        return None
    return ahocorasick_rs.AhoCorasick(
        patterns,
        matchkind=ahocorasick_rs.MatchKind.Standard,
        implementation=ahocorasick_rs.Implementation.ContiguousNFA,
    )


class Matcher:
    """All active subscriptions, compiled.

    ``match`` may run in a worker thread while ``add``/``remove`` run on the event loop: they take a lock only
    for a few milliseconds. ``add_many`` and ``rebuild`` are CPU-bound (seconds at a million subscriptions):
    run them in a thread; adds and removes made meanwhile are replayed onto the rebuilt index.
    """

    def __init__(self, gazetteer: Gazetteer | None = None, *, side_limit: int = 5000) -> None:
        self._gaz = gazetteer or load()
        self._side_limit = side_limit
        self._lock = threading.RLock()
        self._index = _Index()
        self._log: list[tuple[int, Query | None]] | None = None  # ops during a rebuild; None: no rebuild
        self._background: threading.Thread | None = None

    # -- public API -------------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self._index.live)

    def __contains__(self, sub_id: object) -> bool:
        return sub_id in self._index.live

    def add(self, sub_id: int, q: Query | str) -> None:
        """Add or replace a subscription; it matches from the next article on."""
        query = q if isinstance(q, Query) else parse_query(q, self._gaz)
        with self._lock:
            index = self._index
            before = len(index.phrases)
            index.insert(sub_id, query)
            if len(index.phrases) > before:
                index.refresh_side()
            if self._log is not None:
                self._log.append((sub_id, query))
            side_size = len(index.phrases) - index.automata[1]
            start = side_size > self._side_limit and self._background is None
            if start:
                self._background = threading.Thread(
                    target=self._rebuild_quietly, name="matcher-rebuild", daemon=True
                )
        if start:
            self._background.start()  # type: ignore[union-attr]

    def add_many(self, pairs: Iterable[tuple[int, Query | str]]) -> list[tuple[int, QueryError]]:
        """Bulk load (canonical strings accepted), then one rebuild. Returns the pairs refused, with why."""
        refused: list[tuple[int, QueryError]] = []
        parsed: dict[str, Query] = {}
        queries: list[tuple[int, Query]] = []
        for sub_id, q in pairs:
            if isinstance(q, Query):
                queries.append((sub_id, q))
                continue
            query = parsed.get(q)
            if query is None:
                try:
                    query = parsed[q] = parse_query(q, self._gaz)
                except QueryError as exc:
                    refused.append((sub_id, exc))
                    continue
            queries.append((sub_id, query))
        with self._lock:
            index = self._index
            for sub_id, query in queries:
                index.insert(sub_id, query)
                if self._log is not None:
                    self._log.append((sub_id, query))
        self.rebuild()
        return refused

    def remove(self, sub_id: int) -> bool:
        """Stop matching ``sub_id`` at once. True if it was there."""
        with self._lock:
            if self._log is not None:
                self._log.append((sub_id, None))
            return self._index.live.pop(sub_id, None) is not None

    def rebuild(self) -> None:
        """Rebuild the main automaton over the phrases in use and drop stale postings."""
        with self._lock:
            old = self._index
            snapshot = list(old.live.values())
            old_phrases = list(old.phrases)
            self._log = []
        try:
            new = _Index()
            for sub in snapshot:
                new.insert_remapped(sub, old_phrases)
            new.automata = (_automaton([f" {p} " for p in new.phrases]), len(new.phrases), None)
            with self._lock:
                for sub_id, query in self._log:
                    if query is None:
                        new.live.pop(sub_id, None)
                    else:
                        new.insert(sub_id, query)
                if len(new.phrases) > new.automata[1]:
                    new.refresh_side()
                self._index = new
        finally:
            with self._lock:
                self._log = None

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait for a background rebuild to finish (tests, shutdown). True if none is running."""
        thread = self._background
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    def match(self, doc: Document) -> dict[int, Match]:
        """Every live subscription the document matches, with its explanation."""
        index = self._index
        prep = Prepared(doc)
        main, covered, side = index.automata
        low = prep.low
        keys: set[Key] = set()
        if main is not None:
            keys.update([h[0] for h in main.find_matches_as_indexes(low, overlapping=True)])
        if side is not None:
            keys.update([covered + h[0] for h in side.find_matches_as_indexes(low, overlapping=True)])
        findings = find_places(prep, self._gaz) if prep.tokens else NO_FINDINGS
        keys.update(findings.regions)
        live = index.live
        hits: dict[int, _Sub] = {}
        candidates: list[_Sub] = []
        direct, checked = index.direct, index.checked
        for key in keys:
            subs = direct.get(key)
            if subs is not None:
                for sub in subs:
                    if live.get(sub.sub_id) is sub:
                        hits[sub.sub_id] = sub
            subs = checked.get(key)
            if subs is not None:
                candidates += subs
        for sub in candidates:
            if sub.sub_id in hits or live.get(sub.sub_id) is not sub:
                continue
            assert sub.clauses is not None
            if all(not keys.isdisjoint(c) for c in sub.clauses) and (
                sub.excluded is None or keys.isdisjoint(sub.excluded)
            ):
                hits[sub.sub_id] = sub
        if not hits:
            return {}
        ctx = _Context(prep, findings, self._gaz)
        return {sid: Match(sid, sub.canonical, ctx) for sid, sub in hits.items()}

    def _rebuild_quietly(self) -> None:
        try:
            self.rebuild()
        finally:
            self._background = None
