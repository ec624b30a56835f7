"""The gazetteer's places and names as arrays, for the compiled place rules (:mod:`matching.place_rules`).

The rules run once per place name an article writes (a dozen names, hundreds of times a second), and in Python
they cost ~10 µs a name, mostly in reading attributes. Here every place is a row of numbers (country, kind,
population, state), region keys are numbers, and what a name pattern can mean is a row too: filled the first
time the pattern is met, because parsing the candidate lists of all 377,000 patterns at load would cost more
than a running bot ever needs (it meets a few thousand).
"""

from __future__ import annotations

import threading

import numpy as np

from matching.gazetteer import KIND_RANK, Gazetteer
from matching.gazetteer_store import KINDS
from matching.jit import njit

# Kinds of place as numbers (as the gazetteer's arrays hold them); RANKS[kind] orders them as KIND_RANK does.
GROUP, COUNTRY, AREA, STATE, CAPITAL, CITY = range(len(KINDS))
RANKS = np.array([KIND_RANK[k] for k in KINDS], np.int64)
MAX_ADMINS = 128  # first-level divisions kept (US states): the rules keep a flag per division


class PlaceArrays:
    """Every place's country, kind, population and first-level division as arrays (row = index in
    ``gaz.places``), and the region keys each place counts for, as ids into :attr:`region_keys`."""

    def __init__(self, gaz: Gazetteer) -> None:
        a = gaz.arrays
        codes, admins = gaz.country_codes, gaz.admin_codes
        if len(admins) > MAX_ADMINS:
            raise RuntimeError(f"{len(admins)} first-level divisions; the place rules keep {MAX_ADMINS}")
        self.country = np.asarray(a["place_country"])
        self.kind = np.asarray(a["place_kind"])
        self.population = np.asarray(a["place_population"])
        self.admin1 = np.asarray(a["place_admin1"])
        self.countries = len(codes)
        self.us = codes.index("US") if "US" in codes else -1
        self.region_keys: list[str] = list(gaz.regions)
        region_id = {k: i for i, k in enumerate(self.region_keys)}

        def rid(key: str) -> int:
            if key not in region_id:  # a code without a region of its own: kept, the matcher ignores it
                region_id[key] = len(self.region_keys)
                self.region_keys.append(key)
            return region_id[key]

        # A place counts for its country and the country's groups (country_regions), and besides for its
        # own region: its US state, or the group a group place is (own_region; -1 for none). A group place's
        # admin1 is its group's key.
        group_admins = np.unique(self.admin1[self.kind == GROUP]).tolist()
        admin_region = np.full(len(admins), -1, np.int64)
        for i, code in enumerate(admins):
            if i in group_admins:
                admin_region[i] = rid(code)
            elif code:
                admin_region[i] = rid(f"US-{code}")
        counted = (self.kind == GROUP) | ((self.country == self.us) & (self.admin1 != admins.index("")))
        self.own_region = np.where(counted, admin_region[self.admin1], -1)
        rows = [[rid(code), *map(rid, gaz.groups_of.get(code, ()))] if code else [] for code in codes]
        self.country_ptr = np.zeros(len(codes) + 1, np.int64)
        np.cumsum([len(r) for r in rows], out=self.country_ptr[1:])
        self.country_val = np.array([r for row in rows for r in row], np.int64)

    def rule_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, int, int]:
        """What :func:`~matching.place_rules.read_places` reads of places."""
        return self.country, self.kind, self.population, self.admin1, self.countries, self.us

    def regions_of(self, places: np.ndarray) -> np.ndarray:
        """The distinct region ids (into :attr:`region_keys`) that ``places`` count for."""
        return _regions_of(
            places, self.own_region, self.country, self.country_ptr, self.country_val, len(self.region_keys)
        )


class NameFacts:
    """What each name pattern of the gazetteer can mean, as arrays indexed by pattern.

    A pattern's row is filled by :meth:`learn` the first time it is met. Rows are only ever added, and a row's
    ``ready`` bit is set last, so a reader on another thread that sees it set sees the whole row; the
    candidate ``pool`` may be replaced by a larger copy, so read the attribute after :meth:`learn`.
    """

    def __init__(self, gaz: Gazetteer, places: PlaceArrays, personish: frozenset[str]) -> None:
        self._gaz = gaz
        self._places = places
        self._personish = personish
        n = gaz.pattern_count
        self.flags = gaz.pattern_flags
        self.ready = np.zeros(n, bool)
        self.valid = np.zeros(n, bool)  # names a place at all
        self.best = np.zeros(n, np.int64)  # the largest kind of area, then the most populous
        self.alias = np.zeros(n, np.int64)  # id of its words: an exact name and a stem may write the same
        self.region_name = np.zeros(n, bool)  # the name of a country or group (a user may subscribe to it)
        self.personish = np.zeros(n, bool)  # a country name that is also a given name ("Jordan")
        self.short = np.zeros(n, bool)  # under five letters: never enough on its own
        self.brief = np.zeros(
            n, bool
        )  # five letters or fewer: first in a sentence, as likely a word ("Along")
        self.cand_start = np.zeros(n, np.int64)  # its candidate places: pool[start : start + len]
        self.cand_len = np.zeros(n, np.int64)
        self.pool = np.empty(4096, np.int64)
        self._pool_size = 0
        self._alias_ids: dict[str, int] = {}
        self._lock = threading.Lock()

    def arrays(self) -> tuple[np.ndarray, ...]:
        """What :func:`~matching.place_rules.read_places` reads of names (after :meth:`learn`)."""
        return (
            self.flags, self.valid, self.best, self.alias, self.region_name, self.personish, self.short,
            self.cand_start, self.cand_len, self.pool, self.brief,
        )  # fmt: skip

    def learn(self, patterns: np.ndarray) -> None:
        """Fill the rows of ``patterns`` not met before (after a bot's first articles, almost never)."""
        if self.ready[patterns].all():
            return
        with self._lock:
            for pattern in np.unique(patterns).tolist():
                if not self.ready[pattern]:
                    self._learn(pattern)

    def _learn(self, pattern: int) -> None:
        gaz = self._gaz
        text = gaz.pattern_name(pattern)
        exact = text.endswith(" ")
        found = gaz.exact_places(pattern) if exact else gaz.stem_places(pattern)
        if found:
            alias = text.strip().replace("  ", " ")
            arrays = self._places
            ranks = RANKS[arrays.kind[found]]
            best = min(range(len(found)), key=lambda i: (ranks[i], -arrays.population[found[i]]))
            self.best[pattern] = found[best]
            self.alias[pattern] = self._alias_ids.setdefault(alias, len(self._alias_ids))
            self.region_name[pattern] = alias in gaz.region_names
            self.personish[pattern] = alias in self._personish
            self.short[pattern] = len(alias) < 5
            self.brief[pattern] = len(alias) <= 5
            self.cand_start[pattern] = self._store(found)
            self.cand_len[pattern] = len(found)
            self.valid[pattern] = True
        self.ready[pattern] = True

    def _store(self, places: list[int]) -> int:
        """Append to the pool (a larger copy when full); where they start."""
        start, end = self._pool_size, self._pool_size + len(places)
        if end > self.pool.size:
            bigger = np.empty(max(2 * self.pool.size, end), np.int64)
            bigger[:start] = self.pool[:start]
            self.pool = bigger
        self.pool[start:end] = places
        self._pool_size = end
        return start


@njit
def _regions_of(
    places: np.ndarray,
    own_region: np.ndarray,
    country: np.ndarray,
    country_ptr: np.ndarray,
    country_val: np.ndarray,
    regions: int,
) -> np.ndarray:
    """The distinct region ids ``places`` count for: each one's own region and its country's. Compiled."""
    seen = np.zeros(regions, np.bool_)
    for p in places:
        if own_region[p] >= 0:
            seen[own_region[p]] = True
        c = country[p]
        for i in range(country_ptr[c], country_ptr[c + 1]):
            seen[country_val[i]] = True
    return np.flatnonzero(seen)
