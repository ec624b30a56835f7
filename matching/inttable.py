"""A hash table from 64-bit keys to ids, held in two numpy arrays so that many keys are looked up at once.

Why not a dict: an article asks for ~600 words at a time, and in a dict of a million entries each lookup is three
dependent cache misses paid one after another by the interpreter (~240 ns a word, measured: more than the whole
keyword pass may cost). Here the lookups of a whole article are a few vectorised gathers, whose misses the CPU
overlaps.

Cuckoo hashing: a key sits in one of two slots, so a lookup is exactly two gathers, with no probe loop whose
longest chain would set the time (numpy pays ~1 µs per operation, however few keys are left). The table is kept
at most 40% full, where two choices nearly always find room; when an insertion still fails the table is rebuilt
twice as large. Key 0 marks an empty slot, whose value is -1: key 0 is never stored, and asking for it (what a
token that is no word gets) always misses. Writers run on one thread at a time (the callers hold a lock);
readers need no lock: a slot's value is written before its key, and a rebuild swaps in new arrays whole.
"""

from __future__ import annotations

import numpy as np

_MULT = (np.uint64(0x9E3779B97F4A7C15), np.uint64(0xC2B2AE3D27D4EB4F))  # one multiplier per choice
_U64 = (1 << 64) - 1
_MIN_BITS = 10
_MAX_LOAD = 0.4
_MAX_ROUNDS = 500  # rounds of a vectorised fill before the table is rebuilt larger
_MAX_PATH = 64  # moves one insertion may make


class IntTable:
    """uint64 key -> int64 value (>= 0); missing keys read as -1."""

    __slots__ = ("_keys", "_values", "_shift", "size")

    def __init__(self, capacity: int = 0) -> None:
        self._allocate(_bits_for(capacity))
        self.size = 0

    def _allocate(self, bits: int) -> None:
        self._keys = np.zeros(1 << bits, np.uint64)
        self._values = np.full(1 << bits, -1, np.int64)
        self._shift = np.uint64(64 - bits)

    def _slot(self, keys: np.ndarray, choice: int) -> np.ndarray:
        return _slots(keys, choice, self._shift)

    def get_many(self, keys: np.ndarray) -> np.ndarray:
        """The value of each key (uint64 array), -1 where absent."""
        table_keys, values, shift = self._keys, self._values, self._shift  # one consistent generation
        first = _slots(keys, 0, shift)
        slot = np.where(table_keys.take(first) == keys, first, _slots(keys, 1, shift))
        out = values.take(slot)
        out[table_keys.take(slot) != keys] = -1
        return out

    def put_many(self, keys: np.ndarray, values: np.ndarray) -> None:
        """Insert keys that are not in the table yet (uint64, distinct; key 0 is skipped)."""
        if not keys.all():
            keep = keys != 0
            keys, values = keys[keep], values[keep]
        values = values.astype(np.int64, copy=False)
        empty = not self.size
        self.size += keys.size
        if empty or self.size > _MAX_LOAD * self._keys.size:
            self._rebuild(_bits_for(self.size), keys, values)
            return
        keys, values = self._fill_free(keys, values)
        for key, value in zip(keys.tolist(), values.tolist(), strict=True):
            if not self._insert_one(key, value):
                self._rebuild(
                    _bits_for(self.size) + 1, np.array([key], np.uint64), np.array([value], np.int64)
                )

    def _fill_free(self, keys: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Put keys into free slots (one of their two), vectorised; returns those whose both slots are taken.

        Safe while others read: it only writes slots that were empty, value before key."""
        table_keys, table_values = self._keys, self._values
        while keys.size:
            first, second = self._slot(keys, 0), self._slot(keys, 1)
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

    def _insert_one(self, key: int, value: int) -> bool:
        """Cuckoo insertion that never hides a key from a reader: find a path of moves that ends at a free
        slot, then make the moves from its far end, each copying a key to its other slot before the one behind
        overwrites it. False if no path of ``_MAX_PATH`` moves exists (the caller rebuilds larger).

        Scalar Python arithmetic: numpy costs a microsecond per call on single values."""
        table_keys, table_values = self._keys, self._values
        shift = int(self._shift)
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

    def _rebuild(self, bits: int, keys: np.ndarray, values: np.ndarray) -> None:
        """New arrays with everything in them, larger until every key finds a slot; swapped in at the end, so
        readers meanwhile see the old arrays whole."""
        used = self._keys != 0
        keys = np.concatenate((self._keys[used], keys))
        values = np.concatenate((self._values[used], values))
        while True:
            table_keys = np.zeros(1 << bits, np.uint64)
            table_values = np.full(1 << bits, -1, np.int64)
            shift = np.uint64(64 - bits)
            if _cuckoo_fill(table_keys, table_values, shift, keys, values):
                self._keys, self._values, self._shift = table_keys, table_values, shift
                return
            bits += 1


def _cuckoo_fill(
    table_keys: np.ndarray, table_values: np.ndarray, shift: np.uint64, keys: np.ndarray, values: np.ndarray
) -> bool:
    """Vectorised cuckoo insertion into arrays nobody reads yet. Each round every pending key goes to a free one
    of its two slots, or else evicts the key in one of them; of keys wanting the same slot one wins; the losers
    and the evicted are pending next round. False if it does not settle."""
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


def _slots(keys: np.ndarray, choice: int, shift: np.uint64) -> np.ndarray:
    """Slot of each key for one of its two choices: the top bits of key * multiplier (Fibonacci hashing)."""
    return ((keys * _MULT[choice]) >> shift).view(np.int64)


def _bits_for(count: int) -> int:
    return max(_MIN_BITS, int(count / _MAX_LOAD).bit_length())
