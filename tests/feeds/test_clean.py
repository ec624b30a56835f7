"""HTML to text: entities, scripts, broken lines, doubled stops, datelines, boilerplate."""

from __future__ import annotations

import pytest

from feeds.clean import clean_html, clean_title
from tests.feeds.conftest import SEED_ARTICLE


def test_tags_scripts_styles_and_entities() -> None:
    markup = (
        "<style>p{color:red}</style><p>Fish &amp; chips&nbsp;&#8212; &quot;great&quot;.</p>"
        "<script>alert('x. Y.')</script><!-- note --><p>Second <b>para</b>.</p>"
    )
    assert clean_html(markup) == 'Fish & chips \u2014 "great".\n\nSecond para.'


def test_block_elements_become_paragraphs_and_br_joins_inside_a_sentence() -> None:
    assert clean_html(
        "<div>One line<br>continues here.</div><ul><li>Item one.</li><li>Item two.</li></ul>"
    ) == ("One line continues here.\n\nItem one.\n\nItem two.")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("troops in equipment for\n\nriots placed wire.", "troops in equipment for riots placed wire."),
        ("A line\nbroken here.", "A line broken here."),
        ("Heading\n\nBody starts here.", "Heading\n\nBody starts here."),
        ("First sentence.\nSecond sentence.", "First sentence.\n\nSecond sentence."),
        ("peace-\nkeepers arrived.", "peacekeepers arrived."),
    ],
)
def test_hard_line_breaks(raw: str, expected: str) -> None:
    assert clean_html(raw) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("of the region.. As a result", "of the region. As a result"),
        ("He paused... then spoke.", "He paused... then spoke."),
        ("End of text..", "End of text."),
    ],
)
def test_doubled_full_stops(raw: str, expected: str) -> None:
    assert clean_html(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        " date 2023-06-15 06:40 30 May Kyiv, Ukraine\n\nIn the north of Kosovo, clashes broke out.",
        "Updated: 15 June 2023, 06:40\n\nIn the north of Kosovo, clashes broke out.",
        "KOSOVSKA MITROVICA, Kosovo (AP) \u2014 In the north of Kosovo, clashes broke out.",
        "Pristina (Reuters) - In the north of Kosovo, clashes broke out.",
        "[allAfrica] In the north of Kosovo, clashes broke out.",
    ],
)
def test_leading_datelines_are_removed(raw: str) -> None:
    assert clean_html(raw) == "In the north of Kosovo, clashes broke out."


def test_ordinary_first_sentences_are_not_mistaken_for_datelines() -> None:
    text = "On 30 May police moved in. Nobody was hurt."
    assert clean_html(text) == text
    assert clean_html("Meanwhile - and this matters - the vote went ahead.") == (
        "Meanwhile - and this matters - the vote went ahead."
    )


def test_feed_footers_are_removed() -> None:
    assert clean_html(
        "<p>The vote went ahead.</p><p>The post Vote held appeared first on Example News.</p>"
    ) == ("The vote went ahead.")
    assert clean_html("The vote went ahead. [&#8230;]") == "The vote went ahead."
    assert clean_html("<p>The vote went ahead.</p><p>Continue reading...</p>") == "The vote went ahead."


def test_whitespace_and_invisible_characters() -> None:
    assert clean_html("Zero\u200bwidth \t  and\u00a0nbsp , here .") == "Zerowidth and nbsp, here."


def test_title_is_one_line() -> None:
    assert clean_title("  Breaking:\n <b>Kosovo</b> &amp; Serbia ") == "Breaking: Kosovo & Serbia"
    assert clean_title(None) == ""


def test_seed_article_is_clean() -> None:
    text = clean_html(SEED_ARTICLE.read_text("utf-8"))
    assert text.startswith("In the north of partially recognized Kosovo")
    assert "2023-06-15" not in text
    assert ".." not in text
    assert "equipment for riots placed barbed wire" in text
    assert "\n\n\n" not in text
    assert all("\n" not in paragraph for paragraph in text.split("\n\n"))
