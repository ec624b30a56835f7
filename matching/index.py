"""The subscription index behind :class:`matching.matcher.Matcher`: phrases, their trie, entries and postings.

One index is swapped whole by a full rebuild and otherwise only grows; the matcher holds the lock around it.
See :mod:`matching.matcher` for the structure and why it is shaped so.
"""

from __future__ import annotations

import numpy as np

from matching.arrays import I64, Column, csr, expand, flatten
from matching.gazetteer import Gazetteer
from matching.phrases import PhraseIds
from matching.postings import CLAUSE, SHIFT, Postings
from matching.query import Query, Term, parse_query, simple_pair, simple_phrases


class Index:
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

    def collected(self, post: Postings, alive: np.ndarray) -> Index:
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
        new = Index()
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
