"""Small array helpers the matcher's structures share: a growable column, and CSR arrays (one offsets array and
one values array: row r's values are ``values[ptr[r]:ptr[r + 1]]``), which hold a million subscriptions' postings
in a few flat arrays instead of millions of Python lists."""

from __future__ import annotations

from itertools import chain

import numpy as np

I64 = np.int64
NONE = np.empty(0, I64)


class Column:
    """A growable numpy array: appends double its room when full. A reader that took :meth:`view` keeps valid
    data for what was there, while a writer appends."""

    __slots__ = ("_data", "size")

    def __init__(self, dtype: type) -> None:
        self._data: np.ndarray = np.zeros(1024, dtype)
        self.size = 0

    def __len__(self) -> int:
        return self.size

    def extend(self, values: np.ndarray) -> None:
        end = self.size + values.size
        if end > self._data.size:
            bigger = np.zeros(max(2 * self._data.size, end), self._data.dtype)
            bigger[: self.size] = self._data[: self.size]
            self._data = bigger
        self._data[self.size : end] = values
        self.size = end

    def append(self, value: int) -> None:
        if self.size == self._data.size:
            bigger = np.zeros(2 * self._data.size, self._data.dtype)
            bigger[: self.size] = self._data
            self._data = bigger
        self._data[self.size] = value
        self.size += 1

    def view(self) -> np.ndarray:
        return self._data[: self.size]


def csr(rows: np.ndarray, values: np.ndarray, nrows: int) -> tuple[np.ndarray, np.ndarray]:
    """CSR arrays (offsets, values) from parallel arrays of rows and values."""
    order = np.argsort(rows, kind="stable")
    ptr = np.zeros(nrows + 1, I64)
    np.cumsum(np.bincount(rows, minlength=nrows), out=ptr[1:])
    return ptr, values[order]


def expand(ptr: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The (row, value) pairs of CSR arrays."""
    return np.repeat(np.arange(len(ptr) - 1, dtype=I64), np.diff(ptr)), values


def flatten(lists: dict[int, list[int]]) -> tuple[np.ndarray, np.ndarray]:
    """The (key, value) pairs of a dict of lists."""
    n = len(lists)
    keys = np.fromiter(lists.keys(), I64, n)
    lengths = np.fromiter(map(len, lists.values()), I64, n)
    values = np.fromiter(chain.from_iterable(lists.values()), I64, int(lengths.sum()))
    return np.repeat(keys, lengths), values
