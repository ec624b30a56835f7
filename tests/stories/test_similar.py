"""The text and URL normalisation story grouping shares: folded words, source suffixes, canonical URLs."""

from __future__ import annotations

import pytest

from matching.similar import canonical_url, content_words, strip_source_suffix, url_key, words


def test_words_fold_case_accents_punctuation_and_possessives() -> None:
    assert words("Zvečan: KFOR’s troops — “injured”, Đoković!") == [
        "zvecan",
        "kfor",
        "troops",
        "injured",
        "dokovic",
    ]
    assert words("Straße-Übernahme") == ["strasse", "ubernahme"]


def test_words_join_thousands_separators() -> None:
    assert words("5,000 people and 1.250.000 euros") == words("5000 people and 1250000 euros")


def test_content_words_drop_stopwords_and_single_letters() -> None:
    assert content_words("The U.S. and Iran wrap up talks in Geneva") == ["iran", "wrap", "talks", "geneva"]
    assert content_words("Die Grünen fordern 5 Prozent") == ["grunen", "fordern", "5", "prozent"]


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Sri Lanka scraps lawmaker pensions - Reuters", "Sri Lanka scraps lawmaker pensions"),
        ("China grants visa-free entry | AP News", "China grants visa-free entry"),
        ("Fireworks shop blast kills 8 in China (AFP)", "Fireworks shop blast kills 8 in China"),
        ("Iran - US talks", "Iran - US talks"),  # too little left to compare: kept whole
        ("Trump: the first year, as seen from Europe", "Trump: the first year, as seen from Europe"),
    ],
)
def test_strip_source_suffix(title: str, expected: str) -> None:
    assert strip_source_suffix(title) == expected


@pytest.mark.parametrize(
    ("a", "b"),
    [
        (
            "https://www.Example.com/world/story/?utm_source=rss&id=7#comments",
            "http://example.com/world/story?id=7",
        ),
        ("https://m.example.com/a/b/amp/", "https://example.com/a/b"),
        ("https://example.com/a?b=2&a=1&fbclid=xyz", "https://example.com/a?a=1&b=2"),
        ("https://example.com:443/a", "https://example.com/a"),
    ],
)
def test_canonical_url_equates_decorated_copies(a: str, b: str) -> None:
    assert canonical_url(a) == canonical_url(b)
    assert url_key(a) == url_key(b)


def test_canonical_url_keeps_what_identifies_the_page() -> None:
    assert canonical_url("https://example.com/article?id=1") != canonical_url(
        "https://example.com/article?id=2"
    )
    assert canonical_url("https://example.com/a") != canonical_url("https://example.org/a")
    assert url_key("") is None
    assert url_key("https://www.example.com/") is None  # a front page identifies no story
    assert url_key("https://example.com/?p=12") is not None
