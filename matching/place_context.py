"""Where an article is set, for the place rules (:mod:`matching.place_rules`): the US states it names, whether
it is set in the US at all, and which namesake of a town a named state points to ("London" in an article about
Kentucky; "Paris" beside "Henry County"), and which town a name before a town's institution is ("the Palestine
Independent School District"). Compiled (numba), reading the same arrays as the rules.
"""

from __future__ import annotations

import numpy as np

from matching.jit import njit
from matching.place_tables import CAPITAL, CITY, COUNTRY, GROUP, MAX_ADMINS, STATE
from matching.tokens import CASE_UPPER_FIRST, GAP_BLANK

STRONG_POPULATION = 100_000  # a town found only in the US and this big sets the article there


@njit
def _member(sorted_hashes: np.ndarray, h: np.uint64) -> bool:
    at = np.searchsorted(sorted_hashes, h)
    return bool(at < sorted_hashes.size and sorted_hashes[at] == h)


@njit
def names_a_county(tokens, county_words):  # type: ignore[no-untyped-def]
    """Whether the text names a US county or parish the American way ("Henry County", "Rapides Parish")."""
    hashes, case, gaps, _, _ = tokens
    for k in range(1, hashes.size):
        if (
            case[k] & CASE_UPPER_FIRST
            and case[k - 1] & CASE_UPPER_FIRST
            and gaps[k] & GAP_BLANK
            and _member(county_words, hashes[k])
        ):
            return True
    return False


@njit
def states_named(occ, cands, first, size, places):  # type: ignore[no-untyped-def]
    """The US states the article names (as states, not as a country of the same name), by admin1 id; and
    whether it is set in the US: it names a state, or a large town found only there ("Atlanta")."""
    country, kind, population, admin1, _, us = places
    states = np.zeros(MAX_ADMINS, np.bool_)
    us_context = False
    for o in range(occ.shape[1]):
        state = -1
        only_us = True
        largest = 0
        for i in range(first[o], first[o] + size[o]):
            p = cands[i]
            if kind[p] == COUNTRY or kind[p] == GROUP:
                state = -1
                only_us = False
                break
            if kind[p] == STATE:
                state = p
            only_us = only_us and country[p] == us
            largest = max(largest, population[p])
        if state >= 0:
            states[admin1[state]] = True
            us_context = True
        elif only_us and largest >= STRONG_POPULATION:
            us_context = True
    return states, us_context


@njit
def in_named_state(cands, start, n, states, places):  # type: ignore[no-untyped-def]
    """For a town name found in several places: the largest of them in a US state the article names, when
    another candidate is elsewhere (else -1)."""
    country, kind, population, admin1, _, us = places
    found = -1
    elsewhere = False
    for i in range(start, start + n):
        p = cands[i]
        if kind[p] != CITY and kind[p] != CAPITAL:
            return -1  # a country or a state of that name: rules 2 and 3 decide
        if country[p] == us and states[admin1[p]]:
            if found < 0 or population[p] > population[found]:
                found = p
        else:
            elsewhere = True
    return found if elsewhere else -1


@njit
def town_reading(cands, start, n, us_only, places):  # type: ignore[no-untyped-def]
    """The town a name written before a town's institution stands for: the largest US town of that name, else
    (unless only a US one will do) the largest anywhere; -1 for none."""
    country, kind, population, _, _, us = places
    best = -1
    for i in range(start, start + n):
        p = cands[i]
        if kind[p] != CITY and kind[p] != CAPITAL:
            continue
        if us_only and country[p] != us:
            continue
        if (
            best < 0
            or (country[p] == us and country[best] != us)
            or (population[p] > population[best] and (country[p] == us) == (country[best] == us))
        ):
            best = p
    return best


@njit
def same_state(occ, o, state, cands, first, size, alias):  # type: ignore[no-untyped-def]
    """Once "Atlanta, Georgia" has made occurrence ``o`` a state, every other occurrence of the same name that
    may be that state is it too (one sense a name per article: "Georgia's regulator" in that article)."""
    for j in range(occ.shape[1]):
        if j == o or alias[occ[2, j]] != alias[occ[2, o]]:
            continue
        for i in range(first[j], first[j] + size[j]):
            if cands[i] == state:
                cands[first[j]] = state
                size[j] = 1
                break
