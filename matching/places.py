"""Finding places in an article and deciding which countries (and groups) it is about.

Rules, in the order they apply (after CLIFF/CLAVIN's experience):
- a name counts only when written as a name: capitalised (or in a script without case), and for names that are
  also ordinary words ("Nice", "Reading") not at the start of a sentence and not in a Title Case headline;
- a town name glued to another capitalised word is part of a longer name ("Giorgia Meloni", "Washington Post");
- Slavic case endings are accepted on names of places in Slavic-speaking countries, from an allowed list and
  only after a stem of five letters or more (Zvečanu, Leposavići; not "Zvecanac");
- larger areas win over towns of the same name (Georgia the country over Georgia, Vermont), except in the
  pattern "City, State", which makes both US places (Atlanta, Georgia);
- a town name found in several countries follows the countries the article otherwise names, then population;
- a town counts on its own when it has 100,000 people, or 15,000 and is written after "in", "near", "u", "в"...;
  a smaller town, or one whose country stayed uncertain, counts only when the article names something else in
  the same country: one village name alone is too often a surname or a namesake ("Obama", "Douglas").

The rules run compiled (:mod:`matching.place_rules`) over the gazetteer as arrays (:mod:`matching.place_tables`);
this module finds the names, feeds the rules, and turns what they keep into regions and mentions.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

import numpy as np

from matching.document import Prepared
from matching.gazetteer import Gazetteer, Place
from matching.jit import njit
from matching.normalize import normalize
from matching.place_rules import pair_hash, read_places
from matching.place_tables import NameFacts, PlaceArrays
from matching.tokens import CASE_LOWER_FIRST, word_hashes


def _words(text: str) -> frozenset[str]:
    """A set of words, folded like the tokens they are compared with."""
    return frozenset(normalize(text).split())


def _hashes(words: frozenset[str]) -> np.ndarray:
    """The words' token hashes, sorted (what the compiled rules search)."""
    return np.sort(word_hashes(sorted(words)))


# Capitalised words that may stand before a place name without making it part of a person's or company's name.
_PREFIX_OK = _words(
    """north south east west northern southern eastern western central upper lower greater old new in at from to of near outside
    northwest northeast southwest southeast northwestern northeastern southwestern southeastern
    inside across around into by for and or but the a an on with via saint st san santa port fort mount lake nord sud"""
)
# Country names that are also given names: treated like town names for the adjacency rule ("Jordan Peterson").
_PERSONISH = _words("jordan chad georgia kenya india israel lebanon")
# Words after which a capitalised name is a place ("in Zvecan", "u Zvečanu", "в Киеве", "près de Nice").
_LOCATIVE = _words(
    """in near at from outside into around across toward towards between inside nearby
    u na v w iz kod pored во в у на из под около
    en dans près à a aus bei nach nahe nel nella vicino desde cerca"""
)
# Capitalised words after a town that keep it a town: its institutions ("the Gainesville Police Department").
_SUFFIX_OK = _words(
    """police department council city county fire school schools board hospital airport court courthouse
    sheriff township municipality municipal region regional province district station mayor mayors
    community college library chamber village town area metro state public high middle elementary
    residents officials authorities government governor church"""
)
# Lowercase words after a name that say it is a place ("the Leposavić municipality building").
_PLACE_WORDS = _words(
    """municipality city town village province region district county area border airport residents
    mayor municipal neighbourhood neighborhood suburb suburbs outskirts countryside opština opstina"""
)
# Words after a people's name that make it a language ("English language learners", "French speakers").
_LANGUAGE_WORDS = _words(
    """language languages speaking speaker speakers learners learner teacher teachers lessons class classes
    translation translations version subtitles dub dubbed literature grammar"""
)


def _pairs(text: str) -> np.ndarray:
    """Two-word phrases (one a line) as the sorted pair hashes the compiled rules compute for two tokens."""
    pairs = [line.split() for line in text.strip().splitlines()]
    first = word_hashes([normalize(a) for a, _ in pairs])
    second = word_hashes([normalize(b) for _, b in pairs])
    return np.sort(pair_hash(first, second))


# Two capitalised words after a name that make it a town's: no country has a "City Council" or a "High School"
# ("the Palestine Independent School District", "Lebanon City Council": Palestine, Texas; Lebanon, Pennsylvania).
_TOWN_INSTITUTIONS = _pairs(
    """city council
    city hall
    city commission
    city manager
    city commissioners
    city schools
    high school
    middle school
    elementary school
    school district
    school board
    independent school
    police department
    fire department
    civic center
    public library
    public schools
    public works
    parks and
    township trustees"""
)
# Of those, the ones that are American in style and move a city name found in several countries to the US
# ("Paris Police Department", "Athens High School"): "Oxford City Council" is as English as it is American.
_US_INSTITUTIONS = _pairs(
    """high school
    middle school
    elementary school
    school district
    independent school
    police department
    fire department
    public works
    parks and
    township trustees"""
)
# Lowercase words after a country's name that make it a town's: "a 36-year-old Palestine man", "a Lebanon woman".
_RESIDENT_WORDS = _words("man woman men women resident residents native couple teen teenager boy girl")
# Capitalised words after a name that make it a natural feature's ("the Indian Ocean", "the Niger Delta"), and
# before "of" ("the Gulf of Mexico").
_FEATURES = _words(
    """ocean sea gulf bay delta river lake lakes strait straits channel basin mountains range plateau desert"""
)
_FEATURES_OF = _words("gulf bay sea strait straits")
# Languages that are also a country's people's name, and the words that say one is meant ("spoke French").
_LANGUAGES = _words(
    """english french spanish german italian portuguese russian chinese japanese korean dutch polish greek
    turkish swedish norwegian danish finnish czech hungarian romanian serbian croatian albanian ukrainian
    vietnamese thai indonesian irish"""
)
_LANGUAGE_CUES = _words(
    """in into speak speaks spoke spoken speaking learn learns learned learnt learning taught teach teaches
    teaching study studied studies studying fluent translated"""
)
# Lowercase words after a people's name that make it a thing named after them, not the country.
_PEOPLE_THINGS = _words(
    """food foods cuisine restaurant restaurants dish dishes pub pubs bar sausage sausages bread pastry wine
    beer heritage ancestry descent immersion bulldog spaniel terrier setter shepherd songs song music dance
    dancing dancers influenza encephalitis dressing fries toast style"""
)
_WORDS = (
    _hashes(_PREFIX_OK), _hashes(_LOCATIVE), _hashes(_SUFFIX_OK), _hashes(_PLACE_WORDS), _hashes(_LANGUAGE_WORDS),
    _hashes(_words("and or nor")),
    _hashes(_words("virus ebolavirus fever disease flu")),
    _hashes(_words("county parish")),
    _TOWN_INSTITUTIONS, _US_INSTITUTIONS, _hashes(_RESIDENT_WORDS),
    _hashes(_FEATURES), _hashes(_FEATURES_OF), _hashes(_words("of")), _hashes(_LANGUAGES), _hashes(_LANGUAGE_CUES),
    _hashes(_PEOPLE_THINGS), _hashes(_words("and or")), _hashes(_words("new")),
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class Mention:
    """A place name found in the article: its tokens (``k``, ``n`` in :class:`Prepared`), folded surface,
    field, and what it was read as."""

    surface: str
    field: str
    place: Place
    k: int
    n: int


class Findings:
    """The regions an article is about, with the mentions that put it there (made when first read: the matcher
    needs only the regions, an explanation the mentions)."""

    __slots__ = ("regions", "_rows", "_prep", "_gaz", "_mentions")

    def __init__(
        self, regions: frozenset[str], rows: np.ndarray, prep: Prepared | None, gaz: Gazetteer | None
    ) -> None:
        self.regions = regions
        self._rows = rows  # (3, M): first token, number of tokens, place
        self._prep = prep
        self._gaz = gaz
        self._mentions: tuple[Mention, ...] | None = None

    @property
    def mentions(self) -> tuple[Mention, ...]:
        if self._mentions is None:
            self._mentions = tuple(map(self._mention, self._rows.T.tolist()))
        return self._mentions

    def _mention(self, row: list[int]) -> Mention:
        k, n, place = row
        prep, gaz = self._prep, self._gaz
        assert prep is not None and gaz is not None  # rows only come with both
        surface = " ".join(map(prep.token, range(k, k + n)))
        return Mention(surface, prep.field_of_token(k), gaz.places[place], k, n)

    def mentions_for(self, key: str, gaz: Gazetteer) -> list[Mention]:
        """Mentions that count for region ``key``."""
        return [m for m in self.mentions if key in gaz.region_keys_of(m.place)]


NO_FINDINGS = Findings(frozenset(), np.empty((3, 0), np.int64), None, None)


class _Tables:
    """A gazetteer's places and names as arrays, made once per gazetteer."""

    def __init__(self, gaz: Gazetteer) -> None:
        self.places = PlaceArrays(gaz)
        self.facts = NameFacts(gaz, self.places, _PERSONISH)


_TABLES: weakref.WeakKeyDictionary[Gazetteer, _Tables] = weakref.WeakKeyDictionary()


def _tables(gaz: Gazetteer) -> _Tables:
    tables = _TABLES.get(gaz)
    if tables is None:
        tables = _TABLES[gaz] = _Tables(gaz)
    return tables


def find_places(prep: Prepared, gaz: Gazetteer) -> Findings:
    """Places named in ``prep`` and the regions they put the article in."""
    hits = _name_hits(prep, gaz)
    if not hits.shape[1]:
        return NO_FINDINGS
    tables = _tables(gaz)
    facts = tables.facts
    facts.learn(hits[2])
    scan = prep.scan
    places = tables.places
    rows = read_places(
        hits,
        (scan.hashes, scan.case, scan.gap_flags, scan.starts, scan.ends),
        (prep.field_starts[1] - 1, prep.field_starts[1]),
        _WORDS,
        facts.arrays(),
        places.rule_arrays(),
    )
    if not rows.shape[1]:
        return NO_FINDINGS
    keys = places.region_keys
    return Findings(frozenset([keys[i] for i in places.regions_of(rows[2]).tolist()]), rows, prep, gaz)


def _name_hits(prep: Prepared, gaz: Gazetteer) -> np.ndarray:
    """(first token, number of tokens, pattern) of each place name written as a name, left to right.

    Names are taken leftmost-longest and never overlap, over every name found, written as a name or not: in
    "new York city" nothing is found inside the rejected "new york city". A name is written as a name when it
    starts with a capital (or in a script without case), or a lowercase word leads a capitalised one ("north
    Kosovo").
    """
    starts, lengths, nodes = gaz.names.walk(prep.hashes)
    return _leftmost_longest(starts, lengths, nodes, gaz.pattern_of_node, prep.scan.case)


@njit
def _leftmost_longest(
    starts: np.ndarray,
    lengths: np.ndarray,
    nodes: np.ndarray,
    pattern_of: np.ndarray,
    case: np.ndarray,
) -> np.ndarray:
    """The names a left-to-right scan takes from a trie walk's paths (grouped by start, shortest first): at each
    token not inside the last name taken, the longest path that completes a name; of those, the ones written as
    names. Rows: first token, number of tokens, pattern. Compiled."""
    out = np.empty((3, starts.size), np.int64)
    count = 0
    covered = 0
    at = 0
    while at < starts.size:
        first = starts[at]
        length = 0
        pattern = -1
        while at < starts.size and starts[at] == first:
            if pattern_of[nodes[at]] >= 0:
                length = lengths[at]
                pattern = pattern_of[nodes[at]]
            at += 1
        if pattern < 0 or first < covered:
            continue
        covered = first + length
        if case[first] & CASE_LOWER_FIRST and (length == 1 or case[first + length - 1] & CASE_LOWER_FIRST):
            continue
        out[0, count] = first
        out[1, count] = length
        out[2, count] = pattern
        count += 1
    return out[:, :count]
