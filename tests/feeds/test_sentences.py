"""The regex sentence splitter on the traps of news prose, and its speed."""

from __future__ import annotations

import time

import pytest

from feeds.sentences import split_sentences
from tests.feeds.conftest import SEED_ARTICLE


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "Maj. Gen. Angelo Michele Ristuccia said it was unacceptable. The troops stayed.",
            ["Maj. Gen. Angelo Michele Ristuccia said it was unacceptable.", "The troops stayed."],
        ),
        (
            "The U.S. President spoke on Jan. 6 in Washington. He left.",
            ["The U.S. President spoke on Jan. 6 in Washington.", "He left."],
        ),
        (
            "Sanctions were imposed by the U.S. The move angered Moscow.",
            ["Sanctions were imposed by the U.S.", "The move angered Moscow."],
        ),
        (
            "John F. Kennedy was shot in 1963. It was a Friday.",
            ["John F. Kennedy was shot in 1963.", "It was a Friday."],
        ),
        ("Growth was 3.5 percent. Prices rose!", ["Growth was 3.5 percent.", "Prices rose!"]),
        (
            '"We will not tolerate it," Meloni said. "Never." Then she left.',
            ['"We will not tolerate it," Meloni said.', '"Never."', "Then she left."],
        ),
        (
            "Dr. Smith met Mr. Jones at 5 p.m. The meeting ended.",
            ["Dr. Smith met Mr. Jones at 5 p.m.", "The meeting ended."],
        ),
        ("He cited e.g. the budget. No.", ["He cited e.g. the budget.", "No."]),
        (
            "Clashes broke out.As a result, many were hurt.",
            ["Clashes broke out.", "As a result, many were hurt."],
        ),
        ("भारत में बारिश हुई। लोग खुश हैं।", ["भारत में बारिश हुई।", "लोग खुश हैं।"]),
        ("First paragraph\nSecond paragraph.", ["First paragraph", "Second paragraph."]),
    ],
)
def test_split(text: str, expected: list[str]) -> None:
    assert split_sentences(text) == expected


def test_fast_enough_for_every_item() -> None:
    """pysbd needs ~74 ms per 1,000 words; ours must be far below that to run at ingest."""
    text = SEED_ARTICLE.read_text("utf-8") * 2  # ~1,100 words
    started = time.perf_counter()
    for _ in range(50):
        split_sentences(text)
    per_call = (time.perf_counter() - started) / 50
    assert per_call < 0.005
