"""Page furniture: every row of feeds.furniture's tables removes what it names, through clean_html, and only that."""

from __future__ import annotations

import pytest

from feeds import furniture
from feeds.clean import clean_html

BODY = "Police said the road would reopen on Monday."

# (row name, raw text as a feed or page carries it, the clean text expected)
CASES = [
    ("glued tag", "(CNN)Police said the road would reopen on Monday.", BODY),
    ("glued tag", "Tokyo (CNN)Police said the road would reopen on Monday.", BODY),
    ("glued tag", "Chao Hu, Anhui, China (CNN)Police said the road would reopen on Monday.", BODY),
    ("glued tag", "(Rolling Stone)Police said the road would reopen on Monday.", BODY),
    ("agency tag", "(CNN) -- Police said the road would reopen on Monday.", BODY),
    ("agency tag", "(CNN) Police said the road would reopen on Monday.", BODY),
    ("agency tag", "WASHINGTON (Reuters) - Police said the road would reopen on Monday.", BODY),
    ("agency tag", "LONDON (AP) \u2014 Police said the road would reopen on Monday.", BODY),
    ("agency tag", "Kyiv (AFP) \u2013 Police said the road would reopen on Monday.", BODY),
    ("tagged dateline", "Pristina (Beta) - Police said the road would reopen on Monday.", BODY),
    ("dateline", "KOSOVSKA MITROVICA, Kosovo \u2014 Police said the road would reopen on Monday.", BODY),
    ("agency byline", "By Jane Doe, CNN Police said the road would reopen on Monday.", BODY),
    ("agency byline", "By Jane Doe and John Roe, CNN -- Police said the road would reopen on Monday.", BODY),
    ("spaced byline", "By . Daily Mail Reporter . Police said the road would reopen on Monday.", BODY),
    (
        "published stamp",
        "PUBLISHED: . 14:11 EST, 25 October 2013 . | . UPDATED: . 15:36 EST, 25 October 2013 . "
        "Police said the road would reopen on Monday.",
        BODY,
    ),
    ("date stamp", "March 10, 2015 . Police said the road would reopen on Monday.", BODY),
    (
        "date stamp",
        "18 March 2014 Last updated at 09:22 GMT Police said the road would reopen on Monday.",
        BODY,
    ),
    ("source tag", "[allAfrica] Police said the road would reopen on Monday.", BODY),
    (
        "share bar",
        "Share this withEmailFacebookMessengerTwitterPinterestWhatsAppLinkedinCopy this link"
        "Police said the road would reopen on Monday.",
        BODY,
    ),
    (
        "media playback",
        "Media playback is not supported on this devicePolice said the road would reopen on Monday.",
        BODY,
    ),
    (
        "scroll down",
        "The road was shut. Scroll down for video. Police said the road would reopen on Monday.",
        "The road was shut.\n\nPolice said the road would reopen on Monday.",
    ),
    (
        "external links",
        "Police said the road would reopen on Monday.These are external links and will open in a new window",
        BODY,
    ),
    ("image copyright", "Image copyright Getty Images\nPolice said the road would reopen on Monday.", BODY),
    ("image caption", "Image caption The closed road.\nPolice said the road would reopen on Monday.", BODY),
    ("image credit", "Police said the road would reopen on Monday. (Image credit: Jane Doe/Example)", BODY),
    (
        "read more",
        "The road was shut. Read more: Why roads close . Police said the road would reopen on Monday.",
        "The road was shut.\n\nPolice said the road would reopen on Monday.",
    ),
    ("read more", "Police said the road would reopen on Monday.\nREAD MORE: Roads in the region", BODY),
    ("click here", "Police said the road would reopen on Monday. Click here to see the map.", BODY),
    (
        "follow us",
        "Police said the road would reopen on Monday. Follow @ExampleNews on Twitter for updates.",
        BODY,
    ),
    ("watch line", "Watch: Who closed the road?\nPolice said the road would reopen on Monday.", BODY),
    (
        "advert line",
        "Police said the road would reopen on Monday.\nAdvertisement\nIt had been shut for a week.",
        "Police said the road would reopen on Monday.\n\nIt had been shut for a week.",
    ),
    ("last updated", "Last updated at 09:22 GMT\nPolice said the road would reopen on Monday.", BODY),
]


@pytest.mark.parametrize(("name", "raw", "expected"), CASES, ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_each_row_removes_its_furniture(name: str, raw: str, expected: str) -> None:
    assert clean_html(raw) == expected


def test_every_row_of_the_tables_has_a_case() -> None:
    rows = {row.name for row in (*furniture.LEAD, *furniture.INLINE)}
    assert rows <= {case[0] for case in CASES}


@pytest.mark.parametrize(
    "text",
    [
        "Barack Obama (pictured) said the road would reopen.",
        "Jamie Silvonek (left), 14, and Caleb Barnes (right) have been charged.",
        "The Algerian holiday resort (file photo) was empty.",
        "Pictured: the road that was closed on Monday.",
    ],
)
def test_captions_are_recognised(text: str) -> None:
    assert furniture.is_caption(text)


@pytest.mark.parametrize(
    "text",
    [
        "Police said the road (which was closed) would reopen.",
        "The Associated Press (AP) said the road would reopen.",
        "He turned left at the junction.",
    ],
)
def test_ordinary_sentences_are_not_captions(text: str) -> None:
    assert not furniture.is_caption(text)


def test_a_caption_glued_to_the_next_sentence_comes_apart() -> None:
    raw = "Divorcees retire on a lower income than a colleague The cost of divorce can wreck retirement."
    assert (
        clean_html(raw)
        == "Divorcees retire on a lower income than a colleague\n\nThe cost of divorce can wreck retirement."
    )


@pytest.mark.parametrize(
    "text",
    [
        "Police in Washington (D.C.) said the road would reopen.",
        "The Read more campaign starts on Monday.",
        "She will watch the vote on Monday.",
        "They published the figures on 25 October 2013.",
        "The Mail on Sunday said the road would reopen.",
        "Reuters reported that the road would reopen on Monday.",
    ],
)
def test_prose_that_looks_like_furniture_stays(text: str) -> None:
    assert clean_html(text) == text


def test_long_text_without_full_stops_stays_fast() -> None:
    import time

    started = time.perf_counter()
    clean_html("word click " * 200_000)
    assert time.perf_counter() - started < 5
