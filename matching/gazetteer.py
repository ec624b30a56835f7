"""The gazetteer: places, their names, and the regions they belong to.

Loaded once per process from ``matching/data/gazetteer.json.gz`` (built by ``scripts/build_gazetteer.py`` from
GeoNames data, CC BY 4.0). Besides lookups it owns one Aho-Corasick automaton over every place name, used by
:mod:`matching.places` to find places in an article in one pass.
"""

from __future__ import annotations

import gzip
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import ahocorasick_rs

from matching.normalize import normalize
from matching.regions import COUNTRY_NAMES, GROUPS, Group

DATA_FILE = Path(__file__).resolve().parent / "data" / "gazetteer.json.gz"

# Countries whose place names take Slavic case endings in their own press (Zvečan -> Zvečanu, Leposavić ->
# Leposavići). Endings are those of Serbo-Croatian, Slovene, Bulgarian, Macedonian, Polish, Czech, Slovak,
# Russian, Ukrainian and Belarusian locative, genitive, dative and instrumental, folded like everything else.
SLAVIC_COUNTRIES = frozenset(
    ["RS", "XK", "BA", "HR", "ME", "MK", "SI", "BG", "UA", "RU", "BY", "PL", "CZ", "SK"]
)
SLAVIC_ENDINGS = frozenset(
    [
        "a",
        "e",
        "i",
        "u",
        "o",
        "om",
        "em",
        "ima",
        "ama",
        "oj",
        "ie",
        "y",
        "ach",
        "ow",
        "iu",
        "ю",
        "у",
        "а",
        "е",
        "и",
        "ом",
        "ем",
        "ой",
        "ами",
        "ах",
        "ы",
        "я",
        "і",
    ]
)
MIN_STEM = 5  # letters of a name before an ending may be added: "Zvecan|u" yes, "Nis|u" no
_VOWELS = frozenset("aeiouyаеиоуыэюяіє")

KIND_RANK = {"group": 0, "country": 1, "area": 2, "state": 2, "capital": 3, "city": 4}


@dataclass(frozen=True, slots=True)
class Place:
    """One place. ``country`` is an ISO code ("" for groups); ``admin1`` a US state code for US places."""

    name: str
    country: str
    population: int
    kind: str  # group | country | area | state | capital | city
    admin1: str

    @property
    def rank(self) -> int:
        return KIND_RANK[self.kind]


@dataclass(frozen=True, slots=True)
class Region:
    """Something a ``region:`` subscription can name: a country, a US state or a group of countries."""

    key: str  # "XK", "US-CA", "western balkans"
    title: str
    kind: str  # country | state | group


class Gazetteer:
    """Places, aliases and region names, with the place-name automaton."""

    def __init__(self, data: dict) -> None:
        self.attribution: str = data["attribution"]
        self.places: list[Place] = [Place(*row) for row in data["places"]]
        aliases: dict[str, list[int]] = {k: list(v) for k, v in data["aliases"].items()}
        self.common: frozenset[str] = frozenset(data["common"])
        self.abbreviations: dict[str, int] = dict(data["abbreviations"])
        self.country_index: dict[str, int] = {
            p.country: i for i, p in enumerate(self.places) if p.kind == "country"
        }
        self.groups: dict[str, Group] = {g.key: g for g in GROUPS}
        for g in GROUPS:
            idx = len(self.places)
            self.places.append(Place(g.title, "", 0, "group", g.key))
            for name in (g.key, *g.aliases):
                aliases.setdefault(normalize(name), []).insert(0, idx)
        for name, cc in COUNTRY_NAMES.items():
            if len(name) > 3:
                lst = aliases.setdefault(name, [])
                if self.country_index[cc] not in lst:
                    lst.insert(0, self.country_index[cc])
        self.abbreviation_aliases = frozenset(self.abbreviations)
        for abbr, idx in self.abbreviations.items():
            aliases.setdefault(abbr, []).insert(0, idx)
        self.aliases: dict[str, tuple[int, ...]] = {k: tuple(v) for k, v in aliases.items()}
        # Names that may be written in capitals without being read as an acronym: countries, areas, groups.
        self.aliases_upper_ok = frozenset(
            a
            for a, idxs in self.aliases.items()
            if any(self.places[i].kind not in ("city", "capital") for i in idxs)
        )
        self.groups_of: dict[str, tuple[str, ...]] = {}
        for g in GROUPS:
            for cc in g.countries:
                self.groups_of[cc] = (*self.groups_of.get(cc, ()), g.key)
        self._by_country: dict[str, list[int]] = {}
        for i, p in enumerate(self.places):
            if p.kind in ("city", "capital", "area"):
                self._by_country.setdefault(p.country, []).append(i)
        for lst in self._by_country.values():
            lst.sort(key=lambda i: (self.places[i].kind != "capital", -self.places[i].population))
        self.regions: dict[str, Region] = {}
        self.region_names: dict[str, str] = {}
        self.explicit_only_names: dict[str, str] = {}
        self._index_regions()
        self._build_automaton()

    def _index_regions(self) -> None:
        for cc, idx in self.country_index.items():
            p = self.places[idx]
            self.regions[cc] = Region(cc, p.name, "country")
            self.region_names.setdefault(normalize(p.name), cc)
            self.region_names.setdefault(cc.lower(), cc)
        for name, cc in COUNTRY_NAMES.items():
            self.region_names.setdefault(name, cc)
        for g in GROUPS:
            self.regions[g.key] = Region(g.key, g.title, "group")
            for name in (g.key, *g.aliases):
                self.region_names[normalize(name)] = g.key
        for p in self.places:
            if p.kind == "state":
                key = f"US-{p.admin1}"
                self.regions[key] = Region(key, f"{p.name} (US state)", "state")
                self.explicit_only_names[normalize(p.name)] = key
                self.explicit_only_names[key.lower().replace("-", " ")] = key

    def _build_automaton(self) -> None:
        """One pattern per alias, " " + alias, plus stems of Slavic names that end in a vowel ("kosov")."""
        patterns: dict[str, tuple[tuple[int, ...], tuple[int, ...]]] = {}
        for alias, idxs in self.aliases.items():
            exact, stems = patterns.get(alias, ((), ()))
            patterns[alias] = (idxs, stems)
            slavic = tuple(i for i in idxs if self.places[i].country in SLAVIC_COUNTRIES)
            if slavic and " " not in alias and len(alias) > MIN_STEM and alias[-1] in _VOWELS:
                stem = alias[:-1]
                ex, st = patterns.get(stem, ((), ()))
                patterns[stem] = (ex, st + slavic)
        self.pattern_names: list[str] = list(patterns)
        self.pattern_exact: list[tuple[int, ...]] = [patterns[k][0] for k in self.pattern_names]
        self.pattern_stems: list[tuple[int, ...]] = [
            patterns[k][1] + tuple(i for i in patterns[k][0] if self.places[i].country in SLAVIC_COUNTRIES)
            if " " not in k and len(k) >= MIN_STEM and k[-1] not in _VOWELS
            else patterns[k][1]
            for k in self.pattern_names
        ]
        self.pattern_multiword: list[bool] = [" " in k for k in self.pattern_names]
        self.automaton = ahocorasick_rs.AhoCorasick(
            [" " + k for k in self.pattern_names],
            matchkind=ahocorasick_rs.MatchKind.LeftmostLongest,
            implementation=ahocorasick_rs.Implementation.ContiguousNFA,
        )

    # -- lookups -------------------------------------------------------------------------------------------

    def region_for(self, name: str, *, explicit: bool) -> Region | None:
        """The region a user's name means. US states only when asked for with ``region:`` (Georgia is a country)."""
        norm = normalize(name)
        key = self.region_names.get(norm)
        if key is None and explicit:
            key = self.explicit_only_names.get(norm)
            if key is None and len(norm) == 2:
                key = self.region_names.get(norm)
        return self.regions.get(key) if key else None

    def region_choices(self) -> list[str]:
        """Every name a ``region:`` accepts, for suggestions."""
        return sorted({*self.region_names, *self.explicit_only_names})

    def canonical_region_name(self, key: str) -> str:
        """The name a canonical query uses for a region: normalised English name ("kosovo", "western balkans")."""
        region = self.regions[key]
        if region.kind == "group":
            return key
        if region.kind == "state":
            return normalize(region.title.removesuffix(" (US state)"))
        return normalize(region.title)

    def places_in(self, key: str) -> list[Place]:
        """Places that count for a country or US state, capital first, then by population."""
        if key.startswith("US-"):
            return [
                self.places[i] for i in self._by_country.get("US", []) if self.places[i].admin1 == key[3:]
            ]
        return [self.places[i] for i in self._by_country.get(key, [])]

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
    """The process-wide gazetteer (about two seconds to load the first time)."""
    with gzip.open(DATA_FILE, "rb") as fh:
        return Gazetteer(json.loads(fh.read()))
