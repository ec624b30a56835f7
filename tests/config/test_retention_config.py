"""``[storage] keep_articles_days``: 14 by default, and never shorter than alerts and story grouping need."""

from __future__ import annotations

import pytest

from bot.config import Config, ConfigError, parse_config


def test_articles_are_kept_two_weeks_by_default() -> None:
    assert Config().storage.keep_articles_days == 14
    assert parse_config({"storage": {"keep_articles_days": 30}}).storage.keep_articles_days == 30


@pytest.mark.parametrize(
    ("document", "fragment"),
    [
        ({"storage": {"keep_articles_days": 0}}, "storage.keep_articles_days: must be greater than 0"),
        ({"storage": {"keep_articles_days": "14"}}, "storage.keep_articles_days: expected int"),
        ({"storage": {"keep_articles_days": True}}, "storage.keep_articles_days: expected int, got a boolean"),
        ({"storage": {"keep_articles_days": 1}}, "storage.keep_articles_days: must keep articles at least 2 days"),
        (
            {"storage": {"keep_articles_days": 14}, "alerts": {"max_age_hours": 400}},
            "storage.keep_articles_days: must keep articles at least 17 days",
        ),
    ],
)
def test_a_window_too_short_or_of_the_wrong_type_is_named(document: dict, fragment: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(document)
    assert fragment in str(caught.value)
    assert "\n" not in str(caught.value)
