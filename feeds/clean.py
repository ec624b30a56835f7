"""Turn feed HTML into plain text that reads well in a Telegram message and splits into sentences cleanly.

Feed descriptions are HTML fragments written by CMSes with their own habits: hard line breaks in the middle of a
sentence, doubled full stops, a dateline glued to the first sentence, "The post ... appeared first on ..." footers.
Every one of those shows up verbatim in an alert unless removed here, and the summariser relies on the output
being paragraphs separated by one blank line with no line breaks inside them.
"""

from __future__ import annotations

import html
import re
import unicodedata

from feeds.furniture import split_glued_captions, strip_inline, strip_lead

_DROP_BLOCKS = re.compile(
    r"<(script|style|noscript|template|iframe|object|svg|math|head|title|figcaption)\b[^>]*>.*?</\1\s*>",
    re.IGNORECASE | re.DOTALL,
)
_COMMENT = re.compile(r"<!--.*?-->|<!\[CDATA\[|\]\]>", re.DOTALL)
_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
_BLOCK = re.compile(
    r"</?(p|div|section|article|header|footer|aside|blockquote|pre|h[1-6]|ul|ol|li|dl|dt|dd|table|tr|td|th|"
    r"figure|hr|address|main|nav)\b[^>]*>",
    re.IGNORECASE,
)
_TAG = re.compile(r"</?[A-Za-z][^>]*>|<![^>]*>|<\?[^>]*>")
_INVISIBLE = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff\u00ad"), None)
_SPACES = re.compile(r"[ \t\f\v\u00a0\u2000-\u200a\u202f\u205f\u3000]+")
_BLANK_LINES = re.compile(r"\n\s*\n")
_DOUBLE_STOP = re.compile(r"(?<![.\u2026])\.\.(?![.\u2026])")
_SPACE_BEFORE_PUNCT = re.compile(r" +([,;:!?](?:\s|$)|\.(?:\s|$))")
_TERMINAL = ".!?:;\u2026\u3002\uff01\uff1f\u0964\u06d4\"'\u201d\u2019\u00bb)]"

# A first paragraph that is only a date/time stamp, perhaps with a place: "date 2023-06-15 06:40 30 May Kyiv, Ukraine".
_DATE_TOKEN = (
    r"(?:\d{4}-\d{2}-\d{2}|\d{1,2}[./]\d{1,2}[./]\d{2,4}|\d{1,2}:\d{2}|"
    r"\d{1,2}\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*|"
    r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)[a-z]*\.?\s+\d{1,2})"
)
_STAMP_LINE = re.compile(
    rf"^\s*(?:(?:date|dated|updated|published|posted|last updated|time)\b\s*:?\s*)?{_DATE_TOKEN}[^.!?\n]{{0,80}}$",
    re.IGNORECASE,
)
_BOILERPLATE = [
    re.compile(r"\s*The post .{1,300}? appeared first on .{1,200}?\.?\s*$", re.DOTALL),
    re.compile(
        r"\s*(?:Continue reading|Read more|Read the full (?:story|article)|Keep reading)\s*(?:\.\.\.|\u2026|\u00bb|>>|\u2192)?\s*$",
        re.IGNORECASE,
    ),
    re.compile(r"\s*\[(?:\.\.\.|\u2026|&hellip;)\]\s*$"),
]


def html_to_text(markup: str) -> str:
    """Plain text of an HTML fragment: tags, scripts and styles gone, entities decoded, block elements as breaks."""
    if "<" in markup:
        markup = _DROP_BLOCKS.sub(" ", markup)
        markup = _COMMENT.sub(" ", markup)
        markup = _BREAK.sub("\n", markup)
        markup = _BLOCK.sub("\n\n", markup)
        markup = _TAG.sub("", markup)
    if "&" in markup:
        markup = html.unescape(markup)
    return markup


def _ends_sentence(text: str) -> bool:
    return bool(text) and text[-1] in _TERMINAL


def _starts_continuation(text: str) -> bool:
    first = text[:1]
    return bool(first) and (first.islower() or first in ",;)\u2014\u2013")


def _join_broken_lines(text: str) -> list[str]:
    """Paragraphs, with line breaks that fall inside a sentence joined back into it."""
    paragraphs: list[str] = []
    for line in text.split("\n"):
        line = line.strip()
        if not line:
            if paragraphs and paragraphs[-1] != "":
                paragraphs.append("")
            continue
        if not paragraphs:
            paragraphs.append(line)
            continue
        blank_before = paragraphs[-1] == ""
        previous = paragraphs[-2] if blank_before else paragraphs[-1]
        # A break belongs inside a sentence when the text before it is unfinished and the text after it
        # continues in lower case ("troops in equipment for\n\nriots placed ..."); a single hard break after
        # unfinished text also joins, except after what looks like a heading (a blank line follows headings).
        joins = not _ends_sentence(previous) and (_starts_continuation(line) or not blank_before)
        if joins:
            if blank_before:
                paragraphs.pop()
            if previous.endswith("-") and line[:1].islower() and not previous.endswith(" -"):
                paragraphs[-1] = previous[:-1] + line
            else:
                paragraphs[-1] = previous + " " + line
        elif blank_before:
            paragraphs[-1] = line
        else:
            paragraphs.append(line)
    return [p for p in paragraphs if p]


def _strip_dateline(paragraphs: list[str]) -> list[str]:
    while (
        paragraphs and len(paragraphs) > 1 and _STAMP_LINE.match(paragraphs[0]) and len(paragraphs[0]) <= 100
    ):
        paragraphs = paragraphs[1:]
    if paragraphs:
        stripped = strip_lead(paragraphs[0])
        if stripped != paragraphs[0] and len(stripped) >= 20:
            paragraphs = [stripped[0].upper() + stripped[1:], *paragraphs[1:]]
    return paragraphs


def _strip_boilerplate(paragraphs: list[str]) -> list[str]:
    while paragraphs:
        last = paragraphs[-1]
        for pattern in _BOILERPLATE:
            last = pattern.sub("", last)
        if last == paragraphs[-1]:
            break
        paragraphs = paragraphs[:-1] + ([last] if last.strip() else [])
    return paragraphs


def normalize_text(text: str) -> str:
    """Tidy plain text: one space between words, paragraphs split by one blank line, datelines, page furniture
    (feeds.furniture) and ".." fixed."""
    text = unicodedata.normalize("NFC", text).translate(_INVISIBLE)
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u2028", "\n").replace("\u2029", "\n\n")
    text = _SPACES.sub(" ", text)
    text = _BLANK_LINES.sub("\n\n", strip_inline(text))
    paragraphs = _join_broken_lines(text)
    paragraphs = _strip_boilerplate(_strip_dateline(paragraphs))
    paragraphs = [piece for paragraph in paragraphs for piece in split_glued_captions(paragraph)]
    cleaned = []
    for paragraph in paragraphs:
        paragraph = _DOUBLE_STOP.sub(".", paragraph)
        paragraph = _SPACE_BEFORE_PUNCT.sub(r"\1", paragraph)
        cleaned.append(paragraph.strip())
    return "\n\n".join(p for p in cleaned if p)


def clean_html(markup: str | None) -> str:
    """Plain, normalised text of a feed's HTML (or plain-text) field; empty for None."""
    if not markup:
        return ""
    return normalize_text(html_to_text(markup))


def clean_title(title: str | None) -> str:
    """A title on one line: markup and entities resolved, whitespace collapsed."""
    if not title:
        return ""
    return " ".join(normalize_text(html_to_text(title)).split())
