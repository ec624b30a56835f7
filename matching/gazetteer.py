"""The gazetteer: places, their names, and the regions they belong to.

Loaded once per process from ``matching/data/gazetteer.json.gz`` (built by ``scripts/build_gazetteer.py`` from
GeoNames data, CC BY 4.0). Besides lookups it owns a word trie (:mod:`matching.trie`) over every place name, used
by :mod:`matching.places` to find places in an article in one pass. Slavic case endings are spelt out in it: each
stem pattern ("zvecan") gets a node for every allowed ending of its script ("zvecanu", "zvecana"...), so endings
cost nothing at match time.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from functools import cache, cached_property
from pathlib import Path
from typing import overload

import numpy as np

from matching.gazetteer_store import KINDS, all_texts, open_tables, text_at
from matching.inttable import IntTable
from matching.normalize import normalize
from matching.regions import COUNTRY_NAMES, GROUPS, Group
from matching.slavic import MIN_STEM, SLAVIC_COUNTRIES, SLAVIC_ENDINGS, VOWELS
from matching.trie import WordTrie

__all__ = ["MIN_STEM", "SLAVIC_COUNTRIES", "SLAVIC_ENDINGS", "VOWELS", "Gazetteer", "Place", "Region", "load"]

DATA_FILE = Path(__file__).resolve().parent / "data" / "gazetteer.json.gz"

# Pattern flags (precomputed by scripts/build_gazetteer.py).
FLAG_COMMON = 1  # also an ordinary word: believed only mid-sentence and outside Title Case headlines
FLAG_UPPER_OK = 2  # may be written in capitals (a country, not an acronym that happens to be a town)
FLAG_ABBREVIATION = 4  # US, UK, UAE: only in capitals
FLAG_STATE_ABBREVIATION = 8  # Calif., Ky., N.Y.: a US state only right after "Town,"

KIND_RANK = {"group": 0, "country": 1, "area": 2, "state": 2, "capital": 3, "city": 4}


def groups_signature() -> str:
    """Fingerprint of the region groups the data file was built with (groups are code, places are data)."""
    text = "|".join(f"{g.key}:{','.join(g.aliases)}" for g in GROUPS)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


@dataclass(frozen=True, slots=True)
class Place:
    """One place. ``country`` is an ISO code ("" for groups); ``admin1`` a US state code for US places."""

    name: str
    country: str
    population: int
    kind: str  # group | country | area | state | capital | city
    admin1: str


@dataclass(frozen=True, slots=True)
class Region:
    """Something a ``region:`` subscription can name: a country, a US state or a group of countries."""

    key: str  # "XK", "US-CA", "western balkans"
    title: str
    kind: str  # country | state | group


class PlaceList(Sequence["Place"]):
    """The gazetteer's places, made from its arrays when asked for (a list of 150,000 objects took half a
    second to make at every start)."""

    def __init__(self, arrays: dict[str, np.ndarray], countries: list[str], admins: list[str]) -> None:
        self._a = arrays
        self._countries = countries
        self._admins = admins

    def __len__(self) -> int:
        return int(self._a["place_kind"].size)

    @overload
    def __getitem__(self, i: int) -> Place: ...
    @overload
    def __getitem__(self, i: slice) -> list[Place]: ...
    def __getitem__(self, i: int | slice) -> Place | list[Place]:
        if isinstance(i, slice):
            return [self[j] for j in range(*i.indices(len(self)))]
        a = self._a
        if not -len(self) <= i < len(self):
            raise IndexError(i)
        i %= len(self)
        return Place(
            text_at(a["place_names"], a["place_names_at"], i),
            self._countries[a["place_country"][i]],
            int(a["place_population"][i]),
            KINDS[a["place_kind"][i]],
            self._admins[a["place_admin1"][i]],
        )

    def __iter__(self) -> Iterator[Place]:
        return (self[i] for i in range(len(self)))


class Gazetteer:
    """Places, their names as patterns (" word  word " for a whole name, " stem" for a Slavic stem), and region
    names. ``names`` finds patterns in tokenised text; ``pattern_of_node`` maps what it finds to patterns.

    Made from the tables of :mod:`matching.gazetteer_store` (memory-mapped arrays): places and patterns are
    read from them when asked for, so opening costs milliseconds."""

    def __init__(self, arrays: dict[str, np.ndarray], meta: dict) -> None:
        self.arrays = arrays
        self.attribution: str = meta["attribution"]
        self.country_codes: list[str] = meta["countries"]
        self.admin_codes: list[str] = meta["admins"]
        self.places = PlaceList(arrays, self.country_codes, self.admin_codes)
        self.pattern_count = int(arrays["patterns_at"].size - 1)
        self.pattern_flags: np.ndarray = arrays["pattern_flags"]  # FLAG_* bits per pattern
        kind = arrays["place_kind"]
        self.country_index: dict[str, int] = {
            self.country_codes[arrays["place_country"][i]]: int(i)
            for i in np.flatnonzero(kind == KINDS.index("country")).tolist()
        }
        self.groups: dict[str, Group] = {g.key: g for g in GROUPS}
        self.groups_of: dict[str, tuple[str, ...]] = {}
        for g in GROUPS:
            for cc in g.countries:
                self.groups_of[cc] = (*self.groups_of.get(cc, ()), g.key)
        self.regions: dict[str, Region] = {}
        self.region_names: dict[str, str] = {}
        self.explicit_only_names: dict[str, str] = {}
        self._index_regions()
        self._canonical_names = {
            key: key.lower() if r.kind == "state" else key if r.kind == "group" else normalize(r.title)
            for key, r in self.regions.items()
        }
        words_size, links_size = meta["trie_sizes"]
        self.names = WordTrie.from_tables(
            IntTable.from_table(np.asarray(arrays["trie_words"]), words_size),
            IntTable.from_table(np.asarray(arrays["trie_links"]), links_size),
        )
        self.pattern_of_node: np.ndarray = np.asarray(arrays["pattern_of_node"])

    @cached_property
    def pattern_names(self) -> list[str]:
        """Every pattern's text (decoded on first use: matching needs only :meth:`pattern_name`)."""
        return all_texts(self.arrays["patterns"], self.arrays["patterns_at"])

    def pattern_name(self, pattern: int) -> str:
        """One pattern's text: " name " or " stem"."""
        return text_at(self.arrays["patterns"], self.arrays["patterns_at"], pattern)

    def _index_regions(self) -> None:
        for cc, idx in self.country_index.items():
            p = self.places[idx]
            self.regions[cc] = Region(cc, p.name, "country")
            self.region_names.setdefault(normalize(p.name), cc)
            self.explicit_only_names.setdefault(cc.lower(), cc)  # region:xk, but a bare "ai" is a keyword
        for name, cc in COUNTRY_NAMES.items():
            self.region_names.setdefault(name, cc)
        for g in GROUPS:
            self.regions[g.key] = Region(g.key, g.title, "group")
            for name in (g.key, *g.aliases):
                self.region_names[normalize(name)] = g.key
        for i in np.flatnonzero(self.arrays["place_kind"] == KINDS.index("state")).tolist():
            p = self.places[i]
            key = f"US-{p.admin1}"
            self.regions[key] = Region(key, f"{p.name} (US state)", "state")
            self.explicit_only_names[normalize(p.name)] = key
            self.explicit_only_names[key.lower().replace("-", " ")] = key

    def exact_places(self, pattern: int) -> list[int]:
        """Places a whole-word pattern names."""
        at = self.arrays["exact_at"]
        return self.arrays["exact"][at[pattern] : at[pattern + 1]].tolist()

    def stem_places(self, pattern: int) -> list[int]:
        """Places whose Slavic stem a stem pattern is."""
        at = self.arrays["stems_at"]
        return self.arrays["stems"][at[pattern] : at[pattern + 1]].tolist()

    # -- lookups -------------------------------------------------------------------------------------------

    def region_for(self, name: str, *, explicit: bool) -> Region | None:
        """The region a user's name means. US states only when asked for with ``region:`` (Georgia is a country)."""
        norm = normalize(name)
        key = self.region_names.get(norm)
        if key is None and explicit:
            key = self.explicit_only_names.get(norm)
        return self.regions.get(key) if key else None

    def region_choices(self) -> list[str]:
        """Every name a ``region:`` accepts, for suggestions (not the two-letter codes)."""
        return sorted(
            n
            for n in {*self.region_names, *self.explicit_only_names}
            if len(n) > 2 and not n.startswith("us ")
        )

    def canonical_region_name(self, key: str) -> str:
        """The name a canonical query uses for a region: the normalised English name ("kosovo", "western
        balkans"), or the code for US states ("us-ga": "georgia" is the country)."""
        return self._canonical_names[key]

    def places_in(self, key: str) -> list[Place]:
        """Places that count for a country or US state, capital first, then by population."""
        a = self.arrays
        code, state = ("US", key[3:]) if key.startswith("US-") else (key, None)
        if code not in self.country_codes:
            return []
        kind = a["place_kind"]
        mask = (a["place_country"] == self.country_codes.index(code)) & (
            (kind == KINDS.index("city")) | (kind == KINDS.index("capital")) | (kind == KINDS.index("area"))
        )
        if state is not None:
            mask &= a["place_admin1"] == (self.admin_codes.index(state) if state in self.admin_codes else -1)
        found = np.flatnonzero(mask)
        order = np.lexsort((-a["place_population"][found], kind[found] != KINDS.index("capital")))
        return [self.places[i] for i in found[order].tolist()]

    def region_keys_of(self, place: Place) -> tuple[str, ...]:
        """Region keys a place counts for: its country, its US state, and the groups of its country."""
        if place.kind == "group":
            return (place.admin1,)
        keys: tuple[str, ...] = (place.country, *self.groups_of.get(place.country, ()))
        if place.country == "US" and place.admin1:
            keys += (f"US-{place.admin1}",)
        return keys


@cache
def load() -> Gazetteer:
    """The process-wide gazetteer: its tables memory-mapped from the cache (built the first time, ~2 s)."""
    return Gazetteer(*open_tables(DATA_FILE, groups_signature()))
