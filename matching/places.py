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
"""

from __future__ import annotations

from dataclasses import dataclass

import numba
import numpy as np

from matching.document import Prepared
from matching.gazetteer import FLAG_ABBREVIATION, FLAG_COMMON, FLAG_UPPER_OK, Gazetteer, Name, Place, rank
from matching.normalize import normalize


def _words(text: str) -> frozenset[str]:
    """A set of words, folded like the tokens they are compared with."""
    return frozenset(normalize(text).split())


# Capitalised words that may stand before a place name without making it part of a person's or company's name.
_PREFIX_OK = _words(
    """north south east west northern southern eastern western central upper lower greater old new in at from to of near outside
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
STRONG_POPULATION = 100_000  # a town this big counts on its own
LOCATIVE_POPULATION = 15_000  # this big: on its own after "in", "near"...
DOMINANT_POPULATION = 100_000  # an ambiguous name counts alone for a city this big...
DOMINANCE = 5  # ...and this many times bigger than its namesakes elsewhere


@dataclass(frozen=True, slots=True)
class Mention:
    """A place name found in the article: its tokens (``k``, ``n`` in :class:`Prepared`), folded surface,
    field, and what it was read as."""

    surface: str
    field: str
    place: Place
    k: int
    n: int


@dataclass(frozen=True, slots=True)
class Findings:
    """The regions an article is about, with the mentions that put it there."""

    regions: frozenset[str]
    mentions: tuple[Mention, ...]

    def mentions_for(self, key: str, gaz: Gazetteer) -> list[Mention]:
        """Mentions that count for region ``key``."""
        return [m for m in self.mentions if key in gaz.region_keys_of(m.place)]


NO_FINDINGS = Findings(frozenset(), ())


@dataclass(slots=True)
class _Occurrence:
    k: int  # first token
    n: int  # number of tokens
    name: Name
    candidates: tuple[Place, ...]  # the name's, or fewer once the City, State rule has spoken
    common: bool
    place: Place | None = None
    strong: bool = False
    locative: bool = False  # after "in", "near", "u", "в"...: a place, not a person
    weak_only: bool = False  # if not strong, it cannot be backed up either


def _title_is_title_case(prep: Prepared) -> bool:
    """Whether the title is written In Title Case, where capitals say nothing about names."""
    words = [t for t in map(prep.token, prep.field_tokens(0)) if len(t) >= 4 and t[0].isalpha()]
    return len(words) >= 4 and sum(t[0].isupper() for t in words) >= 0.8 * len(words)


def _name_hits(prep: Prepared, gaz: Gazetteer) -> list[tuple[int, int, int]]:
    """(first token, number of tokens, pattern) of each place name written as a name, left to right.

    Names are taken leftmost-longest and never overlap, over every name found, written as a name or not: in
    "new York city" nothing is found inside the rejected "new york city". A name is written as a name when it
    starts with a capital (or in a script without case), or a lowercase word leads a capitalised one ("north
    Kosovo").
    """
    starts, lengths, nodes = gaz.names.walk(prep.hashes)
    hits = _leftmost_longest(starts, lengths, nodes, gaz.pattern_of_node, prep.lower_first)
    return list(zip(*hits.tolist(), strict=True))


@numba.njit(cache=True, nogil=True)
def _leftmost_longest(
    starts: np.ndarray,
    lengths: np.ndarray,
    nodes: np.ndarray,
    pattern_of: np.ndarray,
    lower_first: np.ndarray,
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
        if lower_first[first] and (length == 1 or lower_first[first + length - 1]):
            continue
        out[0, count] = first
        out[1, count] = length
        out[2, count] = pattern
        count += 1
    return out[:, :count]


def find_places(prep: Prepared, gaz: Gazetteer) -> Findings:
    """Places named in ``prep`` and the regions they put the article in."""
    occurrences: list[_Occurrence] = []
    title_case: bool | None = None
    for k, n, pat in _name_hits(prep, gaz):
        name = gaz.name(pat)
        if name is None:
            continue
        flags = name.flags
        head = prep.token(k)
        if flags & FLAG_ABBREVIATION:
            if not all(prep.token(i).isupper() for i in range(k, k + n)):
                continue
        elif head.isupper() and 1 < len(head) <= 5 and n == 1 and not flags & FLAG_UPPER_OK:
            continue  # an acronym (NATO, KFOR), not a town
        if title_case is None:
            title_case = _title_is_title_case(prep)
        in_title_case = title_case and k < prep.field_starts[1]
        initial = prep.starts_sentence(k)
        common = bool(flags & FLAG_COMMON)
        if common and (in_title_case or initial):
            continue
        alias = name.alias
        namelike = name.best.kind in ("city", "capital") or alias in _PERSONISH or common
        # Town names, given names and ordinary words glued to a capitalised word are part of a longer name
        # ("Giorgia Meloni", "Jesse Jackson", "Elcho Island"); so are other names of countries after one
        # ("Vikram Misri"), but not the countries' own names ("Kosovo Police"). In a Title Case headline only
        # towns smaller than a city are held to the word after them ("Ali Bello").
        glue_before = namelike or alias not in gaz.region_names
        glue_after = namelike and (not in_title_case or name.best.population < STRONG_POPULATION)
        if _glued(prep, k, n, before=glue_before, after=glue_after):
            continue
        occ = _Occurrence(k, n, name, name.candidates, common)
        occ.locative = k > 0 and not initial and prep.token(k - 1).lower() in _LOCATIVE
        # Never enough, even with company: ordinary words, sentence starts, short names ("Eine", "Mal").
        occ.weak_only = common or initial or len(alias) < 5
        occurrences.append(occ)
    if not occurrences:
        return NO_FINDINGS
    _city_state(prep, occurrences)
    _resolve(occurrences)
    return _collect(prep, occurrences, gaz)


def _glued(prep: Prepared, k: int, n: int, *, before: bool, after: bool) -> bool:
    """Whether the name at tokens k..k+n-1 follows (``before``) or precedes (``after``) a capitalised word."""
    if (
        before
        and k > 0
        and prep.blank_gap(k)
        and prep.capitalised(k - 1)
        and not prep.starts_sentence(k - 1)
        and prep.token(k - 1).lower() not in _PREFIX_OK
    ):
        return True
    nxt = k + n
    return (
        after
        and nxt < len(prep)
        and prep.blank_gap(nxt)
        and prep.capitalised(nxt)
        and prep.token(nxt).lower() not in _PREFIX_OK
    )


def _city_state(prep: Prepared, occurrences: list[_Occurrence]) -> None:
    """ "Atlanta, Georgia": the first name is a US place in that state, the second the US state."""
    for a, b in zip(occurrences, occurrences[1:], strict=False):
        if b.k != a.k + a.n or not prep.comma_gap(b.k):
            continue
        states = [p for p in b.candidates if p.kind == "state"]
        if not states:
            continue
        state = states[0]
        towns = [p for p in a.candidates if p.country == "US" and p.admin1 == state.admin1]
        if towns:
            a.candidates = tuple(towns)
            b.candidates = (state,)


def _resolve(occurrences: list[_Occurrence]) -> None:
    """Pick one place per occurrence and say whether it is strong enough to count alone.

    A name found in several countries goes to the country of the article's other strong places, unless a
    candidate elsewhere is far bigger (Geneva in an article that also says "U.S." is still in Switzerland).
    """
    context: set[str] = set()
    pending: list[_Occurrence] = []
    for occ in occurrences:
        if occ.candidates is occ.name.candidates:
            best, countries = occ.name.best, occ.name.city_countries
        else:
            best = min(occ.candidates, key=rank)
            countries = frozenset(p.country for p in occ.candidates if p.kind in ("city", "capital"))
        if best.kind not in ("city", "capital") or len(countries) <= 1:
            occ.place = best
            occ.strong = best.kind != "city" or (not occ.common and _big_enough(best, occ))
            if best.kind != "group" and occ.strong:
                context.add(best.country)
        else:
            pending.append(occ)
    for occ in pending:
        ranked = sorted(occ.candidates, key=lambda p: -p.population)
        top = ranked[0]
        in_context = [p for p in ranked if p.country in context]
        if in_context and top.population < DOMINANCE * in_context[0].population:
            occ.place = in_context[0]
            occ.strong = occ.place.kind == "capital" or _big_enough(occ.place, occ)
        else:
            occ.place = top
            rival = next((p.population for p in ranked if p.country != top.country), 0)
            occ.strong = top.population >= DOMINANT_POPULATION and top.population >= DOMINANCE * rival


def _big_enough(place: Place, occ: _Occurrence) -> bool:
    return place.population >= STRONG_POPULATION or occ.locative and place.population >= LOCATIVE_POPULATION


def _collect(prep: Prepared, occurrences: list[_Occurrence], gaz: Gazetteer) -> Findings:
    """Keep strong mentions, and weak ones that another town or area of the same country backs up."""
    local: dict[str, set[str]] = {}  # country -> aliases of towns and areas named in it
    for occ in occurrences:
        assert occ.place is not None
        if occ.place.kind in ("city", "capital", "area", "state"):
            local.setdefault(occ.place.country, set()).add(occ.name.alias)
    regions: set[str] = set()
    mentions: list[Mention] = []
    for occ in occurrences:
        place = occ.place
        assert place is not None
        if not occ.strong and (occ.weak_only or len(local.get(place.country, ())) < 2):
            continue
        regions.update(gaz.region_keys_of(place))
        surface = " ".join(map(prep.token, range(occ.k, occ.k + occ.n)))
        mentions.append(Mention(surface, prep.field_of_token(occ.k), place, occ.k, occ.n))
    return Findings(frozenset(regions), tuple(mentions))
