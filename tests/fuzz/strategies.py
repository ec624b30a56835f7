"""Hypothesis strategies for hostile text: what users type and what feeds carry.

Plain random Unicode rarely hits the characters that break chat bots, so these mix it with the ones that do:
bidirectional overrides and marks, zero-width joiners and spaces, a BOM, emoji sequences and flags, NUL and other
control characters, HTML and entity fragments, quotes and backslashes. Lengths reach 10,000 characters.
"""

from __future__ import annotations

from hypothesis import strategies as st

TRICKY = [
    "\u200f",  # right-to-left mark
    "\u200e",  # left-to-right mark
    "\u202e",  # right-to-left override
    "\u2066",  # left-to-right isolate
    "\u200d",  # zero-width joiner
    "\u200b",  # zero-width space
    "\ufeff",  # BOM
    "\x00",
    "\x07",
    "\x1b[31m",
    "\r\n",
    "\t",
    "😀",
    "👩\u200d👩\u200d👧",
    "🇽🇰",
    "ש",
    "مرحبا",
    "Zvečan",
    "Звечан",
    "<",
    ">",
    "&",
    "&amp;",
    "&lt;",
    "&#0;",
    "&nbsp;",
    "<b>",
    "</b>",
    "<a href='javascript:x'>",
    '"',
    "'",
    "`",
    "```",
    "\\",
    "*",
    "_",
    "@",
    "%s",
    "{0}",
    " ",
]

_piece = st.one_of(st.characters(exclude_categories=("Cs",)), st.sampled_from(TRICKY))
short_text = st.lists(_piece, max_size=40).map("".join)
_chunk = st.lists(_piece, min_size=1, max_size=30).map("".join)


def _repeat(chunk: str, length: int) -> str:
    return (chunk * (length // len(chunk) + 1))[:length]


long_text = st.builds(_repeat, _chunk, st.integers(min_value=200, max_value=10_000))
hostile_text = st.one_of(short_text, short_text, long_text)
