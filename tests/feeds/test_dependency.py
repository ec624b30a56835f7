"""Which sentences lean on the one before: pronouns, connectives, quotations opened or continued."""

from __future__ import annotations

import pytest

from feeds.dependency import continues_quote, is_dependent, leaves_quote_open, opens_with_quote


@pytest.mark.parametrize(
    "sentence",
    [
        "He said the talks had failed.",
        "They were taken to hospital.",
        "This is the third attack this year.",
        "But the vote went ahead.",
        "However, the minister resigned.",
        "Meanwhile, rescuers searched the rubble.",
        "In addition, two bridges were closed.",
        "As a result, flights were cancelled.",
        'That is where my sense of urgency comes from," he said.',
        "\u201cWe will not leave,\u201d she said.",
        '"We will not leave," she said.',
        "\u2018We are ready to pay on April 9,\u2019 he said.",
        "It was the worst flood in a century.",
        "There you can find cheaper food and shopping options.",
    ],
)
def test_dependent_openings(sentence: str) -> None:
    assert is_dependent(sentence)


@pytest.mark.parametrize(
    "sentence",
    [
        "Police in Kosovo used tear gas on Monday.",
        "The Palestinian Authority joined the court on Wednesday.",
        "NATO said 30 peacekeepers were injured.",
        "Hospitals reported a shortage of blood.",
        'Officials said the "temporary" closure would last a week.',
        "Thereafter is not a word this list knows, but Theresa May is a name.",
        "There were no injuries.",
    ],
)
def test_standalone_openings(sentence: str) -> None:
    assert not is_dependent(sentence)


def test_quote_helpers() -> None:
    assert opens_with_quote("\u201cNo,\u201d he said.")
    assert not opens_with_quote("He said \u201cno\u201d.")
    assert continues_quote("That is all.\u201d")
    assert continues_quote('That is all," he said.')
    assert not continues_quote('He said "no" twice.')
    assert continues_quote("We are ready to pay on April 9.\u2019")
    assert not continues_quote("The minister\u2019s office said no.")


def test_a_quote_left_open_is_recognised() -> None:
    assert leaves_quote_open("\"She didn't say anything about why.")
    assert leaves_quote_open("\u201cShe didn't say why.")
    assert not leaves_quote_open('"She didn\'t say why," he said.')
    assert not leaves_quote_open("Police said the road would reopen.")
