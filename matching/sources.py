"""``source:NAME`` in a query: which feeds an article may come from, matched on the feed's names and hosts.

An article's source goes by several names (:func:`source_names`): the feed's configured name and its title
("Reuters World"), and the hosts of the feed, its site and the article itself ("reuters.com",
"feeds.bbci.co.uk"). ``source:NAME`` matches, case- and accent-insensitively, when NAME's words are whole
consecutive words of a name (``source:reuters`` and ``source:"reuters world"`` match "Reuters World", not
"Reutersville"), or when NAME's last word begins a label of a host, after any others matching the labels before
it (``source:reuters`` matches reuters.com, ``source:bbc`` feeds.bbci.co.uk, ``source:reuters.com``
www.reuters.com, ``source:ap`` apnews.com). Several ``source:`` in one query are alternatives (an article has one
source); ``-source:NAME`` excludes a source.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from urllib.parse import urlsplit

from matching.normalize import fold

MAX_SOURCE_CHARS = 60
# Refusals of the query parser (matching.query) for source:, in one place.
SOURCE_EMPTY = "source: needs a name right after the colon, e.g. source:reuters."
SOURCE_TOO_LONG = f"A source: name is at most {MAX_SOURCE_CHARS} characters."
SOURCE_OR = (
    "OR can't join source:; several source: are already alternatives, like: kosovo source:bbc source:reuters."
)
SOURCE_ALONE = "source: only narrows a query: add what to look for, like source:reuters kosovo."
_WORD = re.compile(r"[^\W_]+")


def source_key(name: str) -> str:
    """NAME as a query keeps it: folded, lowercase, its words (letters and digits) joined by single spaces, dots
    kept between the parts of a host ("Reuters.com" -> "reuters.com", "BBC  News" -> "bbc news")."""
    words = []
    for part in fold(name).lower().split():
        labels = [" ".join(_WORD.findall(label)) for label in part.split(".")]
        words.append(".".join(label for label in labels if label))
    return " ".join(word for word in words if word)


def source_names(*names: str | None, urls: Iterable[str | None] = ()) -> tuple[str, ...]:
    """What an article's source is called: the given names as they are, and each URL's host without ``www.``."""
    found: list[str] = [name for name in names if name]
    for url in urls:
        try:
            host = urlsplit(url or "").hostname
        except ValueError:
            host = None
        if host:
            found.append(host.removeprefix("www."))
    return tuple(dict.fromkeys(found))


def source_matches(key: str, names: Sequence[str]) -> bool:
    """Whether a ``source:`` key (:func:`source_key`) names one of an article's :func:`source_names`."""
    if not key:
        return False
    wanted = key.replace(".", " ").split()
    host_like = "." in key or " " not in key
    for name in names:
        folded = fold(name).lower()
        if _run_in(wanted, _WORD.findall(folded), prefix_last=False):
            return True
        host = folded.strip()
        if (
            host_like
            and "." in host
            and " " not in host
            and _run_in(wanted, host.split("."), prefix_last=True)
        ):
            return True
    return False


def _run_in(wanted: list[str], words: list[str], *, prefix_last: bool) -> bool:
    """``wanted`` as consecutive items of ``words`` (its last may only begin its item, if ``prefix_last``)."""
    n = len(wanted)
    for start in range(len(words) - n + 1):
        window = words[start : start + n]
        if window[:-1] != wanted[:-1]:
            continue
        last = window[-1]
        if last == wanted[-1] or (prefix_last and last.startswith(wanted[-1])):
            return True
    return False


@dataclass(frozen=True, slots=True)
class SourceFilter:
    """The ``source:`` part of one query: articles from one of ``allowed`` (if any) and none of ``refused``."""

    allowed: tuple[str, ...] = ()
    refused: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.allowed or self.refused)

    @property
    def description(self) -> str:
        """The filter in words, to append to a query's description ("" when there is none)."""
        text = ""
        if self.allowed:
            text += " Only from sources named " + " or ".join(f"“{key}”" for key in self.allowed) + "."
        if self.refused:
            text += " Not from " + " or ".join(f"“{key}”" for key in self.refused) + "."
        return text

    def admits(self, names: Sequence[str]) -> bool:
        if any(source_matches(key, names) for key in self.refused):
            return False
        return not self.allowed or any(source_matches(key, names) for key in self.allowed)
