"""From a headline and its lead to the terms a story is compared on: words, stems, language, casing, quantities.

Headlines are short, so every word counts: a word is reduced to its Snowball stem in the report's own language
("dies"/"died" → "die", "Beben"/"Bebens" → "beben") so that two outlets' wordings meet. The language is told by the
script (Cyrillic, Greek, Arabic...) and, for Latin script, by which language's function words the text uses; it
decides the stemmer and keeps reports in different languages apart (a story is grouped within one language).

Besides the stems, a report keeps for each title word whether it was written capitalised inside a sentence-case
headline (a name: "Gigante", "Aceh") and the quantities it states with their unit ("6.1-magnitude"): two reports
of the same kind of event that name different people or places, or give a different magnitude, are different
events.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import NamedTuple

import snowballstemmer

# Function words per language: they tell the language of a text and carry no story identity.
_FUNCTION_WORDS = {
    "english": "a an and are as at be been but by for from has have he her his in into is it its of on or our she "
    "that the their them they this to was were will with who what when where which why how not no says said say "
    "after over than then there these those about also up out more most just can could would should may might we "
    "you i me my your all any some its amid via vs while",
    "german": "der die das den dem des ein eine einer eines einem und ist sind im mit von zu auf für bei nach aus wie "
    "nicht sich auch noch nur hat haben wird werden war wurde am vom zum zur über unter gegen",
    "french": "le la les un une des du de et en au aux pour par sur dans est sont qui que ce cette il elle ils pas "
    "plus ne se a été avec après contre",
    "spanish": "el la los las un una unos del y en por para con es se al lo como su sus que tras contra ha han",
    "italian": "il lo la gli le di da nel nella per con che non una uno si del della dei è sono alla ai dopo",
    "portuguese": "o a os as do da dos das em no na com um uma e é para por que ao pelo pela após",
    "dutch": "de het een en van in op te dat is met voor niet zijn door bij aan na",
    "swedish": "och att det som en på är av för med till den har de inte om ett efter",
    "indonesian": "dan yang di ke dari ini itu dengan untuk pada tidak akan oleh",
    "turkish": "ve bir bu da de için ile olarak gibi daha sonra",
    "polish": "i w na z się nie do że jest to o po przez dla jak",
}
FUNCTION_WORDS = {lang: frozenset(words.split()) for lang, words in _FUNCTION_WORDS.items()}
STOPWORDS = frozenset().union(*FUNCTION_WORDS.values()) | {
    "new",
    "news",
    "update",
    "updated",
    "live",
    "video",
    "photos",
    "watch",
    "report",
    "breaking",
}
# Languages told by their script, not their function words: only the words to drop.
_SCRIPT_STOPWORDS = {
    language: frozenset(words.split())
    for language, words in {
        "russian": "и в во не что он на я с со как а то все она так его но да ты к у же вы за бы по от из о об для "
        "при после до это над под про также был была были будет будут",
        "ukrainian": "і й в у на з зі що як та це не до за від по для про після був була були буде",
        "greek": "και το η ο οι τα της του των στο στη στην σε με για από να θα που",
    }.items()
}
_UKRAINIAN_LETTERS = frozenset("єіїґЄІЇҐ")

_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[^\W\d_]+")
# Abbreviations whose letters would otherwise be lost as single letters or taken for the pronoun "us".
_ALIASES = (
    (re.compile(r"\bU\.S\.(?:A\.)?|\bUSA\b|\bUS\b"), "USA"),
    (re.compile(r"\bU\.K\.|\bUK\b"), "UK"),
    (re.compile(r"\bU\.N\.|\bUN\b"), "UN"),
    (re.compile(r"\bE\.U\.|\bEU\b"), "EU"),
)
_THOUSANDS = re.compile(r"(?<=\d)[,’'](?=\d{3}\b)")
_DECIMAL_COMMA = re.compile(r"(?<=\d),(?=\d{1,2}\b)")  # "6,1" is 6.1 in most of Europe
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
UNIT_WORDS = {
    "b": "billion",
    "bn": "billion",
    "m": "million",
    "mn": "million",
    "k": "thousand",
    "pc": "percent",
}


def script_language(text: str) -> str | None:
    """The language a non-Latin script implies (None for Latin script or no letters)."""
    for char in text:
        if not char.isalpha() or char.isascii():
            continue
        name = unicodedata.name(char, "")
        if name.startswith("CYRILLIC"):
            return "ukrainian" if any(c in _UKRAINIAN_LETTERS for c in text) else "russian"
        if name.startswith("GREEK"):
            return "greek"
        if name.startswith("ARABIC"):
            return "arabic"
        if name.startswith("DEVANAGARI"):
            return "hindi"
        if name.startswith("HEBREW"):
            return "hebrew"
        if _CJK.match(char):
            return "cjk"
    return None


def guess_language(words: list[str]) -> str:
    """The Latin-script language whose function words the (lowercase) words use most; English when none do."""
    best, best_hits = "english", 0
    for language, function_words in FUNCTION_WORDS.items():
        hits = sum(1 for w in words if w in function_words)
        if hits > best_hits:
            best, best_hits = language, hits
    return best


@lru_cache(maxsize=64)
def _stemmer(language: str) -> Callable[[str], str]:
    """A cached stem function for ``language``; identity where Snowball has no stemmer for it."""
    if language not in snowballstemmer.algorithms():
        return lambda word: word
    stem = snowballstemmer.stemmer(language).stemWord
    cache: dict[str, str] = {}

    def cached(word: str) -> str:
        found = cache.get(word)
        if found is None:
            if len(cache) > 200_000:
                cache.clear()
            found = cache[word] = _fold(stem(word))
        return found

    return cached


def _fold(word: str) -> str:
    """Accents off after stemming (the stemmers know their language's accents): "Zvečan" and "Zvecan" meet."""
    if word.isascii():
        return word
    return "".join(c for c in unicodedata.normalize("NFKD", word) if not unicodedata.combining(c))


class Word(NamedTuple):
    """One content word of a text: its stem, and what its writing says (``name``: capitalised inside a
    sentence-case headline; ``lower``: written in lower case; neither: first word, or a title-case headline).
    A named tuple: a report makes dozens, and a frozen dataclass costs several times as much to build."""

    stem: str
    name: bool
    lower: bool
    number: bool


@dataclass(frozen=True, slots=True)
class Analysis:
    """The content words of a title or lead, in order, the language, and (unit, value) quantities stated."""

    language: str
    words: tuple[Word, ...]
    quantities: frozenset[tuple[str, str]]


def _raw_tokens(text: str) -> list[str]:
    for pattern, replacement in _ALIASES:
        text = pattern.sub(replacement, text)
    return _TOKEN.findall(_DECIMAL_COMMA.sub(".", _THOUSANDS.sub("", text)))


def _cjk_bigrams(token: str) -> list[str]:
    """Runs of CJK characters have no spaces between words: overlapping character pairs stand in for words."""
    if len(token) < 2 or not _CJK.match(token[0]):
        return [token]
    return [token[i : i + 2] for i in range(len(token) - 1)]


def _is_title_case(tokens: list[str]) -> bool:
    """Whether (nearly) every longer word is capitalised, as in "Men's Wearhouse Buying Jos A Bank": then
    capitals say nothing about which words are names."""
    long = [t for t in tokens if len(t) > 3 and t[0].isalpha() and t.casefold() not in STOPWORDS]
    if not long:
        return True
    upper = sum(1 for t in long if t[0].isupper())
    return upper >= 0.75 * len(long)


def analyse(text: str, language: str | None = None) -> Analysis:
    """Words, language and quantities of ``text`` (a title, or a lead); ``language`` forces the language."""
    tokens = _raw_tokens(text)
    if _CJK.search(text):
        tokens = [piece for token in tokens for piece in _cjk_bigrams(token)]
    folded = [t.casefold() for t in tokens]
    if language is None:
        language = script_language(text) or guess_language(folded)
    stem = _stemmer(language)
    stop = _SCRIPT_STOPWORDS.get(language, STOPWORDS)
    title_case = _is_title_case(tokens) or sum(1 for t in tokens if t.isupper()) > 0.6 * len(tokens)
    words: list[Word] = []
    quantities: set[tuple[str, str]] = set()
    for i, (token, low) in enumerate(zip(tokens, folded, strict=True)):
        if low in stop or (len(low) < 2 and not low.isdigit()):
            continue
        number = low[0].isdigit()
        if number and "." in low:
            quantities.add((_unit(folded, i, stem), low))
        capital = token[0].isupper()
        words.append(
            Word(
                low if number else stem(low), capital and i > 0 and not title_case, token[0].islower(), number
            )
        )
    return Analysis(language, tuple(words), frozenset(quantities))


def _unit(folded: list[str], i: int, stem: Callable[[str], str]) -> str:
    """What the number at ``i`` counts: the next word ("6.1 magnitude", "1.8 billion"), else the one before."""
    for j in (i + 1, i - 1):
        if 0 <= j < len(folded) and folded[j][0].isalpha():
            word = folded[j]
            return UNIT_WORDS.get(word, stem(word))
    return ""
