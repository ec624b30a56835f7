"""Matching one article against every subscription at once.

Structure (see the "Matching and places" field notes for the measurements behind it):

- every distinct normalised keyword phrase gets an id, and the phrases form one word trie (:mod:`matching.trie`;
  ids are given out in batches by :mod:`matching.phrases`): an article's tokens are hashed once and walked
  through it from every token at once, which finds every subscribed phrase as a whole-word, case-, accent- and punctuation-insensitive match. Phrase
  id == trie node, so a hit needs no lookup. (An Aho-Corasick automaton over the characters, patterns padded with
  spaces, takes ~190-250 µs an article at a million subscriptions, most of the budget of 333 µs; the compiled walk
  takes ~20-30.)
  Region keys ("XK", "balkans", "US-GA") get ids in the same space (outside the trie), so an article's phrase
  hits and regions form one set of *keys*;
- subscriptions with the same canonical query share one compiled *entry* (a million users, far fewer distinct
  queries: ``region:europe`` is compiled once). Entries are posted under their keys (:mod:`matching.postings`
  says how clauses and exclusions are posted), and one compiled pass takes an article's keys to its candidate
  entries and their subscriptions. Nothing loops over all subscriptions, and nothing loops in Python over the
  entries or subscriptions an article matches (thousands, for region subscriptions);
- postings and subscriptions live in compact arrays (CSR: one offsets array, one values array), rebuilt by
  :meth:`_Index.compact`; what changed since (live adds) sits in small Python dicts beside them. Memory and
  cache misses, not arithmetic, are what a million subscriptions cost in CPython: 687,000 entry objects and their
  lists took 600 MB and ~2 µs of pointer chasing per matched subscription.

Updates: a new subscription's phrases go into the trie's hash tables at once (microseconds: no automaton to
rebuild), and its entry into the dicts beside the arrays, so it matches from the next article on; a background
thread folds the dicts into the arrays once they grow past a tenth of the subscriptions. Removal clears the
subscription's slot (or takes it out of the dicts), so it stops at once; entries and phrases left without
subscriptions are dropped by the next full :meth:`Matcher.rebuild` (started in the background once removals
reach a fifth of the live subscriptions).
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from itertools import islice

import numpy as np

from matching.arrays import I64, NONE, Column, csr, expand, flatten
from matching.document import Document, Prepared
from matching.explain import explain
from matching.gazetteer import Gazetteer, load
from matching.phrases import PhraseIds
from matching.places import NO_FINDINGS, Findings, find_places
from matching.postings import CLAUSE, SHIFT, Postings
from matching.query import Query, QueryError, Term, parse_query, simple_pair, simple_phrases

_BULK_COMPACT = 250_000  # a bulk load folds its subscriptions into the arrays this many at a time
_CHUNK = 10_000  # ...and takes the lock for this many at a time


class _Index:
    """Phrases, their trie, entries and postings. Swapped whole by a full rebuild; otherwise only grows."""

    def __init__(self) -> None:
        self.keys = PhraseIds()  # phrase and region ids: the keys of the postings
        self.canon_ids: dict[str, int] = {}
        self.canonicals: list[str] = []
        self.ncl = Column(np.int8)  # clauses per entry
        self.post = Postings()
        self.n_live = 0
        self.removed = 0  # subscriptions removed since this index was built (their entries are still posted)
        # Postings whose phrases have no ids yet: (kind "one"/"pos"/"neg", entry or code, phrases). Ids are
        # given a batch at a time, by flush().
        self.pending: list[tuple[str, int, tuple[str, ...]]] = []

    def post_phrases(self, kind: str, value: int, phrases: tuple[str, ...]) -> None:
        """Post ``value`` under the ids of ``phrases``, at the next :meth:`flush`."""
        self.pending.append((kind, value, phrases))

    def post_keys(self, kind: str, value: int, term: Term) -> None:
        """Post ``value`` under a term's keys: its region's at once, its phrases' at the next flush."""
        if term.kind == "region":
            getattr(self.post, f"{kind}_extra")[self.keys.region(term.value)].append(value)
        else:
            self.post_phrases(kind, value, term.phrases())

    def flush(self) -> None:
        """Give ids to the phrases posted since the last call (one batch: new ones enter the trie) and post."""
        if not self.pending:
            return
        pending, self.pending = self.pending, []
        phrases = [phrase for _, _, group in pending for phrase in group]
        ids = self.keys.ids(phrases).tolist()
        at = 0
        post = self.post
        for kind, value, group in pending:
            target = getattr(post, f"{kind}_extra")
            for key in set(ids[at : at + len(group)]):  # a phrase and its plural may be one id
                target[key].append(value)
            at += len(group)

    # -- entries ------------------------------------------------------------------------------------------

    def entry_for(self, query: Query) -> int:
        """The entry of ``query``, compiling and posting it if new."""
        entry = self.canon_ids.get(query.canonical)
        if entry is None:
            entry = self.compile(query.canonical, query.clauses, query.excluded)
        return entry

    def entry_for_text(self, q: Query | str, gaz: Gazetteer) -> int:
        """The entry of a query or canonical string (parsed only when not known yet; raises QueryError)."""
        if isinstance(q, Query):
            return self.entry_for(q)
        entry = self.canon_ids.get(q)
        return self.compile_text(q, gaz) if entry is None else entry

    def compile_text(self, q: str, gaz: Gazetteer) -> int:
        """The entry of a canonical string not known yet (raises QueryError)."""
        phrases = simple_phrases(q, gaz)
        if phrases is not None:
            return self.compile_keyword(q, phrases)
        return self.entry_for(simple_pair(q, gaz) or parse_query(q, gaz))

    def compile_keyword(self, canonical: str, phrases: tuple[str, ...]) -> int:
        """:meth:`compile` for one keyword term given by its phrases (most stored queries)."""
        entry = self._new_entry(canonical, 1)
        self.post_phrases("one", entry, phrases)
        return entry

    def compile(
        self, canonical: str, clauses: tuple[tuple[Term, ...], ...], excluded: tuple[Term, ...]
    ) -> int:
        """A new entry for a query (its postings are made at the next :meth:`flush`)."""
        entry = self._new_entry(canonical, len(clauses))
        for number, clause in enumerate(clauses):
            kind, value = ("one", entry) if len(clauses) == 1 else ("pos", entry << SHIFT | number)
            for term in clause:
                self.post_keys(kind, value, term)
        for term in excluded:
            self.post_keys("neg", entry, term)
        return entry

    def _new_entry(self, canonical: str, clauses: int) -> int:
        entry = self.canon_ids[canonical] = len(self.canonicals)
        self.canonicals.append(canonical)
        self.ncl.append(clauses)
        return entry

    # -- subscriptions ------------------------------------------------------------------------------------

    def entry_of(self, sub_id: int) -> int | None:
        post = self.post
        entry = post.live_extra.get(sub_id)
        if entry is not None:
            return entry
        pos = post.slot(sub_id)
        if pos < 0:
            return None
        return int(np.searchsorted(post.sub_ptr, pos, side="right")) - 1

    def add(self, sub_id: int, entry: int) -> None:
        post = self.post
        if post.live_extra or post.sub_sorted.size:
            old = self.entry_of(sub_id)
            if old == entry:
                return
            if old is not None:
                self.remove(sub_id)
        post.subs_extra[entry].append(sub_id)
        post.live_extra[sub_id] = entry
        self.n_live += 1

    def remove(self, sub_id: int) -> bool:
        post = self.post
        entry = post.live_extra.pop(sub_id, None)
        if entry is not None:
            lst = post.subs_extra[entry]
            lst.remove(sub_id)
            if not lst:
                del post.subs_extra[entry]
        else:
            pos = post.slot(sub_id)
            if pos < 0:
                return False
            post.alive[pos] = False
        self.n_live -= 1
        self.removed += 1
        return True

    # -- compaction ---------------------------------------------------------------------------------------

    def compact(self) -> None:
        """Merge what was added since the last compaction into the arrays (vectorised: ~0.3 s at 1M)."""
        old = self.post
        self.flush()
        new = Postings(len(self.keys), len(self.canonicals))
        for name in ("one", "pos", "neg"):
            rows, vals = expand(getattr(old, f"{name}_ptr"), getattr(old, f"{name}_val"))
            extra = getattr(old, f"{name}_extra")
            if extra:
                xr, xv = flatten(extra)
                rows, vals = np.concatenate((rows, xr)), np.concatenate((vals, xv))
            ptr, val = csr(rows, vals, new.nkeys)
            setattr(new, f"{name}_ptr", ptr)
            setattr(new, f"{name}_val", val)
        ents, subs = expand(old.sub_ptr, old.sub_val)
        ents, subs = ents[old.alive], subs[old.alive]
        if old.subs_extra:
            xe, xs = flatten(old.subs_extra)
            ents, subs = np.concatenate((ents, xe)), np.concatenate((subs, xs))
        new.sub_ptr, new.sub_val = csr(ents, subs, new.nent)
        new.alive = np.ones(new.sub_val.size, bool)
        new.sub_order = np.argsort(new.sub_val, kind="stable")
        new.sub_sorted = new.sub_val[new.sub_order]
        self.post = new

    def collected(self, post: Postings, alive: np.ndarray) -> _Index:
        """A new index over the subscriptions ``alive`` in ``post`` (a compacted snapshot of this index's
        postings): entries and phrases nobody uses are dropped, ids renumbered, all with array operations (no
        query is parsed again), and the trie built anew (:meth:`PhraseIds.subset`). Runs outside the lock: this index only grows
        meanwhile."""
        ents, subs = expand(post.sub_ptr, post.sub_val)
        ents, subs = ents[alive], subs[alive]
        live = np.unique(ents)
        emap = np.full(post.nent + 1, -1, I64)
        emap[live] = np.arange(live.size, dtype=I64)
        one_keys, one_ents = expand(post.one_ptr, post.one_val)
        keep = emap[one_ents] >= 0
        one_keys, one_ents = one_keys[keep], emap[one_ents[keep]]
        keys, codes = expand(post.pos_ptr, post.pos_val)
        keep = emap[codes >> SHIFT] >= 0
        keys, codes = keys[keep], codes[keep]
        codes = emap[codes >> SHIFT] << SHIFT | (codes & CLAUSE)
        nkeys, vetoed = expand(post.neg_ptr, post.neg_val)
        keep = emap[vetoed] >= 0
        nkeys, vetoed = nkeys[keep], emap[vetoed[keep]]
        used = np.unique(np.concatenate((one_keys, keys, nkeys)))
        new = _Index()
        new.keys, kmap = self.keys.subset(used, post.nkeys)
        new.canonicals = [self.canonicals[e] for e in live.tolist()]
        new.canon_ids = dict(zip(new.canonicals, range(live.size), strict=True))
        new.ncl.extend(self.ncl.view()[live])
        p = Postings(len(new.keys), live.size)
        p.one_ptr, p.one_val = csr(kmap[one_keys], one_ents, p.nkeys)
        p.pos_ptr, p.pos_val = csr(kmap[keys], codes, p.nkeys)
        p.neg_ptr, p.neg_val = csr(kmap[nkeys], vetoed, p.nkeys)
        p.sub_ptr, p.sub_val = csr(emap[ents], subs, live.size)
        p.alive = np.ones(p.sub_val.size, bool)
        p.sub_order = np.argsort(p.sub_val, kind="stable")
        p.sub_sorted = p.sub_val[p.sub_order]
        new.post = p
        new.n_live = int(subs.size)
        return new

    # -- matching -----------------------------------------------------------------------------------------

    def matched(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(subscriptions, entry of each) that an article with these keys (repeats allowed) matches."""
        return self.post.matched(keys, self.ncl)


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


class Matches(Mapping[int, Match]):
    """The result of :meth:`Matcher.match`: subscription id -> :class:`Match`, read-only.

    Kept as two arrays (subscriptions, and the entry of each) and turned into :class:`Match` objects only for
    the ids asked for: an article can match thousands of subscriptions, while the caller reads few. One
    :class:`Match` per distinct query, shared by its subscriptions. The arrays are sorted by subscription only
    when first looked up or iterated (counting needs no order).
    """

    __slots__ = ("_subs", "_ents", "_sorted", "_canonicals", "_ctx", "_made")

    def __init__(
        self, subs: np.ndarray, ents: np.ndarray, canonicals: list[str], ctx: _Context | None
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


_NO_MATCHES = Matches(NONE, NONE, [], None)


class Matcher:
    """All active subscriptions, compiled.

    ``match`` may run in a worker thread while ``add``/``remove`` run on the event loop: they take a lock only
    for a few milliseconds. ``add_many`` and ``rebuild`` are CPU-bound (seconds at a million subscriptions):
    run them in a thread; adds and removes made meanwhile are replayed onto the rebuilt index.
    """

    def __init__(self, gazetteer: Gazetteer | None = None, *, extra_limit: int = 10_000) -> None:
        self._gaz = gazetteer or load()
        self._min_extra = extra_limit  # live adds kept beside the arrays, at least, before a compaction
        self._lock = threading.RLock()
        self._index = _Index()
        self._log: list[tuple[int, Query | str | None]] | None = (
            None  # ops during a rebuild; None: no rebuild
        )
        self._background: threading.Thread | None = None

    # -- public API -------------------------------------------------------------------------------------------

    def __len__(self) -> int:
        return self._index.n_live

    def __contains__(self, sub_id: object) -> bool:
        return isinstance(sub_id, int) and self._index.entry_of(sub_id) is not None

    def add(self, sub_id: int, q: Query | str) -> None:
        """Add or replace a subscription; it matches from the next article on."""
        query = q if isinstance(q, Query) else parse_query(q, self._gaz)
        with self._lock:
            index = self._index
            index.add(sub_id, index.entry_for(query))
            index.flush()
            if self._log is not None:
                self._log.append((sub_id, query))
            big = index.post.extra_size > self._extra_limit(index)
            start = self._start_background(big, self._compact, index)
        if start:
            start.start()

    def add_many(self, pairs: Iterable[tuple[int, Query | str]]) -> list[tuple[int, QueryError]]:
        """Bulk load (canonical strings accepted). Returns the pairs refused, with why.

        Work is done in chunks, each under the lock for a moment, so ``add``/``remove``/``match`` from other
        threads keep going; a query already known by its canonical text is not parsed again.
        """
        paused = gc.isenabled()
        if paused:
            gc.disable()  # millions of lists and tuples are made: each full collection would walk them all
        try:
            return self._add_all(pairs)
        finally:
            if paused:
                gc.enable()

    def _add_all(self, pairs: Iterable[tuple[int, Query | str]]) -> list[tuple[int, QueryError]]:
        refused: list[tuple[int, QueryError]] = []
        pending = iter(pairs)
        while chunk := list(islice(pending, _CHUNK)):
            refused += self._add_chunk(chunk)
            with self._lock:
                index = self._index
                if index.post.extra_size >= _BULK_COMPACT:  # dicts of lists cost ~300 bytes a subscription
                    index.compact()
        with self._lock:
            self._index.compact()
        return refused

    def remove(self, sub_id: int) -> bool:
        """Stop matching ``sub_id`` at once. True if it was there. Entries left without subscriptions are
        dropped by a background rebuild once removals reach a fifth of the live subscriptions."""
        with self._lock:
            if self._log is not None:
                self._log.append((sub_id, None))
            index = self._index
            found = index.remove(sub_id)
            many = index.removed > max(1000, index.n_live // 5)
            start = self._start_background(many, self.rebuild)
        if start:
            start.start()
        return found

    def rebuild(self) -> None:
        """Rebuild everything over the queries in use (drops phrases and entries no subscription needs)."""
        with self._lock:
            old = self._index
            old.compact()
            post, alive = old.post, old.post.alive.copy()
            self._log = []
        try:
            new = old.collected(post, alive)
            with self._lock:
                for sub_id, query in self._log:
                    if query is None:
                        new.remove(sub_id)
                    else:
                        new.add(sub_id, new.entry_for_text(query, self._gaz))
                new.flush()
                self._index = new
        finally:
            with self._lock:
                self._log = None
                # A fifth of what it kept was removed while it ran (or just after): collect again.
                index = self._index
                again = index is not old and index.removed > index.n_live // 5
        if again:
            self.rebuild()

    def wait_idle(self, timeout: float | None = None) -> bool:
        """Wait for background work to finish (tests, shutdown). True if none is running."""
        thread = self._background
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    def match(self, doc: Document) -> Matches:
        """Every live subscription the document matches, with its explanation (a read-only mapping)."""
        index = self._index
        prep = Prepared(doc)
        found = index.keys.trie.nodes_in(prep.hashes)
        findings = find_places(prep, self._gaz) if len(prep) else NO_FINDINGS
        if findings.regions:
            region_ids = index.keys.regions
            regions = [region_ids[r] for r in findings.regions if r in region_ids]
            if regions:
                found = np.concatenate((found, np.array(regions, I64)))
        if not found.size:
            return _NO_MATCHES
        subs, ents = index.matched(found)
        if not subs.size:
            return _NO_MATCHES
        return Matches(subs, ents, index.canonicals, _Context(prep, findings, self._gaz))

    # -- internals ----------------------------------------------------------------------------------------------

    def _extra_limit(self, index: _Index) -> int:
        """Live adds kept beside the arrays before a background compaction folds them in."""
        return max(self._min_extra, index.n_live // 10)

    def _add_chunk(self, chunk: list[tuple[int, Query | str]]) -> list[tuple[int, QueryError]]:
        """One chunk of a bulk load, under the lock.

        Most chunks add new ids only; that is checked for the chunk at once, and their subscriptions are then
        stored with C-level calls. A chunk that replaces or repeats an id goes one subscription at a time.
        """
        with self._lock:
            index = self._index
            sub_ids = [sub_id for sub_id, _ in chunk]
            entries, refused = self._entries(index, chunk)
            if self._log is not None:
                canonicals = index.canonicals
                self._log += [(s, canonicals[e]) for s, e in zip(sub_ids, entries, strict=True) if e >= 0]
            post = index.post
            distinct = set(sub_ids)
            if (
                refused
                or len(distinct) < len(sub_ids)
                or post.live_extra.keys() & distinct
                or post.known(sub_ids)
            ):
                for sub_id, entry in zip(sub_ids, entries, strict=True):
                    if entry >= 0:
                        index.add(sub_id, entry)
            else:
                post.live_extra.update(zip(sub_ids, entries, strict=True))
                subs_extra = post.subs_extra
                for sub_id, entry in zip(sub_ids, entries, strict=True):
                    subs_extra[entry].append(sub_id)
                index.n_live += len(sub_ids)
            index.flush()
        return refused

    def _entries(
        self, index: _Index, chunk: list[tuple[int, Query | str]]
    ) -> tuple[list[int], list[tuple[int, QueryError]]]:
        """The entry of each pair's query (-1 if refused), compiling those not known, and the pairs refused."""
        get = index.canon_ids.get
        entries = [get(q, -1) if q.__class__ is str else -1 for _, q in chunk]  # type: ignore[arg-type]
        refused: list[tuple[int, QueryError]] = []
        for i in [i for i, entry in enumerate(entries) if entry < 0]:
            sub_id, q = chunk[i]
            try:
                entries[i] = index.entry_for_text(
                    q, self._gaz
                )  # known by now if it came earlier in the chunk
            except QueryError as exc:
                refused.append((sub_id, exc))
        return entries, refused

    def _start_background(
        self, wanted: bool, func: Callable[..., None], *args: object
    ) -> threading.Thread | None:
        """A background thread to start once the lock is released, if wanted and none is running."""
        if not wanted or self._background is not None:
            return None
        self._background = threading.Thread(
            target=self._in_background, args=(func, *args), name="matcher-rebuild", daemon=True
        )
        return self._background

    def _compact(self, index: _Index) -> None:
        """Fold the live adds into the arrays (a fraction of a second at a million subscriptions)."""
        with self._lock:
            if index is self._index and index.post.extra_size > self._extra_limit(index) // 2:
                index.compact()

    def _in_background(self, func: Callable[..., None], *args: object) -> None:
        try:
            func(*args)
        finally:
            self._background = None
