"""An article as the matcher sees it: three fields folded into one padded, lowercase string.

``low`` is " title \\x00 summary \\x00 text " with words separated by single spaces, so a pattern " word " only
meets whole words and no phrase runs from the title into the summary. The cased tokens and the separators
between them are kept for place names, which are believed only when written as names.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

from matching.normalize import split_tokens

FIELDS = ("title", "summary", "text")
SENTINEL = "\x00"


@dataclass(frozen=True, slots=True)
class Document:
    """What is matched: an article's title, summary and text (plain text)."""

    title: str
    summary: str = ""
    text: str = ""


class Prepared:
    """A document folded once for every subscription."""

    __slots__ = ("doc", "tokens", "gaps", "low", "cased", "field_starts", "_written")

    def __init__(self, doc: Document) -> None:
        self.doc = doc
        self._written: list[str] | None = None
        tokens: list[str] = []
        gaps: list[str] = []
        field_starts: list[int] = []
        for i, value in enumerate((doc.title, doc.summary, doc.text)):
            if i:
                tokens.append(SENTINEL)
                gaps.append("\n")
            field_starts.append(len(tokens))
            toks, gs = split_tokens(value or "")
            if gs:
                gs[0] = "\n"  # a field starts a sentence
            tokens += toks
            gaps += gs
        self.tokens = tokens
        self.gaps = gaps
        self.field_starts = field_starts
        cased = " " + " ".join(tokens) + " "
        low = cased.lower()
        if len(low) != len(cased):  # a letter whose lowercase is longer ("İ"): keep offsets aligned
            low = " " + " ".join(t.lower() if len(t.lower()) == len(t) else t for t in tokens) + " "
        self.cased = cased
        self.low = low

    def written(self, k: int, n: int = 1) -> str:
        """Tokens k..k+n-1 as the article wrote them (with accents: "Zvečan"), for explanations.

        Folding keeps words whole, so the unfolded text has the same tokens; if a rare character splits or joins
        words differently, the folded tokens are shown instead.
        """
        if self._written is None:
            written: list[str] = []
            for i, value in enumerate((self.doc.title, self.doc.summary, self.doc.text)):
                if i:
                    written.append(SENTINEL)
                written += split_tokens(value or "", folded=False)[0]
            self._written = written if len(written) == len(self.tokens) else self.tokens
        return " ".join(self._written[k : k + n])

    def token_at(self, pos: int) -> int:
        """Index of the token that starts at ``pos`` in ``low`` (tokens are separated by exactly one space)."""
        return self.low.count(" ", 0, pos) - 1

    def field_of_token(self, k: int) -> str:
        return FIELDS[bisect_right(self.field_starts, k) - 1]

    def field_of_pos(self, pos: int) -> str:
        return self.field_of_token(self.token_at(pos))
