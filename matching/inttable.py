"""A hash table from 64-bit keys to ids, held in numpy arrays that compiled loops read directly.

Why not a dict: an article asks for ~600 words at a time, and in a dict of a million entries each lookup is three
dependent cache misses paid one after another by the interpreter (~240 ns a word, measured: more than the whole
keyword pass may cost). Here :func:`lookup`, inlined into :mod:`matching.trie`'s compiled walk, probes the arrays
itself, and the CPU overlaps the misses of consecutive tokens.

- Cuckoo hashing: a key sits in one of two slots, so a lookup is at most two probes, with no probe chain. The
  table is kept at most 40% full, where two choices nearly always find room; when an insertion still fails the
  table is rebuilt larger. Each slot holds its key and value side by side: one cache line for both.
- Inserts are vectorised numpy (a bulk load adds hundreds of thousands of keys at once).
- Key 0 marks an empty slot, whose value is -1: key 0 is never stored, and asking for it (what a token that is
  no word gets) always misses.
- Writers run on one thread at a time (the callers hold a lock); readers need no lock: a slot's value is written
  before its key, and a rebuild swaps in a new generation of arrays whole.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from matching.jit import njit

# Multipliers for the two slots (Fibonacci hashing: the top bits of key * multiplier).
_M0 = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xC2B2AE3D27D4EB4F)
_MULT = (_M0, _M1)
_U64 = (1 << 64) - 1
_MIN_BITS = 10
_MAX_LOAD = 0.4
_MAX_ROUNDS = 500  # rounds of a vectorised fill before the table is rebuilt larger
_MAX_PATH = 64  # moves one insertion may make


class _Generation(NamedTuple):
    """The arrays of one size of table; replaced whole when the table grows."""

    table: np.ndarray  # (slots, 2) int64: key (as int64), value
    keys: np.ndarray  # view of column 0 as uint64
    values: np.ndarray  # view of column 1
    shift: np.uint64  # 64 - log2(slots)


class IntTable:
    """uint64 key -> int64 value (>= 0); missing keys read as -1."""

    __slots__ = ("_gen", "size")

    def __init__(self) -> None:
        self._gen = _generation(_MIN_BITS)
        self.size = 0

    @classmethod
    def from_table(cls, table: np.ndarray, size: int) -> IntTable:
        """A table over arrays made before (see :attr:`arrays`), e.g. memory-mapped from a cache: read-only
        arrays make a table that can be read but not added to."""
        out = cls.__new__(cls)
        bits = table.shape[0].bit_length() - 1
        out._gen = _Generation(table, table[:, 0].view(np.uint64), table[:, 1], np.uint64(64 - bits))
        out.size = size
        return out

    @property
    def arrays(self) -> tuple[np.ndarray, np.uint64]:
        """(table, shift) of the current generation, for :func:`lookup` in compiled code."""
        gen = self._gen
        return gen.table, gen.shift

    def get_many(self, keys: np.ndarray) -> np.ndarray:
        """The value of each key (uint64 array), -1 where absent."""
        table, shift = self.arrays
        return _lookup_many(table, shift, keys)

    def put_many(self, keys: np.ndarray, values: np.ndarray) -> None:
        """Insert keys that are not in the table yet (uint64, distinct; key 0 is skipped)."""
        if not keys.all():
            keep = keys != 0
            keys, values = keys[keep], values[keep]
        values = values.astype(np.int64, copy=False)
        empty = not self.size
        self.size += keys.size
        gen = self._gen
        if empty or self.size > _MAX_LOAD * gen.keys.size:
            self._rebuild(_bits_for(self.size), keys, values)
            return
        keys, values = _fill_free(gen, keys, values)
        for i, (key, value) in enumerate(zip(keys.tolist(), values.tolist(), strict=True)):
            if not _insert_one(gen, key, value):
                self._rebuild(_bits_for(self.size) + 1, keys[i:], values[i:])
                return

    def _rebuild(self, bits: int, keys: np.ndarray, values: np.ndarray) -> None:
        """A new generation with everything in it, larger until every key finds a slot; swapped in at the end,
        so readers meanwhile see the old one whole."""
        old = self._gen
        used = old.keys != 0
        keys = np.concatenate((old.keys[used], keys))
        values = np.concatenate((old.values[used], values))
        while True:
            gen = _generation(bits)
            if _cuckoo_fill(gen, keys, values):
                self._gen = gen
                return
            bits += 1


def _generation(bits: int) -> _Generation:
    """Empty arrays for 2**bits slots: key 0, value -1."""
    table = np.zeros((1 << bits, 2), np.int64)
    table[:, 1] = -1
    return _Generation(table, table[:, 0].view(np.uint64), table[:, 1], np.uint64(64 - bits))


@njit(inline="always")
def lookup(table: np.ndarray, shift: np.uint64, key: np.uint64) -> int:
    """The value of ``key`` in a table's arrays (see :attr:`IntTable.arrays`), -1 if absent. Compiled."""
    wanted = np.int64(key)
    slot = np.int64((key * _M0) >> shift)
    if table[slot, 0] == wanted:
        return table[slot, 1]
    slot = np.int64((key * _M1) >> shift)
    if table[slot, 0] == wanted:
        return table[slot, 1]
    return -1


@njit
def _lookup_many(table: np.ndarray, shift: np.uint64, keys: np.ndarray) -> np.ndarray:
    out = np.empty(keys.size, np.int64)
    for i in range(keys.size):
        out[i] = lookup(table, shift, keys[i])
    return out


def _slots(keys: np.ndarray, choice: int, shift: np.uint64) -> np.ndarray:
    """Slot of each key for one of its two choices."""
    return ((keys * _MULT[choice]) >> shift).view(np.int64)


def _fill_free(gen: _Generation, keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Put keys into free slots (one of their two), vectorised; returns those whose both slots are taken.

    Safe while others read: it only writes slots that were empty, value before key."""
    table_keys, table_values = gen.keys, gen.values
    while keys.size:
        first, second = _slots(keys, 0, gen.shift), _slots(keys, 1, gen.shift)
        target = np.where(table_keys[first] == 0, first, second)
        free = np.flatnonzero(table_keys[target] == 0)
        if not free.size:
            break
        _, first_wanting = np.unique(target[free], return_index=True)
        winner = free[first_wanting]
        at = target[winner]
        table_values[at] = values[winner]
        table_keys[at] = keys[winner]
        rest = np.ones(keys.size, bool)
        rest[winner] = False
        keys, values = keys[rest], values[rest]
    return keys, values


def _insert_one(gen: _Generation, key: int, value: int) -> bool:
    """Cuckoo insertion that never hides a key from a reader: find a path of moves that ends at a free slot,
    then make the moves from its far end, each copying a key to its other slot before the one behind overwrites
    it. False if no path of ``_MAX_PATH`` moves exists (the caller rebuilds larger).

    Scalar Python arithmetic: numpy costs a microsecond per call on single values."""
    table_keys, table_values = gen.keys, gen.values
    shift = int(gen.shift)
    multipliers = [int(m) for m in _MULT]

    def slots(k: int) -> tuple[int, int]:
        return ((k * multipliers[0]) & _U64) >> shift, ((k * multipliers[1]) & _U64) >> shift

    best: list[int] | None = None
    for start in slots(key):
        path = [start]
        occupant = int(table_keys[start])
        while occupant and len(path) <= _MAX_PATH:
            first, second = slots(occupant)
            path.append(second if first == path[-1] else first)
            occupant = int(table_keys[path[-1]])
        if not occupant and (best is None or len(path) < len(best)):
            best = path
    if best is None:
        return False
    for to, frm in zip(best[:0:-1], best[-2::-1], strict=True):
        table_values[to] = table_values[frm]
        table_keys[to] = table_keys[frm]
    table_values[best[0]] = value
    table_keys[best[0]] = key
    return True


def _cuckoo_fill(gen: _Generation, keys: np.ndarray, values: np.ndarray) -> bool:
    """Vectorised cuckoo insertion into arrays nobody reads yet. Each round every pending key goes to a free one
    of its two slots, or else evicts the key in one of them; of keys wanting the same slot one wins; the losers
    and the evicted are pending next round. False if it does not settle."""
    table_keys, table_values, shift = gen.keys, gen.values, gen.shift
    first, second = _slots(keys, 0, shift), _slots(keys, 1, shift)
    evict_second = np.zeros(keys.size, bool)
    for _ in range(_MAX_ROUNDS):
        if not keys.size:
            return True
        free_first = table_keys[first] == 0
        free_second = table_keys[second] == 0
        target = np.where(free_first, first, np.where(free_second | evict_second, second, first))
        _, winner = np.unique(target, return_index=True)
        at = target[winner]
        out_keys, out_values = table_keys[at], table_values[at]
        table_values[at] = values[winner]
        table_keys[at] = keys[winner]
        lost = np.ones(keys.size, bool)
        lost[winner] = False
        out = out_keys != 0
        out_keys, out_values, at = out_keys[out], out_values[out], at[out]
        out_first, out_second = _slots(out_keys, 0, shift), _slots(out_keys, 1, shift)
        keys = np.concatenate((keys[lost], out_keys))
        values = np.concatenate((values[lost], out_values))
        # A loser evicts from its other slot next time; an evicted key goes to the slot it was not in.
        evict_second = np.concatenate((~evict_second[lost], out_first == at))
        first = np.concatenate((first[lost], out_first))
        second = np.concatenate((second[lost], out_second))
    return False


def _bits_for(count: int) -> int:
    return max(_MIN_BITS, int(count / _MAX_LOAD).bit_length())
