"""Other senses of a place or people's name (matching.place_senses): natural features, languages, things named
after a people, newer namesakes. Found among the false countries of bench/geo.py on LGL and GeoWebNews; a
people's name used of people or of a state keeps its country."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    ("query", "text"),
    [
        # features named after a country
        ("india", "Flooding hit the coast of the Indian Ocean on Monday."),
        ("mexico", "The oil spill in the Gulf of Mexico spread to the beaches."),
        ("niger", "Militants attacked a pipeline in the Niger Delta on Monday."),
        ("japan", "Ships crossed the Sea of Japan on Monday."),
        # a newer namesake
        ("united kingdom", "Connecticut may be the first state in New England to apologize."),
        # languages
        ("france", "She spoke only French and Farsi when she moved to Arlington."),
        ("united kingdom", "She soon learned English so she could drive."),
        ("spain", "The ad is airing in South Florida in English and Spanish."),
        ("united kingdom", "The ad is airing in South Florida in English and Spanish."),
        ("spain", "In the video, a man speaks in Spanish after spotting the camera."),
        # things named after a people
        ("italy", "I really like the Italian food, said a senior at the high school."),
        ("mexico", "Most illness clusters in the outbreak involve Mexican restaurants."),
        ("ireland", "The party at McHale's Irish pub expands onto Main Street."),
        ("ireland", "The event is a time to celebrate Irish heritage with friends."),
        ("spain", "Such outbreaks happened before, as in the 1918 Spanish influenza pandemic."),
        ("japan", "The virus belongs to the Japanese encephalitis complex."),
        ("poland", "There was chicken on a stick and Polish sausage on a stick."),
        ("france", "Their French bulldog has a fenced-in yard to play in."),
        # one sense a name per article: a person's given name, a state named beside its city
        ("georgia", "Nine-year-old Georgia Stevens is lacing her skates. Georgia began skating at four."),
        ("jordan", "Coach Jordan Smith said the team is ready. Jordan expects a good season."),
        ("georgia", "Samples went to the CDC in Atlanta, Georgia. Later, Georgia health officials agreed."),
    ],
)
def test_not_found(matches, query, text):
    assert not matches(query, text)


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("france", "French Foreign Minister Bernard Kouchner met Saudi officials."),
        ("france", "United Airlines apologized to a French woman who ended up in San Francisco."),
        ("russia", "45 deaths were reported by the official Russian Information Agency."),
        ("united kingdom", "Several British troops received blood transfusions."),
        ("france", "New French sanctions were announced on Monday."),
        ("india", "Flights to India resumed over the Indian Ocean."),  # the country's own name still counts
        ("mexico", "Fishermen in Mexico fear the oil in the Gulf of Mexico."),
        ("united states", "The storm moved up the coast of New England and into New York."),
        ("region:us-ga", "Samples went to the CDC in Atlanta, Georgia. Later, Georgia health officials agreed."),
        ("georgia", "Georgia Stevens skated in Tbilisi. Georgia hosts the cup."),
    ],
)
def test_found(matches, query, text):
    assert matches(query, text)
