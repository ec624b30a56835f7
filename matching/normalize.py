"""Text folding shared by queries, the gazetteer and articles.

Both sides of a match go through the same functions, so "Vučić" in a query meets "VUCIC" in a headline and
"Đakovica" meets "Dakovica". Folding keeps case (place names are only believed when written as names), and
``normalize`` lowercases and drops punctuation for phrase comparison. Tokens are runs of letters and digits in any
script; everything else separates words, which is what "whole words only" means here.
"""

from __future__ import annotations

import codecs
import re
import unicodedata

# Letters that NFKD leaves whole because they are not "letter + accent" in Unicode.
_SPECIAL = {
    "đ": "d", "Đ": "D", "ł": "l", "Ł": "L", "ø": "o", "Ø": "O", "ß": "ss", "ẞ": "SS", "æ": "ae", "Æ": "AE",
    "œ": "oe", "Œ": "OE", "þ": "th", "Þ": "Th", "ð": "d", "Ð": "D", "ı": "i", "ħ": "h", "Ħ": "H", "ŧ": "t",
    "Ŧ": "T", "ŋ": "n", "Ŋ": "N", "ĸ": "k", "ŀ": "l", "Ŀ": "L", "ɨ": "i", "ʻ": "", "ʼ": "",
    # Typographic punctuation, so that most Latin-script text becomes ASCII and takes the fast path.
    "’": "'", "‘": "'", "“": '"', "”": '"', "„": '"', "«": '"', "»": '"', "–": "-", "—": "-", "…": ".",
    "\u00a0": " ", "\u2009": " ", "\u202f": " ", "\u200b": "",
}  # fmt: skip
_SPECIAL_ITEMS = tuple(_SPECIAL.items())
# Combining marks of Latin, Greek and Cyrillic letters. Marks of other scripts (Devanagari vowel signs...) are
# part of the letter and stay.
_COMBINING_RE = re.compile("[\u0300-\u036f]")
# A word: letters and digits of any script, with the vowel signs and points of Indic, Thai, Arabic and Hebrew
# writing (which \w alone would treat as separators).
_WORD = r"(?:[^\W_]|[\u0591-\u05c7\u064b-\u065f\u0670\u0900-\u0963\u0966-\u0dff\u0e00-\u0eff])+"
_SPLIT_RE = re.compile(f"({_WORD})")
_ASCII_SPLIT_RE = re.compile(r"([A-Za-z0-9]+)")


def fold(text: str) -> str:
    """Remove accents and map special letters, keeping case and punctuation."""
    if text.isascii():
        return text
    if len(text.encode("utf-8", "surrogatepass")) - len(text) < len(text) // _SPARSE:
        try:
            # Mostly ASCII (an English article with a few names and quotes): the codec calls _fold_run for each
            # run of other characters only. The same result as folding the whole: decomposing and dropping
            # marks never reaches across an ASCII character.
            return text.encode("ascii", _FOLD_ERRORS).decode("ascii")
        except UnicodeError:  # a run that stays non-ASCII once folded (Cyrillic, Arabic...)
            pass
    return _fold(text)


def _fold(text: str) -> str:
    # One str.replace per special letter present: a substitution calling back per match took ~200 µs on an
    # article full of typographic quotes and dashes.
    for special, plain in _SPECIAL_ITEMS:
        if special in text:
            text = text.replace(special, plain)
    if text.isascii():
        return text
    text = unicodedata.normalize("NFKD", text)
    return text if text.isascii() else _COMBINING_RE.sub("", text)


def _fold_run(error: UnicodeError) -> tuple[str, int]:
    assert isinstance(error, UnicodeEncodeError)
    return _fold(error.object[error.start : error.end]), error.end


_FOLD_ERRORS = "newsalert.fold"
_SPARSE = 100  # other characters (counted by their extra UTF-8 bytes) at most one in this many: run by run
codecs.register_error(_FOLD_ERRORS, _fold_run)


def tokens(text: str) -> list[str]:
    """Folded, lowercased word tokens of ``text``."""
    return [t.lower() for t in split_tokens(text)[0]]


def normalize(text: str) -> str:
    """The comparable form of a phrase: folded, lowercase, words joined by single spaces.

    Idempotent: ``normalize(normalize(s)) == normalize(s)``.
    """
    out = " ".join(tokens(text))
    # Lowercasing can, for a few letters, produce a new combining mark (e.g. "İ" -> "i̇"); fold once more.
    return out if out.isascii() else " ".join(tokens(out))


def split_tokens(text: str, *, folded: bool = True) -> tuple[list[str], list[str]]:
    """Tokens of ``text`` keeping case (folded unless ``folded=False``), and the separator before each token.

    ``gaps[i]`` is the text between token ``i - 1`` and token ``i``; ``gaps[0]`` is what precedes the first token.
    The gaps tell a sentence start ("... police. Zvecan") and a "City, State" comma.
    """
    if folded:
        text = fold(text)
    parts = (_ASCII_SPLIT_RE if text.isascii() else _SPLIT_RE).split(text)
    return parts[1::2], parts[0:-1:2]
