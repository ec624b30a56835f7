"""Other senses of a place name or a people's name, for the place rules (:mod:`matching.place_rules`): a natural
feature named after a country ("the Indian Ocean", "the Gulf of Mexico", "the Niger Delta"), a language ("she spoke
only French", "airing in English and Spanish"), something named after a people ("Italian food", "an Irish pub",
"a French bulldog"), and a newer namesake ("New England"). None of these says the article is about the country:
the annotated corpora never tag them, and a reader following France does not expect a French bulldog.

A people's name used of people or a state ("French troops", "the Russian Information Agency") keeps its country:
that is what a region subscription means to catch, and GeoWebNews annotates those demonyms as the country.
Compiled (numba), reading the article's token arrays.
"""

from __future__ import annotations

import numpy as np

from matching.jit import njit
from matching.tokens import CASE_LOWER_FIRST, CASE_UPPER_FIRST, GAP_BLANK

PLACE = 0  # the name may be read as a place
OTHER = 1  # a feature, a thing named after a people, a namesake: not this place
LANGUAGE = 2  # a language ("in English"): not a place, and "and Spanish" after it is one too


@njit
def _member(sorted_hashes: np.ndarray, h: np.uint64) -> bool:
    at = np.searchsorted(sorted_hashes, h)
    return bool(at < sorted_hashes.size and sorted_hashes[at] == h)


@njit
def sense(k, n, tokens, words, people, last_language):  # type: ignore[no-untyped-def]
    """How the name at tokens ``k``..``k + n`` reads (:data:`PLACE`, :data:`OTHER`, :data:`LANGUAGE`).

    ``words``: sorted hashes of (feature words after a name, feature words before "of", "of", language names,
    words that introduce a language, things named after a people, conjunctions, "new"); ``people``: whether
    the name is a country's people's name ("French", not "France"); ``last_language``: the token of the last
    name read as a language, for "English and Spanish".
    """
    hashes, case, gaps, _, _ = tokens
    features, features_of, of, languages, language_cues, things, conjunctions, new = words
    after = k + n
    followed = after < hashes.size and gaps[after] & GAP_BLANK != 0
    if followed and case[after] & CASE_UPPER_FIRST and _member(features, hashes[after]):
        return OTHER  # "the Indian Ocean", "the Niger Delta"
    if k >= 2 and hashes[k - 1] == of[0] and case[k - 2] & CASE_UPPER_FIRST and _member(features_of, hashes[k - 2]):
        return OTHER  # "the Gulf of Mexico", "the Bay of Bengal"
    if not people:
        if k >= 1 and hashes[k - 1] == new[0] and case[k - 1] & CASE_UPPER_FIRST and gaps[k] & GAP_BLANK:
            return OTHER  # "New England": a namesake (New York, New Delhi are names of their own)
        return PLACE  # ("New French sanctions" are French)
    if followed and case[after] & CASE_LOWER_FIRST and _member(things, hashes[after]):
        return OTHER  # "Italian food", "an Irish pub", "a French bulldog", "the Spanish flu"
    if n == 1 and _member(languages, hashes[k]):
        if k >= 1 and _member(language_cues, hashes[k - 1]):
            return LANGUAGE  # "in English", "spoke French"
        if k >= 2 and case[k - 1] & CASE_LOWER_FIRST and _member(language_cues, hashes[k - 2]):
            return LANGUAGE  # "spoke only French"
        if k >= 2 and last_language == k - 2 and _member(conjunctions, hashes[k - 1]):
            return LANGUAGE  # "in English and Spanish"
    return PLACE
