"""The gazetteer data file and region groups: consistent, credited, and small."""

from __future__ import annotations

import pytest

from matching.gazetteer import DATA_FILE
from matching.inflect import variants
from matching.regions import GROUPS


def test_data_file_is_small_and_credits_geonames(gaz):
    assert DATA_FILE.stat().st_size < 6_000_000
    assert "GeoNames" in gaz.attribution and "CC BY 4.0" in gaz.attribution


def test_every_group_member_is_a_known_country(gaz):
    for group in GROUPS:
        assert group.countries <= set(gaz.country_index), group.key
        assert gaz.region_for(group.key, explicit=False).key == group.key


def test_group_memberships_people_expect(gaz):
    groups = {g.key: g.countries for g in GROUPS}
    assert {"XK", "RS", "BA", "AL", "ME", "MK"} == groups["western balkans"]
    assert {"IL", "IR", "SA", "EG"} <= groups["middle east"]
    assert "XK" in groups["europe"] and "XK" not in groups["eu"]
    assert len(groups["eu"]) == 27


def test_kosovo_places_come_from_cities500(gaz):
    names = {p.name for p in gaz.places_in("XK")}
    assert {"Pristina", "Zvečan", "Leposaviq", "Gračanica"} <= names
    assert len(names) > 50


def test_no_junk_aliases(gaz):
    patterns = set(gaz.pattern_names)
    for junk in ("the", "and", "for", "wie", "ein", "google", "terminus"):
        assert f" {junk} " not in patterns, junk


@pytest.mark.parametrize(
    ("phrase", "expected"),
    [
        ("peacekeeper", ("peacekeeper", "peacekeepers")),
        ("elections", ("elections", "election")),
        ("city", ("city", "cities")),
        ("boxes", ("boxes", "box")),
        ("church", ("church", "churches")),
        ("peace talks", ("peace talks", "peace talk")),
        ("news", ("news",)),
        ("gas", ("gas",)),
        ("ai", ("ai",)),
        ("covid 19", ("covid 19",)),
        ("косово", ("косово",)),
    ],
)
def test_inflections(phrase, expected):
    assert variants(phrase) == expected
