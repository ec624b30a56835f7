"""The gazetteer: places, their names, and the regions they belong to.

Loaded once per process from ``matching/data/gazetteer.json.gz`` (built by ``scripts/build_gazetteer.py`` from
GeoNames data, CC BY 4.0). Besides lookups it owns a word trie (:mod:`matching.trie`) over every place name, used
by :mod:`matching.places` to find places in an article in one pass. Slavic case endings are spelt out in it: each
stem pattern ("zvecan") gets a node for every allowed ending of its script ("zvecanu", "zvecana"...), so endings
cost nothing at match time.
"""

from __future__ import annotations

import gzip
import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np

from matching.normalize import normalize
from matching.regions import COUNTRY_NAMES, GROUPS, Group
from matching.tokens import phrase_hashes, word_hashes
from matching.trie import WordTrie

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
VOWELS = frozenset("aeiouyаеиоуыэюяіє")

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


class Gazetteer:
    """Places, their names as patterns (" word  word " for a whole name, " stem" for a Slavic stem), and region
    names. ``names`` finds patterns in tokenised text; ``pattern_of_node`` maps what it finds to patterns."""

    def __init__(self, data: dict) -> None:
        if data.get("version") != 3 or data.get("groups") != groups_signature():
            raise RuntimeError(f"{DATA_FILE.name} is out of date: run scripts/build_gazetteer.py")
        self.attribution: str = data["attribution"]
        self.places: list[Place] = [_place(line) for line in data["places"].split("\n")]
        self.pattern_names: list[str] = data["patterns"].split("\n")
        self._exact: list[str] = data["exact"].split("\n")
        self._stems: list[str] = data["stems"].split("\n")
        # FLAG_* bits per pattern, stored as the characters "0" + bits
        self.pattern_flags = np.frombuffer(data["flags"].encode("ascii"), np.uint8) - np.uint8(ord("0"))
        self.country_index: dict[str, int] = {
            p.country: i for i, p in enumerate(self.places) if p.kind == "country"
        }
        self.groups: dict[str, Group] = {g.key: g for g in GROUPS}
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
        self._canonical_names = {
            key: key.lower() if r.kind == "state" else key if r.kind == "group" else normalize(r.title)
            for key, r in self.regions.items()
        }
        self.names, self.pattern_of_node = _name_trie(self.pattern_names)

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
        for p in self.places:
            if p.kind == "state":
                key = f"US-{p.admin1}"
                self.regions[key] = Region(key, f"{p.name} (US state)", "state")
                self.explicit_only_names[normalize(p.name)] = key
                self.explicit_only_names[key.lower().replace("-", " ")] = key

    def exact_places(self, pattern: int) -> list[int]:
        """Places a whole-word pattern names (parsed on demand: only capitalised hits get here)."""
        text = self._exact[pattern]
        return [int(i) for i in text.split(",")] if text else []

    def stem_places(self, pattern: int) -> list[int]:
        """Places whose Slavic stem a stem pattern is."""
        text = self._stems[pattern]
        return [int(i) for i in text.split(",")] if text else []

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


def _name_trie(patterns: list[str]) -> tuple[WordTrie, np.ndarray]:
    """The trie of every pattern, and the pattern each node completes (-1 for a node inside longer names).

    Built with array operations a word position at a time (a Python loop over the 400,000 names took seconds):
    the nodes of the names' first n words are the distinct (node of the first n - 1, n-th word) pairs. Slavic
    stems are spelt out with every ending of their script: "zvecan" gives the words "zvecanu", "zvecana"... A
    word that is a whole name keeps it; two stems that inflect to the same word give it to the longer stem, as a
    leftmost-longest automaton over the characters would.
    """
    exact = [i for i, p in enumerate(patterns) if p.endswith(" ")]
    name_words, lengths = phrase_hashes([patterns[i] for i in exact])
    first_word = np.zeros(len(exact) + 1, np.int64)
    np.cumsum(lengths, out=first_word[1:])
    # Words: the names' words and the stems' inflected forms, numbered by distinct hash; longest stems first.
    forms, form_stem = _inflections(patterns)
    hashes = np.concatenate((name_words, word_hashes(forms)))
    distinct, word_of = np.unique(hashes, return_inverse=True)
    nodes = distinct.size
    pattern_of = np.full(nodes, -1, np.int64)
    trie = WordTrie()
    trie.add_words(distinct, np.arange(nodes))
    # Nodes along each name, one word position at a time.
    node = word_of[first_word[:-1]]
    longer = np.arange(len(exact))
    for n in range(1, int(lengths.max())):
        longer = longer[lengths[longer] > n]
        keys = (node[longer] << 32) + word_of[first_word[longer] + n]
        steps, step_of = np.unique(keys, return_inverse=True)
        trie.add_links(steps >> 32, steps & 0xFFFFFFFF, np.arange(nodes, nodes + steps.size))
        node[longer] = nodes + step_of
        nodes += steps.size
    pattern_of = np.concatenate((pattern_of, np.full(nodes - pattern_of.size, -1, np.int64)))
    pattern_of[node] = exact
    # Inflected forms name their stem unless the word names a place itself (its own first form wins).
    form_word = word_of[first_word[-1] :]
    _, first_form = np.unique(form_word, return_index=True)
    form_word, form_stem = form_word[first_form], form_stem[first_form]
    free = pattern_of[form_word] < 0
    pattern_of[form_word[free]] = form_stem[free]
    return trie, pattern_of


def _inflections(patterns: list[str]) -> tuple[list[str], np.ndarray]:
    """Every stem pattern with every Slavic ending of its script, longest stems first; and the stem pattern of
    each."""
    stems = sorted(
        ((p.strip(), i) for i, p in enumerate(patterns) if not p.endswith(" ")), key=lambda s: -len(s[0])
    )
    latin = sorted(e for e in SLAVIC_ENDINGS if e.isascii())
    cyrillic = sorted(e for e in SLAVIC_ENDINGS if not e.isascii())
    forms: list[str] = []
    stem_of: list[int] = []
    for stem, i in stems:
        endings = latin if stem.isascii() else cyrillic
        forms += [stem + e for e in endings]
        stem_of += [i] * len(endings)
    return forms, np.array(stem_of, np.int64)


def _place(line: str) -> Place:
    name, country, population, kind, admin1 = line.split("\t")
    return Place(name, country, int(population), kind, admin1)


@cache
def load() -> Gazetteer:
    """The process-wide gazetteer (about two seconds to load the first time)."""
    with gzip.open(DATA_FILE, "rb") as fh:
        return Gazetteer(json.loads(fh.read()))
