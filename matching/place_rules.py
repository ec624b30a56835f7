"""The place rules of :mod:`matching.places`, compiled (numba).

They read numbers only: the article's tokens as hashes, case bits and gap bits (:mod:`matching.tokens`), the
names found as (first token, number of tokens, pattern), and the gazetteer as arrays
(:mod:`matching.place_tables`). In Python the same rules cost ~10 µs a name an article writes, a third of the
whole budget of an article at a million subscriptions; here ~1 µs for all of them.

:func:`read_places` applies the rules in the order :mod:`matching.places` gives them.
"""

from __future__ import annotations

import numpy as np

from matching.gazetteer import FLAG_ABBREVIATION, FLAG_COMMON, FLAG_STATE_ABBREVIATION, FLAG_UPPER_OK
from matching.jit import njit
from matching.place_context import in_named_state, names_a_county, same_state, states_named, town_reading
from matching.place_senses import LANGUAGE, PLACE, sense
from matching.place_tables import AREA, CAPITAL, CITY, COUNTRY, GROUP, RANKS, STATE
from matching.tokens import (
    CASE_ALPHA_FIRST,
    CASE_UPPER,
    CASE_UPPER_FIRST,
    GAP_BLANK,
    GAP_COMMA,
    GAP_ENDS_SENTENCE,
)

STRONG_POPULATION = 100_000  # a town this big counts on its own
LOCATIVE_POPULATION = 15_000  # this big: on its own after "in", "near"...
DOMINANT_POPULATION = 100_000  # an ambiguous name counts alone for a city this big...
DOMINANCE = 5  # ...and this many times bigger than its namesakes elsewhere
TITLE_CASE_SHARE = 0.8  # of a title's words of four letters or more capitalised: Title Case
PERSON_POPULATION = 1_000_000  # a town this big stays a place when one mention reads as a person's name

# Bits of an occurrence (a name that passed the first rules).
_COMMON = 1  # also an ordinary word
_LOCATIVE = 2  # after "in", "near", "u", "в"...: a place, not a person
_WEAK = 4  # if not strong on its own, nothing can back it up either
_STATED = 8  # "Town, State": its state or province is written after it
_TOWN = 16  # a country's name before a town's institution ("Lebanon City Council"): a town of that name
_US_TOWN = 32  # a city's name before an American-style institution ("Paris Police Department"): a US town

_DROPPED = -2  # an occurrence that names no place after all (a country's name read as a town that is not known)


@njit
def pair_hash(first, second):  # type: ignore[no-untyped-def]
    """One hash for two consecutive tokens (token hashes or arrays of them), as the two-word lists are kept."""
    return first * np.uint64(1_000_003) ^ second


@njit
def _member(sorted_hashes: np.ndarray, h: np.uint64) -> bool:
    at = np.searchsorted(sorted_hashes, h)
    return bool(at < sorted_hashes.size and sorted_hashes[at] == h)


@njit
def _starts_sentence(gaps: np.ndarray, k: int) -> bool:
    return k == 0 or gaps[k] & GAP_ENDS_SENTENCE != 0


@njit
def _title_case(case: np.ndarray, starts: np.ndarray, ends: np.ndarray, title_end: int) -> bool:
    """Whether the title (tokens before ``title_end``) is written In Title Case, where capitals say nothing."""
    words = 0
    capitalised = 0
    for t in range(title_end):
        if ends[t] - starts[t] >= 4 and case[t] & CASE_ALPHA_FIRST:
            words += 1
            if case[t] & CASE_UPPER_FIRST:
                capitalised += 1
    return words >= 4 and capitalised >= TITLE_CASE_SHARE * words


@njit
def _big_enough(population: int, bits: int) -> bool:
    return population >= STRONG_POPULATION or (bits & _LOCATIVE != 0 and population >= LOCATIVE_POPULATION)


@njit
def read_places(hits, tokens, fields, words, facts, places):  # type: ignore[no-untyped-def]
    """The place names that count, as rows (first token, number of tokens, place).

    - ``hits``: (3, H) first token, number of tokens, pattern of the names found, left to right;
    - ``tokens``: (hashes, case bits, gap bits, starts, ends) per token;
    - ``fields``: (end of the title's tokens, first token of the summary);
    - ``words``: sorted hashes of (words that may stand before a name, locative words, institutions after a
      town, lowercase place words after a name, language words, conjunctions, disease words, "county"), then
      sorted pair hashes of a town's two-word institutions and of the American-style ones, and the hashes of
      the words for a town's people ("man", "residents"), then the words :func:`~matching.place_senses.sense` reads;
    - ``facts``: :class:`~matching.place_tables.NameFacts` arrays (flags, valid, best, alias, region_name,
      personish, short, cand_start, cand_len, pool, brief);
    - ``places``: :class:`~matching.place_tables.PlaceArrays` arrays (country, kind, population, admin1), the
      number of countries and the id of the US.
    """
    occ = _written_as_names(hits, tokens, fields, words, facts, places)
    cands, first, size = _candidates(occ, facts)
    _city_state(occ, tokens[2], cands, first, size, places, facts[3])
    place, strong = _resolve(occ, cands, first, size, places, names_a_county(tokens, words[7]), facts[3])
    return _collect(occ, place, strong, facts[3], places)


@njit
def _written_as_names(hits, tokens, fields, words, facts, places):  # type: ignore[no-untyped-def]
    """Rule 1: the names written as names, not glued to a person's or company's name, as rows (first token,
    number of tokens, pattern, bits)."""
    hashes, case, gaps, starts, ends = tokens
    title_end, summary_start = fields
    prefix_ok, locative, suffix_ok, place_words, language_words, conjunctions, disease_words = words[:7]
    town_institutions, us_institutions, resident_words = words[8:11]
    flags, valid, best, alias, region_name, personish, short, _, _, _, brief = facts
    _, kind, population, _, _, _ = places
    n_tokens = hashes.size
    title_case = _title_case(case, starts, ends, title_end)
    count = 0
    occ = np.empty((4, hits.shape[1]), np.int64)
    persons = np.empty(hits.shape[1], np.int64)  # aliases read as a person's name somewhere in the article
    n_persons = 0
    last_language = -9  # the token of the last name read as a language
    for h in range(hits.shape[1]):
        k, n, pat = hits[0, h], hits[1, h], hits[2, h]
        if not valid[pat]:
            continue
        f = flags[pat]
        after = k + n
        if f & FLAG_STATE_ABBREVIATION and not (
            k > 0 and gaps[k] & GAP_COMMA and case[k - 1] & CASE_UPPER_FIRST and case[k] & CASE_UPPER_FIRST
        ):
            continue  # "Calif." only in "Pleasanton, Calif."
        if f & FLAG_ABBREVIATION:
            capitals = True
            for i in range(k, k + n):
                capitals = capitals and case[i] & CASE_UPPER != 0
            if not capitals or (
                after < n_tokens
                and not case[after] & CASE_ALPHA_FIRST
                and not gaps[after] & GAP_BLANK
                and starts[after] - ends[after - 1] == 1
            ):
                continue  # "US$1,800" is money
        elif case[k] & CASE_UPPER and 1 < ends[k] - starts[k] <= 5 and n == 1 and not f & FLAG_UPPER_OK:
            continue  # an acronym (NATO, KFOR), not a town
        in_title_case = title_case and k < summary_start
        initial = _starts_sentence(gaps, k)
        common = f & FLAG_COMMON != 0
        if common and (in_title_case or initial):
            continue
        b = best[pat]
        namelike = kind[b] == CITY or kind[b] == CAPITAL or personish[pat] or common
        glue_before = namelike or not region_name[pat]
        glue_after = namelike and (not in_title_case or population[b] < STRONG_POPULATION)
        small_town = namelike and kind[b] != CAPITAL and population[b] < PERSON_POPULATION
        if (
            glue_before
            and k > 0
            and gaps[k] & GAP_BLANK
            and case[k - 1] & CASE_UPPER_FIRST
            and (small_town or not _starts_sentence(gaps, k - 1))
            and not _member(prefix_ok, hashes[k - 1])
        ):
            # A sentence's first word is capitalised anyway, so only a small town is glued to it: "Kathy Cosco,
            # spokeswoman" is a person, while "Neighbouring Serbia" keeps its country.
            if small_town:
                persons[n_persons] = alias[pat]  # "John Bolton": then "Bolton said" is him too
                n_persons += 1
            continue
        followed = after < n_tokens and gaps[after] & GAP_BLANK
        if (
            glue_after
            and followed
            and case[after] & CASE_UPPER_FIRST
            and not _member(prefix_ok, hashes[after])
            and not _member(suffix_ok, hashes[after])
        ):
            if personish[pat]:
                persons[n_persons] = alias[pat]  # "Georgia Stevens": then "Georgia began skating" is her too
                n_persons += 1
            continue  # "Giorgia Meloni", but not "the Gainesville Police Department"
        if kind[b] == COUNTRY and followed and _member(language_words, hashes[after]):
            continue  # "English language learners"
        if followed and _member(disease_words, hashes[after]):
            continue  # "Marburg virus", "Reston ebolavirus"
        reading = sense(k, n, tokens, words[11:], kind[b] == COUNTRY and not region_name[pat], last_language)
        if reading != PLACE:
            last_language = k if reading == LANGUAGE else last_language
            continue  # "the Indian Ocean", "spoke French", "Italian food", "New England"
        if (
            personish[pat]
            and k >= 2
            and _member(conjunctions, hashes[k - 1])
            and case[k - 2] & CASE_UPPER_FIRST
            and (h == 0 or hits[0, h - 1] + hits[1, h - 1] != k - 1)
        ):
            continue  # "Brown and Jordan": a name beside a name that is not a place
        bits = 0
        if common:
            bits |= _COMMON
        if (k > 0 and not initial and _member(locative, hashes[k - 1])) or (
            followed and _member(place_words, hashes[after])
        ):
            bits |= _LOCATIVE  # "in Leposavić", "the Leposavić municipality"
        if common or short[pat] or (initial and brief[pat] and not bits & _LOCATIVE):
            bits |= _WEAK  # but "Zvečan said", "Leposavić municipality" are names
        if followed and kind[b] == COUNTRY and not case[after] & CASE_UPPER_FIRST:
            if region_name[pat] and _member(resident_words, hashes[after]):
                bits |= _TOWN  # "a Palestine man" (but "a French woman" is French)
        elif followed and after + 1 < n_tokens and case[after] & CASE_UPPER_FIRST and gaps[after + 1] & GAP_BLANK:
            pair = pair_hash(hashes[after], hashes[after + 1])
            if kind[b] == COUNTRY and _member(town_institutions, pair):
                bits |= _TOWN  # "the Palestine Independent School District"
            elif (kind[b] == CITY or kind[b] == CAPITAL) and _member(us_institutions, pair):
                bits |= _US_TOWN  # "Paris Police Department"
        occ[0, count], occ[1, count], occ[2, count], occ[3, count] = k, n, pat, bits
        count += 1
    if n_persons:
        keep = 0
        for o in range(count):
            if not np.any(persons[:n_persons] == alias[occ[2, o]]):
                occ[:, keep] = occ[:, o]
                keep += 1
        count = keep
    return occ[:, :count]


@njit
def _candidates(occ, facts):  # type: ignore[no-untyped-def]
    """Each occurrence's candidate places, copied (the City, State rule narrows them): all of them in one array,
    where each occurrence's start and how many."""
    _, _, _, _, _, _, _, cand_start, cand_len, pool, _ = facts
    count = occ.shape[1]
    total = 0
    for o in range(count):
        total += cand_len[occ[2, o]]
    cands = np.empty(total, np.int64)
    first = np.empty(count, np.int64)
    size = np.empty(count, np.int64)
    at = 0
    for o in range(count):
        pat = occ[2, o]
        first[o], size[o] = at, cand_len[pat]
        cands[at : at + size[o]] = pool[cand_start[pat] : cand_start[pat] + size[o]]
        at += size[o]
    return cands, first, size


@njit
def _city_state(occ, gaps, cands, first, size, places, alias):  # type: ignore[no-untyped-def]
    """Rule 2, "Atlanta, Georgia", "London, Ontario": the first name is a place in that US state (or in the
    country of that province), the second the state or province; the town counts, however small, and the
    state's name is that state wherever the article writes it."""
    country, kind, _, admin1, _, us = places
    for o in range(1, occ.shape[1]):
        a = o - 1
        if occ[0, o] != occ[0, a] + occ[1, a] or not gaps[occ[0, o]] & GAP_COMMA:
            continue
        state = -1
        for i in range(first[o], first[o] + size[o]):
            if kind[cands[i]] == STATE or kind[cands[i]] == AREA:
                state = cands[i]
                break
        if state < 0:
            continue
        towns = 0
        for i in range(first[a], first[a] + size[a]):
            p = cands[i]
            if (
                (kind[p] == CITY or kind[p] == CAPITAL)
                and (admin1[p] == admin1[state] if kind[state] == STATE else country[p] == country[state])
                and (kind[state] == AREA or country[p] == us)
            ):
                cands[first[a] + towns] = p
                towns += 1
        if towns:
            size[a] = towns
            occ[3, a] |= _STATED
            cands[first[o]] = state
            size[o] = 1
            same_state(occ, o, state, cands, first, size, alias)


@njit
def _resolve(occ, cands, first, size, places, county, alias):  # type: ignore[no-untyped-def]
    """Rule 3: one place per occurrence, and whether it counts alone. A name found in several countries goes to
    the country of the article's other strong places, unless a candidate elsewhere is far bigger. A name read
    as a town once ("Palestine man") is that town wherever the article writes it."""
    country, kind, population, admin1, countries, us = places
    count = occ.shape[1]
    place = np.full(count, -1, np.int64)
    strong = np.zeros(count, np.bool_)
    context = np.zeros(countries, np.bool_)
    local = np.zeros(countries, np.bool_)  # countries the article names a town, state or province of
    states, us_context = states_named(occ, cands, first, size, places)
    us_context = us_context or county
    town_of = np.full(count, -1, np.int64)  # per occurrence: the town its name was read as somewhere
    for o in range(count):
        if occ[3, o] & (_TOWN | _US_TOWN):
            town = town_reading(cands, first[o], size[o], occ[3, o] & _US_TOWN != 0, places)
            if town >= 0:
                for j in range(count):
                    if alias[occ[2, j]] == alias[occ[2, o]]:
                        town_of[j] = town
            elif occ[3, o] & _TOWN and town_of[o] < 0:
                town_of[o] = _DROPPED  # this mention only: "a Kenya woman" still leaves Kenya elsewhere
    for o in range(count):
        town = town_of[o]
        if town >= 0:
            place[o], strong[o] = town, True
            context[country[town]] = local[country[town]] = True
            continue
        if town == _DROPPED:
            place[o] = _DROPPED  # "Palestine man", and no town of that name is known
            continue
        steered = in_named_state(cands, first[o], size[o], states, places)
        if steered >= 0:
            place[o], strong[o] = steered, True  # "London" in an article about Kentucky
            context[country[steered]] = local[country[steered]] = True
            continue
        top = -1
        one_country = -1
        several = False
        for i in range(first[o], first[o] + size[o]):
            p = cands[i]
            if (
                top < 0
                or RANKS[kind[p]] < RANKS[kind[top]]
                or (RANKS[kind[p]] == RANKS[kind[top]] and population[p] > population[top])
            ):
                top = p
            if kind[p] == CITY or kind[p] == CAPITAL:
                if one_country < 0:
                    one_country = country[p]
                elif country[p] != one_country:
                    several = True
        if (kind[top] == CITY or kind[top] == CAPITAL) and several:
            continue  # decided below, once the context is known
        if kind[top] == COUNTRY and us_context:
            for i in range(first[o], first[o] + size[o]):
                if kind[cands[i]] == STATE:
                    top = cands[i]  # Georgia, in an article that names other US states
        place[o] = top
        strong[o] = (
            kind[top] != CITY
            or occ[3, o] & _STATED != 0
            or (not occ[3, o] & _COMMON and _big_enough(population[top], occ[3, o]))
            or (size[o] == 1 and not occ[3, o] & _WEAK and population[top] >= LOCATIVE_POPULATION)
        )
        if kind[top] != GROUP and strong[o]:
            context[country[top]] = True
            if kind[top] != COUNTRY:
                local[country[top]] = True
    _settle_ambiguous(occ, cands, first, size, places, place, strong, context, local, us_context)
    return place, strong


@njit
def _settle_ambiguous(occ, cands, first, size, places, place, strong, context, local, us_context):  # type: ignore[no-untyped-def]
    """Rule 3, second part: the names found in several countries, the one with the largest candidate first (a
    capital settled, as London in England, makes the "Edmonton" after it England's). Each goes to the country
    whose towns or provinces the article names, else to the US in an article set there, else to the article's
    other countries, unless a candidate elsewhere is far bigger."""
    country, kind, population, _, _, us = places
    count = occ.shape[1]
    largest = np.zeros(count, np.int64)
    for o in range(count):
        for i in range(first[o], first[o] + size[o]):
            largest[o] = max(largest[o], population[cands[i]])
    for o in np.argsort(-largest, kind="mergesort"):
        if place[o] != -1:
            continue
        top = -1
        near = -1  # the largest in the context
        for i in range(first[o], first[o] + size[o]):
            p = cands[i]
            if top < 0 or population[p] > population[top]:
                top = p
            if context[country[p]] and (near < 0 or population[p] > population[near]):
                near = p
        local_near = -1  # the largest in a country the article names a town, state or province of
        for i in range(first[o], first[o] + size[o]):
            p = cands[i]
            if local[country[p]] and (local_near < 0 or population[p] > population[local_near]):
                local_near = p
        if local_near >= 0 and not local[country[top]] and not context[country[top]]:
            place[o] = local_near  # "London" beside "Ontario", "Edmonton" beside "Cairns"
            strong[o] = kind[local_near] == CAPITAL or _big_enough(population[local_near], occ[3, o])
            continue
        if us_context and not context[country[top]]:
            for i in range(first[o], first[o] + size[o]):
                p = cands[i]
                if country[p] == us and (near < 0 or country[near] != us or population[p] > population[near]):
                    near = p
            if near >= 0 and country[near] == us:
                place[o], strong[o] = near, True  # "Paris" in an article about Henry County, Tennessee
                continue
        if near >= 0 and population[top] < DOMINANCE * population[near]:
            place[o] = near
            strong[o] = kind[near] == CAPITAL or _big_enough(population[near], occ[3, o])
        else:
            place[o] = top
            rival = 0
            for i in range(first[o], first[o] + size[o]):
                p = cands[i]
                if country[p] != country[top] and population[p] > rival:
                    rival = population[p]
            strong[o] = population[top] >= DOMINANT_POPULATION and population[top] >= DOMINANCE * rival
        if strong[o] and kind[place[o]] == CAPITAL:
            local[country[place[o]]] = True  # a capital settled so is sure enough to steer the towns after it


@njit
def _collect(occ, place, strong, alias, places):  # type: ignore[no-untyped-def]
    """Rule 4: strong mentions, and weak ones that another town or area of the same country backs up, as rows
    (first token, number of tokens, place)."""
    country, kind, _, _, _, _ = places
    count = occ.shape[1]
    out = np.empty((3, count), np.int64)
    kept = 0
    for o in range(count):
        p = place[o]
        if p < 0:
            continue
        if not strong[o]:
            if occ[3, o] & _WEAK:
                continue
            named = -1  # an alias of a town or area named in this country; enough when there are two
            backed = False
            for j in range(count):
                q = place[j]
                if q < 0 or country[q] != country[p] or not (
                    kind[q] == CITY or kind[q] == CAPITAL or kind[q] == AREA or kind[q] == STATE
                ):
                    continue
                if named < 0:
                    named = alias[occ[2, j]]
                elif alias[occ[2, j]] != named:
                    backed = True
                    break
            if not backed:
                continue
        out[0, kept], out[1, kept], out[2, kept] = occ[0, o], occ[1, o], p
        kept += 1
    return out[:, :kept]
