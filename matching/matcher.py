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
  :meth:`matching.index.Index.compact`; what changed since (live adds) sits in small Python dicts beside them. Memory and
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
from collections.abc import Callable, Iterable
from itertools import islice

import numpy as np

from matching.arrays import I64
from matching.document import Document, Prepared
from matching.gazetteer import Gazetteer, load
from matching.index import Index
from matching.matches import NO_MATCHES, MatchContext, Matches
from matching.places import NO_FINDINGS, find_places
from matching.query import Query, QueryError, parse_query

_BULK_COMPACT = 250_000  # a bulk load folds its subscriptions into the arrays this many at a time
_CHUNK = 10_000  # ...and takes the lock for this many at a time


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
        self._index = Index()
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
            return NO_MATCHES
        subs, ents = index.matched(found, doc.sources)
        if not subs.size:
            return NO_MATCHES
        return Matches(subs, ents, index.canonicals, MatchContext(prep, findings, self._gaz))

    # -- internals ----------------------------------------------------------------------------------------------

    def _extra_limit(self, index: Index) -> int:
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
        self, index: Index, chunk: list[tuple[int, Query | str]]
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

    def _compact(self, index: Index) -> None:
        """Fold the live adds into the arrays (a fraction of a second at a million subscriptions)."""
        with self._lock:
            if index is self._index and index.post.extra_size > self._extra_limit(index) // 2:
                index.compact()

    def _in_background(self, func: Callable[..., None], *args: object) -> None:
        try:
            func(*args)
        finally:
            self._background = None
