"""An article as the matcher sees it: its three fields folded and tokenised once, for every subscription.

The fields are joined into one folded text, "title \\n\\x00\\n summary \\n\\x00\\n text", and scanned into tokens
(:mod:`matching.tokens`): the NUL between fields is a token of its own that matches no word, so no phrase runs
from the title into the summary. The matcher and the place finder work on the tokens' hashes, case bits and gap
bits (:class:`~matching.tokens.Scan`); the tokens as strings and the lowercase text are made only to explain a
match.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

import numpy as np

from matching.normalize import fold, split_tokens
from matching.tokens import Scan, scan

FIELDS = ("title", "summary", "text")
SENTINEL = "\x00"
_JOIN = "\n\x00\n"  # between fields: a sentence break around the sentinel token


@dataclass(frozen=True, slots=True)
class Document:
    """What is matched: an article's title, summary and text (plain text), and the names of its source (its
    feed's name and title, hosts: :func:`matching.sources.source_names`) for ``source:`` queries."""

    title: str
    summary: str = ""
    text: str = ""
    sources: tuple[str, ...] = ()


class Prepared:
    """A document folded and tokenised once for every subscription.

    ``hashes[k]`` is the hash of token k in lowercase, ``scan`` has the rest of what was read of each token;
    :meth:`token` gives the cased token.
    """

    __slots__ = ("doc", "text", "hashes", "field_starts", "scan", "_bounds", "_tokens", "_low", "_written")

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        fields = [
            fold(value.replace(SENTINEL, " ") if SENTINEL in value else value) for value in _values(doc)
        ]
        self.text = _JOIN.join(fields)
        tokens = scan(self.text)
        self.hashes = tokens.hashes
        self.scan: Scan = tokens
        summary_at = len(fields[0]) + len(_JOIN)
        text_at = summary_at + len(fields[1]) + len(_JOIN)
        self.field_starts = [0, *np.searchsorted(tokens.starts, [summary_at, text_at]).tolist()]
        self._bounds: tuple[list[int], list[int]] | None = None
        self._tokens: list[str] | None = None
        self._low: str | None = None
        self._written: list[str] | None = None

    def __len__(self) -> int:
        return len(self.scan)

    def token(self, k: int) -> str:
        """Token k as folded, in its case."""
        starts, ends = self._where()
        return self.text[starts[k] : ends[k]]

    def _where(self) -> tuple[list[int], list[int]]:
        """Where tokens start and end, as lists (numpy's scalars cost more, read one by one)."""
        if self._bounds is None:
            self._bounds = (self.scan.starts.tolist(), self.scan.ends.tolist())
        return self._bounds

    @property
    def tokens(self) -> list[str]:
        """Every token as folded, in its case."""
        if self._tokens is None:
            text = self.text
            starts, ends = self._where()
            self._tokens = [text[a:b] for a, b in zip(starts, ends, strict=True)]
        return self._tokens

    @property
    def low(self) -> str:
        """ " token token ... ": the lowercase tokens between single spaces (what explanations search)."""
        if self._low is None:
            self._low = (
                " " + " ".join(t.lower() if len(t.lower()) == len(t) else t for t in self.tokens) + " "
            )
        return self._low

    def written(self, k: int, n: int = 1) -> str:
        """Tokens k..k+n-1 as the article wrote them (with accents: "Zvečan"), for explanations.

        Folding keeps words whole, so the unfolded text has the same tokens; if a rare character splits or joins
        words differently, the folded tokens are shown instead.
        """
        if self._written is None:
            written: list[str] = []
            for i, value in enumerate(_values(self.doc)):
                if i:
                    written.append(SENTINEL)
                written += split_tokens(value.replace(SENTINEL, " "), folded=False)[0]
            self._written = written if len(written) == len(self) else self.tokens
        return " ".join(self._written[k : k + n])

    def token_at(self, pos: int) -> int:
        """Index of the token that starts at ``pos`` in :attr:`low` (tokens are separated by exactly one space)."""
        return self.low.count(" ", 0, pos) - 1

    def field_of_token(self, k: int) -> str:
        return FIELDS[bisect_right(self.field_starts, k) - 1]

    def field_of_pos(self, pos: int) -> str:
        return self.field_of_token(self.token_at(pos))

    def field_tokens(self, field: int) -> range:
        """Token indices of a field (0 title, 1 summary, 2 text), without the separator after it."""
        end = self.field_starts[field + 1] - 1 if field < 2 else len(self)
        return range(self.field_starts[field], end)


def _values(doc: Document) -> tuple[str, str, str]:
    return (doc.title or "", doc.summary or "", doc.text or "")
