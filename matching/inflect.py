"""Simple English number inflection for keywords: peacekeeper <-> peacekeepers, election <-> elections.

Only the last word of a phrase changes ("peace talk" <-> "peace talks"). Deliberately small: regular plurals,
-ies/-y and -es after sibilants. Words that look plural but are not (news, gas, politics) are left alone, and so
are short words and words with digits or non-Latin letters.
"""

from __future__ import annotations

_NOT_PLURAL = frozenset(
    [
        "news",
        "series",
        "species",
        "physics",
        "politics",
        "economics",
        "mathematics",
        "athletics",
        "ethics",
        "means",
        "gas",
        "bus",
        "chaos",
        "lens",
        "atlas",
        "bias",
        "canvas",
        "thesis",
        "crisis",
        "analysis",
        "basis",
        "diagnosis",
        "virus",
        "status",
        "census",
        "corpus",
        "campus",
        "bonus",
        "focus",
        "consensus",
        "plus",
        "minus",
        "always",
        "perhaps",
        "various",
        "previous",
        "famous",
        "serious",
        "nervous",
        "dangerous",
        "this",
        "his",
        "its",
        "us",
        "yes",
        "was",
        "has",
        "is",
        "does",
        "goes",
        "texas",
        "paris",
        "kansas",
        "arkansas",
        "athens",
        "brussels",
        "wales",
        "tunis",
        "lagos",
        "damascus",
        "cyprus",
        "belarus",
        "mauritius",
        "honduras",
        "emmaus",
        "marcus",
        "thomas",
        "james",
        "charles",
        "jesus",
        "christmas",
    ]
)
_SIBILANT_ENDINGS = ("s", "x", "z", "ch", "sh")


def _plural(word: str) -> str:
    if word.endswith("y") and len(word) > 2 and word[-2] not in "aeiou":
        return word[:-1] + "ies"
    if word.endswith(_SIBILANT_ENDINGS):
        return word + "es"
    return word + "s"


def _singular(word: str) -> str | None:
    if word in _NOT_PLURAL or word.endswith(("ss", "us", "is")):
        return None
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("sses", "shes", "ches", "xes", "zes")):
        return word[:-2]
    if word.endswith("s"):
        return word[:-1]
    return None


def variants(phrase: str) -> tuple[str, ...]:
    """``phrase`` (normalised) and its other number, phrase first."""
    head, _, last = phrase.rpartition(" ")
    if len(last) < 3 or not last.isascii() or not last.isalpha():
        return (phrase,)
    other = _singular(last) if last.endswith("s") else _plural(last)
    if not other or other == last:
        return (phrase,)
    return (phrase, f"{head} {other}" if head else other)
