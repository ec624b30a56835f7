"""Postings: which compiled queries (*entries*) and subscriptions an article's keys lead to.

Keys are phrase and region ids (:mod:`matching.phrases`). Three kinds of postings hang under a key:

- "one": entries of one clause ("nato", ``kfor OR unmik``, ``region:kosovo``, ``nato -kosovo``): a candidate when
  any of its keys is hit;
- "pos": codes ``entry << 4 | clause number`` of entries of several clauses: a candidate when every clause is hit;
- "neg": entries the key vetoes (their excluded terms).

An entry's subscriptions hang under the entry. All of them live in CSR arrays (:mod:`matching.arrays`), rebuilt by
the matcher's compaction; what was added since sits in dicts of lists beside them.

One compiled pass (:func:`_matched`) takes an article's keys to its subscriptions: the postings under them are
gathered and sorted, entries whose every clause is hit become candidates, vetoed ones are dropped, and the live
subscriptions of the rest are gathered. It takes ~60 µs an article at a million subscriptions, about what the
same steps took in vectorised numpy: the time is cache misses on the arrays, not computation. (Marking entries
in a per-thread array of every entry, instead of sorting a few hundred, was slower: one more miss per entry.)
"""

from __future__ import annotations

from collections import defaultdict
from itertools import chain

import numpy as np

from matching.arrays import I64, NONE, Column
from matching.jit import njit

SHIFT = 4  # codes are entry << 4 | clause number: a query has at most 10 terms, so at most 10 clauses
CLAUSE = (1 << SHIFT) - 1


class Postings:
    """Compiled entries and subscriptions: compact arrays up to ``nkeys``/``nent``, plus what was added since.

    Swapped whole by the matcher's compaction, so a match running meanwhile sees one consistent set. Only the
    ``*_extra`` dicts and ``alive`` change in place, under the matcher's lock, by single C-level operations that a
    match on another thread never sees half done.
    """

    __slots__ = (
        "nkeys", "one_ptr", "one_val", "pos_ptr", "pos_val", "neg_ptr", "neg_val",
        "nent", "sub_ptr", "sub_val", "alive", "sub_sorted", "sub_order",
        "one_extra", "pos_extra", "neg_extra", "subs_extra", "live_extra",
    )  # fmt: skip

    def __init__(self, nkeys: int = 0, nent: int = 0) -> None:
        self.nkeys = nkeys
        self.one_ptr = np.zeros(nkeys + 1, I64)  # key -> one-clause entries
        self.one_val = NONE
        self.pos_ptr = np.zeros(nkeys + 1, I64)  # key -> codes (entry << 4 | clause) of the other entries
        self.pos_val = NONE
        self.neg_ptr = np.zeros(nkeys + 1, I64)  # key -> entries it vetoes
        self.neg_val = NONE
        self.nent = nent
        self.sub_ptr = np.zeros(nent + 1, I64)  # entry -> subscription ids
        self.sub_val = NONE
        self.alive = np.zeros(0, bool)  # per slot of sub_val: False once removed
        self.sub_sorted = NONE  # sub_val sorted, and where each sits in sub_val: finds a subscription's slot
        self.sub_order = NONE
        # defaultdicts: appending is one C-level call (a bulk load appends millions of times)
        self.one_extra: defaultdict[int, list[int]] = defaultdict(list)
        self.pos_extra: defaultdict[int, list[int]] = defaultdict(list)
        self.neg_extra: defaultdict[int, list[int]] = defaultdict(list)
        self.subs_extra: defaultdict[int, list[int]] = defaultdict(list)
        self.live_extra: dict[int, int] = {}  # subscription -> entry, for those in subs_extra

    def slot(self, sub_id: int) -> int:
        """The live slot of ``sub_id`` in ``sub_val``, or -1."""
        if not self.sub_sorted.size:
            return -1
        i = int(np.searchsorted(self.sub_sorted, sub_id))
        if i < self.sub_sorted.size and self.sub_sorted[i] == sub_id:
            pos = int(self.sub_order[i])
            if self.alive[pos]:
                return pos
        return -1

    def known(self, sub_ids: list[int]) -> bool:
        """Whether any of ``sub_ids`` is in the compacted arrays (one vectorised search for a bulk load's chunk)."""
        if not self.sub_sorted.size or not sub_ids:
            return False
        ids = np.array(sub_ids, I64)
        at = np.minimum(np.searchsorted(self.sub_sorted, ids), self.sub_sorted.size - 1)
        return bool((self.sub_sorted[at] == ids).any())

    @property
    def extra_size(self) -> int:
        return len(self.live_extra)

    def matched(self, keys: np.ndarray, clause_counts: Column) -> tuple[np.ndarray, np.ndarray]:
        """(subscriptions, entry of each) that an article with ``keys`` (repeats allowed) matches;
        ``clause_counts`` holds each entry's number of clauses."""
        extras = self._extras(keys)
        clauses = clause_counts.view()  # read after the extras: it covers every entry they name
        entries, subs, ents = _matched(
            keys, self.nkeys, self.nent,
            (self.one_ptr, self.one_val, self.pos_ptr, self.pos_val, self.neg_ptr, self.neg_val),
            (self.sub_ptr, self.sub_val, self.alive),
            extras, clauses,
        )  # fmt: skip
        if self.subs_extra and entries.size:
            subs, ents = self._extra_subscriptions(entries, subs, ents)
        return subs, ents

    def _extras(self, keys: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The one, pos and neg postings added since the compaction under ``keys``."""
        if not (self.one_extra or self.pos_extra or self.neg_extra):
            return NONE, NONE, NONE
        key_set = set(keys.tolist())
        return (
            _under(self.one_extra, key_set),
            _under(self.pos_extra, key_set),
            _under(self.neg_extra, key_set),
        )

    def _extra_subscriptions(
        self, entries: np.ndarray, subs: np.ndarray, ents: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """``subs``, ``ents`` with the subscriptions added to ``entries`` since the compaction."""
        hit = self.subs_extra.keys() & set(entries.tolist())
        if not hit:
            return subs, ents
        lists = [self.subs_extra[e] for e in hit]
        more = np.fromiter(chain.from_iterable(lists), I64)
        of = np.repeat(np.fromiter(hit, I64, len(hit)), [len(x) for x in lists])
        return np.concatenate((subs, more)), np.concatenate((ents, of))


def _under(lists: dict[int, list[int]], keys: set[int]) -> np.ndarray:
    """The values of ``lists`` under ``keys``, concatenated."""
    hit = lists.keys() & keys
    if not hit:
        return NONE
    return np.fromiter(chain.from_iterable([lists[k] for k in hit]), I64)


@njit
def _gather(
    ptr: np.ndarray, values: np.ndarray, keys: np.ndarray, nkeys: int, extra: np.ndarray
) -> np.ndarray:
    """The values of CSR rows ``keys`` (those below ``nkeys``) and ``extra``, concatenated and sorted."""
    total = extra.size
    for key in keys:
        if key < nkeys:
            total += ptr[key + 1] - ptr[key]
    out = np.empty(total, np.int64)
    out[: extra.size] = extra
    at = extra.size
    for key in keys:
        if key < nkeys:
            for i in range(ptr[key], ptr[key + 1]):
                out[at] = values[i]
                at += 1
    out.sort()
    return out


@njit
def _matched(keys, nkeys, nent, postings, subscriptions, extras, clauses):  # type: ignore[no-untyped-def]
    """(candidate entries, their live subscriptions, the entry of each) for an article's keys. Compiled.

    ``postings``: the one, pos and neg CSR arrays; ``subscriptions``: sub_ptr, sub_val, alive; ``extras``: the
    one, pos and neg postings added since, under these keys. Postings are gathered and sorted (a few hundred:
    sorting them costs less than marking entries in an array of every entry, whose cache misses cost more).
    """
    one_ptr, one_val, pos_ptr, pos_val, neg_ptr, neg_val = postings
    sub_ptr, sub_val, alive = subscriptions
    one_extra, pos_extra, neg_extra = extras
    one = _gather(one_ptr, one_val, keys, nkeys, one_extra)
    codes = _gather(pos_ptr, pos_val, keys, nkeys, pos_extra)
    vetoed = _gather(neg_ptr, neg_val, keys, nkeys, neg_extra)
    found = np.empty(one.size + codes.size, np.int64)
    count = 0
    for i in range(one.size):  # distinct one-clause entries
        if i == 0 or one[i] != one[i - 1]:
            found[count] = one[i]
            count += 1
    i = 0
    while i < codes.size:  # entries of several clauses: every clause hit
        entry = codes[i] >> SHIFT
        hit = 0
        while i < codes.size and codes[i] >> SHIFT == entry:
            if i == 0 or codes[i] != codes[i - 1]:
                hit += 1
            i += 1
        if entry < clauses.size and hit == clauses[entry]:
            found[count] = entry
            count += 1
    found = found[:count]
    if codes.size and one.size:
        found.sort()
    if vetoed.size:  # without the vetoed (both sorted)
        kept = 0
        v = 0
        for entry in found:
            while v < vetoed.size and vetoed[v] < entry:
                v += 1
            if v == vetoed.size or vetoed[v] != entry:
                found[kept] = entry
                kept += 1
        found = found[:kept]
    total = 0
    for entry in found:
        if entry < nent:
            total += sub_ptr[entry + 1] - sub_ptr[entry]
    subs = np.empty(total, np.int64)
    of = np.empty(total, np.int64)
    at = 0
    for entry in found:
        if entry < nent:
            for k in range(sub_ptr[entry], sub_ptr[entry + 1]):
                if alive[k]:
                    subs[at] = sub_val[k]
                    of[at] = entry
                    at += 1
    return found, subs[:at], of[:at]
