"""Extractive, offline, deterministic summaries: whole sentences of the article, at most ``max_chars``.

News puts the story first, and the first sentences are the strongest simple baseline (Lead-3 ≈ 40 ROUGE-1 on
CNN/DailyMail, above TextRank), so sentences are ranked by position with a lighter weight for how many of the
article's salient words (frequent in it, or in its title) they carry. Three rules keep the result readable:

- a sentence that leans on the one before ("He said…", "But…", a quote continued; feeds.dependency) is shown
  with its predecessor or not at all, so no summary opens a thought in the middle;
- photo captions (feeds.furniture) and asides ("Related:", "Photo:") are never shown;
- sentences are added, best first, while they fit, so the budget is filled without cutting one (short ones such
  as "He was 84." included).

Near-repeats of the title or of a chosen sentence are dropped (feeds often repeat the headline as the first line
of the description). A text that is already short is its own summary. See bench/summaries.py for the figures.
"""

from __future__ import annotations

import re
from collections import Counter

from feeds.dependency import is_dependent, leaves_quote_open
from feeds.furniture import is_caption
from feeds.sentences import split_sentences

_WORD = re.compile(r"\w+", re.UNICODE)
_STOPWORDS_TEXT = """a an the and or but if of to in on at by for with from as is are was were be been being has have had do
    does did it its this that these those he she they we you i his her their our your them him us not no so than
    then there here which who whom whose what when where why how all any each more most other some such only own
    same too very can will just should now also said says say after before over under into out up down about
    against between during while would could may might must one two new"""
_STOPWORDS = frozenset(_STOPWORDS_TEXT.split())
_TERMINATORS = ".!?\u2026\u3002\uff01\uff1f\u0964\u06d4\"'\u201d\u2019\u00bb)"
_STOPS = ".!?\u2026\u3002\uff01\uff1f\u0964\u06d4"
_CLOSERS = "\"'\u201d\u2019\u00bb)]"
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
MIN_SENTENCE_CHARS = 8
SHORT_CHARS = 40
MAX_SENTENCES = 5
LEAD_WINDOW = 5
LEAD_CHARS = 3000
MAX_CHAIN = 3
REPEAT_OVERLAP = 0.6
POSITION_DECAY = 0.5
SALIENCE_WEIGHT = 1.0
SALIENCE_CAP = 3
SALIENCE_LENGTH = 0.5


def _content_words(text: str) -> set[str]:
    return {w for w in _WORD.findall(text.casefold()) if w not in _STOPWORDS and len(w) > 2}


def _overlap(a: set[str], b: set[str]) -> float:
    if not a or not b:
        return 0.0
    return len(a & b) / min(len(a), len(b))


def _is_aside(text: str) -> bool:
    """A photo credit, call to action or "Related:" link rather than part of the story."""
    return text.casefold().startswith(_ASIDES)


def _ends_sentence(sentence: str) -> bool:
    """Ends with a full stop (or ! ? …), perhaps inside closing quotes or brackets: "…said." or "…leave.’"; a
    caption that merely ends on a quoted title ("…dubbed ‘The First Great Escape’") does not."""
    stripped = sentence.rstrip(_CLOSERS)
    return bool(stripped) and stripped[-1] in _STOPS


def _usable(sentence: str) -> bool:
    """A sentence worth showing: two words or more, ends like a sentence, is neither an aside nor a caption."""
    return (
        len(sentence) >= MIN_SENTENCE_CHARS
        and " " in sentence
        and _ends_sentence(sentence)
        and not _is_aside(sentence)
        and not is_caption(sentence)
    )


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


def _leans_back(sentences: list[str], index: int) -> bool:
    """The sentence depends on the one before it; a heading before it ("Chris Truax at The Hill", no full stop)
    is not something a sentence leans on, so it starts afresh there."""
    return index > 0 and is_dependent(sentences[index]) and _ends_sentence(sentences[index - 1])


def _units(sentences: list[str], usable: list[bool]) -> list[list[int]]:
    """For each sentence, the sentences it must be shown with: the predecessors it leans on, itself, and the
    sentences that finish a quotation it leaves open (empty when one of those cannot be shown, or the chain is
    longer than ``MAX_CHAIN``)."""
    units: list[list[int]] = []
    for index in range(len(sentences)):
        start = index
        while start > 0 and index - start < MAX_CHAIN and _leans_back(sentences, start):
            start -= 1
        end = index
        while end < len(sentences) and end - start < MAX_CHAIN and leaves_quote_open(sentences[end]):
            end += 1
        chain = list(range(start, end + 1))
        whole = not _leans_back(sentences, start) and end < len(sentences)
        whole = whole and not leaves_quote_open(sentences[end])
        units.append(chain if whole and all(usable[i] for i in chain) else [])
    return units


def _salience(sentences: list[str], text: str, title: str) -> list[float]:
    """How much of each sentence is the article's salient vocabulary: words that recur in the whole ``text``, or
    are in the title. Dividing by the square root of the sentence's word count favours sentences dense in them
    without favouring short ones outright."""
    frequency = Counter(w for w in _WORD.findall(text.casefold()) if w not in _STOPWORDS and len(w) > 2)
    title_words = _content_words(title)
    scores = []
    for sentence in sentences:
        ws = _content_words(sentence)
        if not ws:
            scores.append(0.0)
            continue
        recurring = sum(min(frequency[w] - 1, SALIENCE_CAP) for w in ws) / (
            SALIENCE_CAP * len(ws) ** SALIENCE_LENGTH
        )
        topical = _overlap(ws, title_words) if title_words else 0.0
        scores.append(recurring + 0.6 * topical)
    return scores


def _lead_sentences(text: str) -> list[str]:
    """The sentences up to the ``LEAD_WINDOW``-th one worth showing (headings and kickers before it do not count),
    splitting only as much of a long text as they can need."""
    sentences = split_sentences(text[:LEAD_CHARS])
    if len(text) > LEAD_CHARS and len(sentences) > 1:
        sentences = sentences[:-1]
    shown = 0
    for index, sentence in enumerate(sentences):
        shown += _usable(sentence)
        if shown == LEAD_WINDOW:
            return sentences[: index + 1]
    return sentences


def summarize(text: str, max_chars: int = 400, *, title: str = "") -> str:
    """The summary the bot sends for ``text`` (already cleaned plain text; see :func:`feeds.clean.clean_html`).

    Returns whole sentences in their original order within ``max_chars`` (at most ``MAX_SENTENCES``); a text of at
    most ``max_chars`` is returned whole; empty text gives an empty summary.
    """
    text = text.strip()
    if not text:
        return ""
    if len(text) <= max_chars:
        return _short_text(text)
    sentences = _lead_sentences(text)
    usable = [_usable(s) for s in sentences]
    if not any(usable):
        return _shorten(" ".join(text.split()), max_chars)
    units = _units(sentences, usable)
    salience = _salience(sentences, text, title)
    title_words = _content_words(title)
    words = [_content_words(s) for s in sentences]

    def score(index: int) -> float:
        return 1.0 / (1.0 + POSITION_DECAY * index) + SALIENCE_WEIGHT * salience[index]

    def is_title_repeat(index: int) -> bool:
        ws = words[index]
        return bool(title_words) and len(ws) <= len(title_words) + 3 and _overlap(ws, title_words) >= 0.8

    # Short units ("On Jimmy Kimmel Live!", "Nobody was hurt.") only fill what the longer ones leave: ranked first,
    # a kicker or heading would take the lead and push out the sentence that tells the story.
    def is_short(index: int) -> bool:
        return sum(len(sentences[i]) for i in units[index]) < SHORT_CHARS

    ranked = sorted((i for i in range(len(sentences)) if units[i]), key=lambda i: (is_short(i), -score(i), i))
    chosen: set[int] = set()
    length = -1
    for index in ranked:
        new = [i for i in units[index] if i not in chosen]
        if not new or len(chosen) + len(new) > MAX_SENTENCES:
            continue
        if any(is_title_repeat(i) for i in new):
            continue
        if any(_overlap(words[i], words[j]) >= REPEAT_OVERLAP for i in new for j in chosen):
            continue
        extra = sum(len(sentences[i]) + 1 for i in new)
        if length + extra > max_chars:
            continue
        chosen.update(new)
        length += extra
    if not chosen:
        first = next(s for s, ok in zip(sentences, usable, strict=True) if ok)
        return _shorten(first, max_chars)
    return " ".join(sentences[i] for i in sorted(chosen))
