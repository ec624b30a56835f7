"""Whether a sentence leans on the one before it, so a summary must not show it without its predecessor.

A reader who meets "He said the talks had failed." or "But the vote went ahead." without the sentence before
cannot tell who "he" is or what is being contrasted. Three signs cover nearly all such openings in news: a pronoun
or demonstrative that points back ("He", "They", "This"), a connective that continues an argument ("But",
"However", "Meanwhile"), and a quotation: one that opens the sentence (its speaker is usually named just before)
or one that only closes in it (the quote began in the previous sentence).
"""

from __future__ import annotations

import re

_BACK_POINTERS_TEXT = """he she it they we his her its their our hers theirs him them this these those such
    both neither either another"""
_CONNECTIVES_TEXT = """but and or so yet still also however meanwhile instead nevertheless nonetheless moreover
    furthermore besides otherwise then thus hence therefore indeed likewise similarly accordingly consequently
    though although regardless anyway additionally later afterwards earlier previously elsewhere now"""
_BACK_POINTERS = frozenset(_BACK_POINTERS_TEXT.split())
_CONNECTIVES = frozenset(_CONNECTIVES_TEXT.split())
# Openings of two or more words that refer back ("That is", "In addition", "As a result").
_PHRASES = re.compile(
    r"^(?:that (?:is|was|has|had|would|will|means|meant|came|comes|includes|included|number|figure)\b"
    r"|in (?:addition|turn|fact|response|contrast|the meantime|doing so|that case|this case)\b"
    r"|as a result\b|at the same time\b|on the other hand\b|despite (?:this|that|the move)\b"
    r"|because of (?:this|that)\b|after (?:that|this)\b|even so\b|not only\b|the (?:same|latter|former)\b)",
    re.IGNORECASE,
)
_EXISTENTIAL = re.compile(
    r"\s+(?:is|are|was|were|has|have|had|will|would|may|might|could|can|should|must|seem|seems|seemed|appear|"
    r"appears|appeared|remain|remains|remained|exist|exists|existed|'s|\u2019s)\b"
)
_FIRST_WORD = re.compile(r"[\"'\u201c\u2018\u00ab(\[]*([A-Za-z]+)")
_OPEN_QUOTES = '"\u201c\u00ab'
_CLOSE_QUOTES = "\u201d\u00bb"


def opens_with_quote(sentence: str) -> bool:
    """The sentence begins inside quotation marks ("\u201cWe will not leave,\u201d she said.")."""
    stripped = sentence.lstrip("([ ")
    return stripped[:1] in _OPEN_QUOTES or stripped.startswith(("''", "``", "' ", "\u2018"))


def continues_quote(sentence: str) -> bool:
    """The sentence closes a quotation it did not open: the quote began in an earlier sentence."""
    curly_open, curly_close = sentence.count("\u201c"), sentence.count("\u201d")
    if curly_open or curly_close:
        return curly_close > curly_open
    if "\u2018" not in sentence and re.search(r"[.!?,]\u2019", sentence):
        # Single curly quotes (the Daily Mail's): a closing one after punctuation with no opening one before it.
        return True
    straight = sentence.count('"')
    # An odd count of straight quotes after a start outside quotes means the sentence ends a quote from before.
    return straight % 2 == 1 and not opens_with_quote(sentence)


def leaves_quote_open(sentence: str) -> bool:
    """The sentence opens a quotation that it does not close: the quote goes on in the next sentence."""
    curly_open, curly_close = sentence.count("\u201c"), sentence.count("\u201d")
    if curly_open or curly_close:
        return curly_open > curly_close
    return sentence.count('"') % 2 == 1 and opens_with_quote(sentence)


def is_dependent(sentence: str) -> bool:
    """True when the sentence needs the one before it to be understood (see the module docstring)."""
    if opens_with_quote(sentence) or continues_quote(sentence):
        return True
    match = _FIRST_WORD.match(sentence)
    if not match:
        return False
    word = match.group(1).lower()
    if word in _BACK_POINTERS or word in _CONNECTIVES:
        return True
    if word == "there":
        # "There you can find…" points back; "There were no injuries." does not.
        return not _EXISTENTIAL.match(sentence, match.end())
    return bool(_PHRASES.match(sentence.lstrip("\"'\u201c\u2018([ ")))
