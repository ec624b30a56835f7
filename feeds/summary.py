"""Extractive, offline, deterministic summaries: 2–3 whole sentences of the article, at most ``max_chars``.

News puts the story first, and the first sentences are the strongest simple baseline (Lead-3 ≈ 40 ROUGE-1 on
CNN/DailyMail, above TextRank), so sentences are ranked by position with a lighter weight for how many of the
article's recurring words they carry. Near-repeats of the title or of a chosen sentence are dropped (feeds often
repeat the headline as the first line of the description). A text that is already short is its own summary.
"""

from __future__ import annotations

import re
from collections import Counter

from feeds.sentences import split_sentences

_WORD = re.compile(r"\w+", re.UNICODE)
_STOPWORDS_TEXT = """a an the and or but if of to in on at by for with from as is are was were be been being has have had do
    does did it its this that these those he she they we you i his her their our your them him us not no so than
    then there here which who whom whose what when where why how all any each more most other some such only own
    same too very can will just should now also said says say after before over under into out up down about
    against between during while would could may might must one two new"""
_STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
_TERMINATORS = ".!?\u2026\u3002\uff01\uff1f\u0964\u06d4\"'\u201d\u2019\u00bb)"
_ASIDES = (
    "photo:",
    "image:",
    "video:",
    "watch:",
    "listen:",
    "read more",
    "click here",
    "sign up",
    "subscribe",
    "advertisement",
    "related:",
    "file photo",
)
MIN_SENTENCE_CHARS = 25
MAX_SENTENCES = 3
LEAD_WINDOW = 12
REPEAT_OVERLAP = 0.6


def _content_words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.casefold()) if w not in _STOPWORDS and len(w) > 2}


def _overlap(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def _is_aside(text: str) -> bool:
    """A photo credit, call to action or "Related:" link rather than part of the story."""
    return text.casefold().startswith(_ASIDES)


def _usable(sentence: str) -> bool:
    """A sentence worth showing: long enough, ends like a sentence, is not an aside."""
    return len(sentence) >= MIN_SENTENCE_CHARS and sentence[-1] in _TERMINATORS and not _is_aside(sentence)


def _short_text(text: str) -> str:
    """A text short enough to be its own summary, on one line: asides dropped, and a standfirst without a full
    stop ("... showed thinly disguised contempt" then "Donald Trump has ...") ended with one so two paragraphs
    do not run into one sentence."""
    paragraphs = [" ".join(p.split()) for p in text.split("\n\n")]
    kept = [p for p in paragraphs if p and not _is_aside(p)] or [p for p in paragraphs if p]
    for index, paragraph in enumerate(kept[:-1]):
        if paragraph[-1] not in _TERMINATORS and paragraph[-1] not in ",;:\u2014\u2013-":
            kept[index] = paragraph + "."
    return " ".join(kept)


def _shorten(sentence: str, max_chars: int) -> str:
    """A single over-long sentence cut at a word boundary with an ellipsis (only when nothing else fits)."""
    cut = sentence[: max_chars - 1].rsplit(" ", 1)[0].rstrip(",;:—–- ")
    return cut + "\u2026"


def summarize(text: str, max_chars: int = 400, *, title: str = "") -> str:
    """The summary the bot sends for ``text`` (already cleaned plain text; see :func:`feeds.clean.clean_html`).

    Returns up to three whole sentences in their original order within ``max_chars``; a text of at most
    ``max_chars`` is returned whole; empty text gives an empty summary.
    """
    text = text.strip()
    if not text:
        return ""
    if len(text) <= max_chars:
        return _short_text(text)
    sentences = split_sentences(text)[: LEAD_WINDOW * 2]
    candidates = [(i, s) for i, s in enumerate(sentences) if _usable(s)][:LEAD_WINDOW]
    if not candidates:
        return _shorten(" ".join(text.split()), max_chars)

    frequency = Counter(w for _, s in candidates for w in _content_words(s))
    title_words = _content_words(title)

    def score(rank: int, sentence: str) -> float:
        words = _content_words(sentence)
        recurring = sum(1 for w in words if frequency[w] > 1) / (len(words) or 1)
        topical = _overlap(words, title_words) if title_words else 0.0
        return 1.0 / (1.0 + 0.5 * rank) + 0.25 * recurring + 0.15 * topical

    ranked = sorted(enumerate(candidates), key=lambda item: (-score(item[0], item[1][1]), item[0]))
    chosen: list[tuple[int, str]] = []
    chosen_words: list[set[str]] = []
    length = 0
    for _, (position, sentence) in ranked:
        if len(chosen) == MAX_SENTENCES:
            break
        words = _content_words(sentence)
        if title_words and len(words) <= len(title_words) + 3 and _overlap(words, title_words) >= 0.8:
            continue
        if any(_overlap(words, other) >= REPEAT_OVERLAP for other in chosen_words):
            continue
        extra = len(sentence) + (1 if chosen else 0)
        if length + extra > max_chars:
            continue
        chosen.append((position, sentence))
        chosen_words.append(words)
        length += extra
    if not chosen:
        return _shorten(candidates[0][1], max_chars)
    return " ".join(sentence for _, sentence in sorted(chosen))
