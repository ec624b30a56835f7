"""Matching one article against every subscription at once.

Structure (see the "Matching and places" field notes for the measurements behind it):

- every distinct normalised keyword phrase gets an id; the phrases sit in one Aho-Corasick automaton
  (ahocorasick-rs, contiguous NFA), each padded with spaces so that a hit is always a whole-word match. Pattern
  number == phrase id, so a hit needs no lookup;
- places are found by the gazetteer's own automaton (:mod:`matching.places`) and turned into region keys
  ("XK", "balkans", "US-GA");
- phrase ids and region keys of the article form one set of *keys*;
- subscriptions with the same canonical query share one compiled *entry* (a million users, far fewer distinct
  queries: ``region:europe`` is compiled once). Entries with a single clause and no exclusion (most of them:
  ``kosovo``, ``"tear gas"``, ``kfor OR unmik``) are posted under each of their keys and match on sight. Others
  are posted under the keys of one clause (the most specific) and are evaluated, with set operations, only when
  that clause is hit. Nothing loops over all subscriptions.

Updates: a new subscription's phrases that the automata lack go to a small side automaton rebuilt on each add
(milliseconds), so it is live at once; when the side grows past ``side_limit`` phrases a background thread
folds it into a mid-sized automaton, and only when that one outgrows ``mid_limit`` is the main one rebuilt.
Removal takes the subscription out of its entry, so it stops at once; entries left empty are dropped by the next
full :meth:`Matcher.rebuild` (started in the background once they are a fifth of the live ones).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import ahocorasick_rs

from matching.document import Document, Prepared
from matching.explain import explain
from matching.gazetteer import Gazetteer, load
from matching.places import NO_FINDINGS, Findings, find_places
from matching.query import Query, QueryError, Term, parse_query, simple_keyword

Key = int | str  # phrase id or region key
_AC = ahocorasick_rs.AhoCorasick


class _Entry:
    """One distinct query, compiled, and the subscriptions that have it. Direct entries (one clause, no
    exclusion) keep their ``keys`` and match on any of them; checked ones keep ``clauses`` (all must be hit)
    and ``excluded`` (none may be)."""

    __slots__ = ("canonical", "sub_ids", "keys", "clauses", "excluded")

    def __init__(
        self,
        canonical: str,
        keys: tuple[Key, ...] | None,
        clauses: tuple[frozenset[Key], ...] | None = None,
        excluded: frozenset[Key] | None = None,
    ) -> None:
        self.canonical = canonical
        self.sub_ids: list[int] = []
        self.keys = keys
        self.clauses = clauses
        self.excluded = excluded


class _Index:
    """Phrases, automata, entries and postings. Swapped whole by a full rebuild; otherwise only grows."""

    def __init__(self) -> None:
        self.phrase_ids: dict[str, int] = {}
        self.phrases: list[str] = []
        self.entries: dict[str, _Entry] = {}
        self.live: dict[int, _Entry] = {}
        self.emptied = 0  # entries left without subscriptions since this index was built (still posted)
        self.direct: dict[Key, list[_Entry]] = {}
        self.checked: dict[Key, list[_Entry]] = {}
        # Three automata over consecutive ranges of phrase ids: main [0, main_end), mid [main_end, mid_end),
        # side [mid_end, len(phrases)). See Matcher for when each is rebuilt.
        self.automata: tuple[_AC | None, int, _AC | None, int, _AC | None] = (None, 0, None, 0, None)

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

    def add(self, sub_id: int, entry: _Entry) -> None:
        old = self.live.get(sub_id)
        if old is entry:
            return
        if old is not None:
            self.remove(sub_id)
        entry.sub_ids.append(sub_id)
        self.live[sub_id] = entry

    def remove(self, sub_id: int) -> bool:
        entry = self.live.pop(sub_id, None)
        if entry is None:
            return False
        entry.sub_ids.remove(sub_id)
        if not entry.sub_ids:
            del self.entries[entry.canonical]
            self.emptied += 1
        return True

    def entry_for(self, query: Query) -> _Entry:
        """The compiled entry of ``query``, compiling and posting it if new."""
        entry = self.entries.get(query.canonical)
        if entry is not None:
            return entry
        if len(query.clauses) == 1 and len(query.clauses[0]) == 1 and not query.excluded:  # most queries
            return self.keyword_entry(query.canonical, query.clauses[0][0])
        clauses = tuple(frozenset().union(*(self.term_keys(t) for t in clause)) for clause in query.clauses)
        excluded = frozenset().union(*(self.term_keys(t) for t in query.excluded)) if query.excluded else None
        anchor = _anchor(query) if len(clauses) > 1 or excluded is not None else 0
        return self._post(_Entry(query.canonical, None, clauses, excluded), anchor)

    def keyword_entry(self, canonical: str, term: Term) -> _Entry:
        """The entry of a one-term query (a keyword or a region), compiling and posting it if new."""
        entry = self.entries.get(canonical)
        if entry is not None:
            return entry
        if term.kind == "region":
            keys: tuple[Key, ...] = (term.value,)
        else:
            keys = tuple({self.phrase_id(p) for p in term.phrases()})
        entry = self.entries[canonical] = _Entry(canonical, keys)
        direct = self.direct
        for key in keys:
            lst = direct.get(key)
            if lst is None:
                direct[key] = [entry]
            else:
                lst.append(entry)
        return entry

    def copy_entry(self, old: _Entry, old_phrases: list[str]) -> _Entry:
        """Re-post an entry compiled against another index (a rebuild: no re-parsing)."""

        def remap(keys: Iterable[Key]) -> frozenset[Key]:
            return frozenset(self.phrase_id(old_phrases[k]) if isinstance(k, int) else k for k in keys)

        if old.keys is not None:
            entry = self._post(_Entry(old.canonical, None, (remap(old.keys),)), 0)
        else:
            assert old.clauses is not None
            clauses = tuple(remap(c) for c in old.clauses)
            excluded = remap(old.excluded) if old.excluded is not None else None
            anchor = max(range(len(clauses)), key=lambda i: _clause_rarity(clauses[i], self.phrases))
            entry = self._post(_Entry(old.canonical, None, clauses, excluded), anchor)
        for sub_id in old.sub_ids:
            self.add(sub_id, entry)
        return entry

    def _post(self, entry: _Entry, anchor: int) -> _Entry:
        clauses = entry.clauses
        assert clauses is not None
        if len(clauses) == 1 and entry.excluded is None:
            entry.keys = tuple(clauses[0])
            entry.clauses = None
            for key in entry.keys:
                self.direct.setdefault(key, []).append(entry)
        else:
            for key in clauses[anchor]:
                self.checked.setdefault(key, []).append(entry)
        self.entries[entry.canonical] = entry
        return entry

    def refresh_side(self) -> None:
        main, main_end, mid, mid_end, _ = self.automata
        self.automata = (main, main_end, mid, mid_end, _automaton(self.phrases[mid_end:]))


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
        ctx: _Context = self[1]
        return parse_query(self[0], ctx.gazetteer)

    def explain(self) -> str:
        """Plain text: which terms or places matched and where (title, summary, text)."""
        ctx: _Context = self[1]
        return explain(self.query, ctx.prep, ctx.findings, ctx.gazetteer)

    def __repr__(self) -> str:
        return f"Match({self[0]!r})"


_new_match = tuple.__new__


def _automaton(phrases: list[str]) -> _AC | None:
    """An automaton over `` phrase `` (padded: hits are whole words); pattern number = position in ``phrases``."""
    if not phrases:
        return None
    return ahocorasick_rs.AhoCorasick(
        (f" {p} " for p in phrases),
        matchkind=ahocorasick_rs.MatchKind.Standard,
        implementation=ahocorasick_rs.Implementation.ContiguousNFA,
    )


class Matcher:
    """All active subscriptions, compiled.

    ``match`` may run in a worker thread while ``add``/``remove`` run on the event loop: they take a lock only
    for a few milliseconds. ``add_many`` and ``rebuild`` are CPU-bound (seconds at a million subscriptions):
    run them in a thread; adds and removes made meanwhile are replayed onto the rebuilt index.
    """

    def __init__(
        self, gazetteer: Gazetteer | None = None, *, side_limit: int = 2000, mid_limit: int = 50_000
    ) -> None:
        self._gaz = gazetteer or load()
        self._side_limit = side_limit
        self._mid_limit = mid_limit
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
            index.add(sub_id, index.entry_for(query))
            if len(index.phrases) > before:
                index.refresh_side()
            if self._log is not None:
                self._log.append((sub_id, query))
            side_size = len(index.phrases) - index.automata[3]
            start = self._start_background(side_size > self._side_limit, self._fold, index)
        if start:
            start.start()

    def add_many(self, pairs: Iterable[tuple[int, Query | str]]) -> list[tuple[int, QueryError]]:
        """Bulk load (canonical strings accepted), then one automaton build. Returns the pairs refused, with why.

        Work is done in chunks, each under the lock for a moment, so ``add``/``remove``/``match`` from other
        threads keep going; a query already known by its canonical text is not parsed again.
        """
        refused: list[tuple[int, QueryError]] = []
        chunk: list[tuple[int, Query | str]] = []
        for pair in pairs:
            chunk.append(pair)
            if len(chunk) >= 10_000:
                refused += self._add_chunk(chunk)
                chunk = []
        refused += self._add_chunk(chunk)
        self._fold(self._index, full=True)
        return refused

    def remove(self, sub_id: int) -> bool:
        """Stop matching ``sub_id`` at once. True if it was there. Emptied entries are dropped by a background
        rebuild once they reach a fifth of the live ones."""
        with self._lock:
            if self._log is not None:
                self._log.append((sub_id, None))
            index = self._index
            found = index.remove(sub_id)
            many = index.emptied > max(1000, len(index.entries) // 5)
            start = self._start_background(many, self.rebuild)
        if start:
            start.start()
        return found

    def rebuild(self) -> None:
        """Rebuild everything over the queries in use (drops phrases and entries no subscription needs)."""
        with self._lock:
            old = self._index
            snapshot = [(e, list(e.sub_ids)) for e in old.entries.values()]
            old_phrases = list(old.phrases)
            self._log = []
        try:
            new = _Index()
            for entry, sub_ids in snapshot:
                copy = _Entry(entry.canonical, entry.keys, entry.clauses, entry.excluded)
                copy.sub_ids = sub_ids
                new.copy_entry(copy, old_phrases)
            end = len(new.phrases)
            new.automata = (_automaton(new.phrases), end, None, end, None)
            with self._lock:
                for sub_id, query in self._log:
                    if query is None:
                        new.remove(sub_id)
                    else:
                        new.add(sub_id, new.entry_for(query))
                if len(new.phrases) > end:
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
        main, main_end, mid, mid_end, side = index.automata
        low = prep.low
        keys: set[Key] = set()
        if main is not None:
            keys.update([h[0] for h in main.find_matches_as_indexes(low, overlapping=True)])
        if mid is not None:
            keys.update([main_end + h[0] for h in mid.find_matches_as_indexes(low, overlapping=True)])
        if side is not None:
            keys.update([mid_end + h[0] for h in side.find_matches_as_indexes(low, overlapping=True)])
        findings = find_places(prep, self._gaz) if prep.tokens else NO_FINDINGS
        keys.update(findings.regions)
        matched: set[_Entry] = set()
        direct, checked = index.direct, index.checked
        for key in keys:
            entries = direct.get(key)
            if entries is not None:
                matched.update(entries)
            candidates = checked.get(key)
            if candidates is None:
                continue
            for entry in candidates:
                clauses = entry.clauses
                assert clauses is not None
                if all(not keys.isdisjoint(c) for c in clauses) and (
                    entry.excluded is None or keys.isdisjoint(entry.excluded)
                ):
                    matched.add(entry)
        result: dict[int, Match] = {}
        if matched:
            ctx = _Context(prep, findings, self._gaz)
            for entry in matched:
                ids = entry.sub_ids
                if len(ids) == 1:
                    result[ids[0]] = _new_match(Match, (entry.canonical, ctx))
                elif ids:
                    result.update(dict.fromkeys(ids, _new_match(Match, (entry.canonical, ctx))))
        return result

    # -- internals ----------------------------------------------------------------------------------------------

    def _add_chunk(self, chunk: list[tuple[int, Query | str]]) -> list[tuple[int, QueryError]]:
        refused: list[tuple[int, QueryError]] = []
        with self._lock:
            index = self._index
            for sub_id, q in chunk:
                query: Query | None = None
                if isinstance(q, str) and q in index.entries:
                    entry = index.entries[q]
                elif isinstance(q, str) and (term := simple_keyword(q, self._gaz)) is not None:
                    entry = index.keyword_entry(q, term)
                else:
                    try:
                        query = q if isinstance(q, Query) else parse_query(q, self._gaz)
                    except QueryError as exc:
                        refused.append((sub_id, exc))
                        continue
                    entry = index.entry_for(query)
                index.add(sub_id, entry)
                if self._log is not None:
                    self._log.append((sub_id, query or parse_query(entry.canonical, self._gaz)))
        return refused

    def _start_background(
        self, wanted: bool, func: Callable[..., None], *args: object
    ) -> threading.Thread | None:
        """A rebuild thread to start once the lock is released, if wanted and none is running."""
        if not wanted or self._background is not None:
            return None
        self._background = threading.Thread(
            target=self._in_background, args=(func, *args), name="matcher-rebuild", daemon=True
        )
        return self._background

    def _fold(self, index: _Index, *, full: bool = False) -> None:
        """Fold the side automaton into the mid one, or everything into main when mid has grown past
        ``mid_limit`` (or ``full``). Built outside the lock: adds and matches go on meanwhile.

        The Rust build holds the GIL for most of its run (measured: a 400,000-phrase build stalled the other
        threads for 3.8 of its 5 seconds), so the big main build happens only at bulk loads, full rebuilds and
        when mid overflows; folding the side into mid costs a fraction of a second.
        """
        with self._lock:
            end = len(index.phrases)
            main, main_end, _, _, _ = index.automata
            whole = full or main is None or end - main_end > max(self._mid_limit, main_end // 10)
            phrases = index.phrases[:end] if whole else index.phrases[main_end:end]
        automaton = _automaton(phrases)
        with self._lock:
            if whole:
                index.automata = (automaton, end, None, end, None)
            else:
                index.automata = (main, main_end, automaton, end, None)
            if len(index.phrases) > end:
                index.refresh_side()

    def _in_background(self, func: Callable[..., None], *args: object) -> None:
        try:
            func(*args)
        finally:
            self._background = None
