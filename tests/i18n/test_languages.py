"""Telegram's language codes map to the languages the bot speaks, or to English."""

from __future__ import annotations

import pytest

from i18n.languages import NAMES, from_telegram, supported


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("uk", "uk"),
        ("ru", "ru"),
        ("sr", "sr"),
        ("sr-Latn", "sr"),
        ("sq", "sq"),
        ("de-AT", "de"),
        ("fr", "fr"),
        ("es_MX", "es"),
        ("en", "en"),
        ("pt-br", "en"),
        ("", "en"),
        (None, "en"),
    ],
)
def test_codes_map_to_their_base_or_english(code: str | None, expected: str) -> None:
    assert from_telegram(code) == expected


def test_unknown_codes_are_not_supported() -> None:
    assert supported("xx") is None
    assert supported("DE") == "de"
    assert len(NAMES) == 8
