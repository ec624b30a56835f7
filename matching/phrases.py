"""Ids for subscribed phrases and regions: the nodes of a word trie (:mod:`matching.trie`), given out in batches.

A phrase's id is its trie node, so finding a phrase in an article gives its id with no further lookup. Every
word of a phrase is a node of its own, and so is every first part of it ("red cross society" needs "red", "cross",
"society" and "red cross"): a step leads from the node of the first words and the node of the next word to the
node of both.

Ids are given out for a batch of phrases at once, with array operations a word position at a time: a bulk load
of a million subscriptions asks for 1.2 million phrases, and looking each up in a Python dict of strings cost
~0.6 µs (cache misses), two seconds in all. The trie's own tables answer instead.

Region keys share the id space (a region is a key of the postings like a phrase) but have no place in the trie.
What each id is made of is kept in arrays, so that :meth:`PhraseIds.subset` can build a smaller trie over the
ids still used without any phrase as text.
"""

from __future__ import annotations

import numpy as np

from matching.arrays import Column
from matching.tokens import phrase_hashes
from matching.trie import WordTrie

_I64 = np.int64
_WORD = -1  # head of a single word's id
_REGION = -2  # head of a region's id


class PhraseIds:
    """Phrase -> id (a node of :attr:`trie`), and region key -> id, in one space of ids from 0."""

    def __init__(self) -> None:
        self.trie = WordTrie()
        self.regions: dict[str, int] = {}
        self._head = Column(_I64)  # per id: the id of its first words, or _WORD, or _REGION
        self._last = Column(_I64)  # per id: the id of its last word (-1 for a word or a region)
        self._hash = Column(np.uint64)  # per id: a single word's hash (0 otherwise)
        self._never = -1  # the id of every word too long to hash: no token ever reaches it

    def __len__(self) -> int:
        return self._head.size

    def ids(self, phrases: list[str]) -> np.ndarray:
        """The id of each phrase (lowercase words between single spaces), made where new."""
        if not phrases:
            return np.empty(0, _I64)
        hashes, lengths = phrase_hashes(phrases)
        if not lengths.all():
            raise ValueError("a phrase without words")
        word = self._word_ids(hashes)
        first = np.zeros(len(phrases), _I64)
        np.cumsum(lengths[:-1], out=first[1:])
        node = word[first]
        longer = np.arange(len(phrases))
        for n in range(1, int(lengths.max())):
            longer = longer[lengths[longer] > n]
            node[longer] = self._step_ids(node[longer], word[first[longer] + n])
        return node

    def region(self, key: str) -> int:
        """The id of a region key, made if new."""
        rid = self.regions.get(key)
        if rid is None:
            rid = self.regions[key] = self._new(1, _REGION, -1, 0)[0]
        return int(rid)

    def subset(self, used: np.ndarray, limit: int) -> tuple[PhraseIds, np.ndarray]:
        """A new PhraseIds over the ids ``used`` (sorted, distinct) and what they are made of, renumbered in
        that order (``used`` first, then the words and first parts only they need); and the map from old ids to
        new (-1 for dropped ones), for the ids below ``limit``. Safe while another thread adds ids: those above
        ``limit`` are not read."""
        head, last = self._head.view()[:limit], self._last.view()[:limit]
        hashes = self._hash.view()[:limit]
        keep = np.zeros(limit, bool)
        keep[used] = True
        parts = used
        while parts.size:  # what the ids kept are made of, a word position at a time
            parts = np.concatenate((head[parts][head[parts] >= 0], last[parts][last[parts] >= 0]))
            parts = parts[~keep[parts]]
            keep[parts] = True
        keep[used] = False
        extra = np.flatnonzero(keep)
        order = np.concatenate((used, extra))
        new_of = np.full(limit + 1, -1, _I64)  # index -1 (a word's "head") maps to -1
        new_of[order] = np.arange(order.size, dtype=_I64)
        new = PhraseIds()
        old_head = head[order]
        new._head.extend(np.where(old_head >= 0, new_of[np.maximum(old_head, 0)], old_head))
        new._last.extend(new_of[last[order]])
        new._hash.extend(hashes[order])
        words = np.flatnonzero(old_head == _WORD)
        hashed = words[hashes[order[words]] != 0]
        new.trie.add_words(hashes[order[hashed]], hashed)
        steps = np.flatnonzero(old_head >= 0)
        new.trie.add_links(new._head.view()[steps], new._last.view()[steps], steps)
        regions = list(self.regions.items())  # a copy first: another thread may add to it
        new.regions = {key: int(new_of[rid]) for key, rid in regions if rid < limit and new_of[rid] >= 0}
        if 0 <= self._never < limit:
            new._never = int(new_of[self._never])
        return new, new_of[:-1]

    def _word_ids(self, hashes: np.ndarray) -> np.ndarray:
        found = self.trie.word_nodes(hashes)
        missing = found < 0
        if not missing.any():
            return found
        too_long = missing & (hashes == 0)
        if too_long.any():
            if self._never < 0:
                self._never = int(self._new(1, _WORD, -1, 0)[0])
            found[too_long] = self._never
            missing &= ~too_long
        new, inverse = np.unique(hashes[missing], return_inverse=True)
        ids = self._new(new.size, _WORD, -1, new)
        self.trie.add_words(new, ids)
        found[missing] = ids[inverse]
        return found

    def _step_ids(self, heads: np.ndarray, words: np.ndarray) -> np.ndarray:
        found = self.trie.step_nodes(heads, words)
        missing = np.flatnonzero(found < 0)
        if not missing.size:
            return found
        pairs = heads[missing] << 32 | words[missing]
        new, first, inverse = np.unique(pairs, return_index=True, return_inverse=True)
        new_heads, new_words = heads[missing[first]], words[missing[first]]
        ids = self._new(new.size, new_heads, new_words, 0)
        self.trie.add_links(new_heads, new_words, ids)
        found[missing] = ids[inverse]
        return found

    def _new(
        self, count: int, head: np.ndarray | int, last: np.ndarray | int, hashes: np.ndarray | int
    ) -> np.ndarray:
        """``count`` new ids, made of ``head`` and ``last``, with ``hashes`` for words."""
        start = len(self)
        self._head.extend(np.broadcast_to(head, count))
        self._last.extend(np.broadcast_to(last, count))
        self._hash.extend(np.broadcast_to(np.asarray(hashes, np.uint64), count))
        return np.arange(start, start + count, dtype=_I64)
