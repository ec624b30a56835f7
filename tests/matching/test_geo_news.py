"""Places as real news writes them: the misses and false alarms found on annotated news corpora (bench/geo.py)."""

from __future__ import annotations

import pytest

from matching import parse_query


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("ukraine", "Officials in Kiev said talks would resume."),
        ("ukraine", "Talks in Kiev ended."),
        ("ukraine", "Fighting near Kharkov went on."),
        ("ukraine", "The ferry left Odessa at dawn."),
        ("india", "Flights to Bombay were cancelled."),
        ("china", "Talks in Peking ended."),
        ("myanmar", "Protesters marched in Rangoon."),
        ("kosovo", "Leposavić said the road was closed."),
        ("kosovo", "The Leposavić municipality building was surrounded by barbed wire."),
        ("kosovo", "Zvečan said the road was closed."),
        ("kosovo", "In Leposavić, police said"),
        ("new zealand", "Flights to Australia and New Zealand resumed."),
        ("australia", "Flights to Australia and New Zealand resumed."),
        ("india", "Indians voted on Monday."),
        ("palestine", "Palestinians marched on Friday."),
        ("bosnia", "a Bosnian Serb commander was tried."),
        ("region:us-ca", "PLEASANTON, Calif.-- A fire broke out on Monday."),
        ("region:us-fl", "He was arrested in Ocala, Fla., on Friday."),
        ("region:us-ky", "LONDON, Ky. (WKYT) - A fire broke out."),
        ("region:us-tx", "The fair in Paris, Texas, opened."),
        ("region:us-ga", "Students in Athens, Ga., protested."),
        ("canada", "The plant in London, Ontario, will close."),
        ("region:us-fl", "Officers of the Gainesville Police Department said the man fled. Gainesville is in Florida."),
        ("region:us-ga", "Gov. Nathan Deal said Georgia will cut taxes, and Atlanta agreed."),
        ("region:middle east", "Talks in Cairo and Amman."),
        ("canada", "He lives in Nelson, B.C., with his family."),
        ("canada", "Police in Brandon, Man., said the road was closed."),
        # US counties and parishes, which local news names where it names no town (LGL).
        ("region:us-wv", "The Kanawha County commission met on Monday."),
        ("region:us-la", "Flooding closed roads in Pointe Coupee Parish."),
        ("united states", "Deputies in Madison County said the road was closed."),
        # A country's name before a town's institution or its people is the town (LGL: Palestine, Texas).
        ("region:us-tx", "A 36-year-old Palestine man fled. Palestine officials said he was found."),
        ("region:us-tx", "The Palestine Independent School District met on Monday."),
        ("united states", "The Lebanon City Council met on Monday."),
        ("region:us-tx", "Officials of the Paris Police Department said the call was a hoax."),
        # A namesake in the country whose towns or provinces the article names (LGL, TR-News).
        ("canada", "Parents complained to the London District Catholic School Board in Southwestern Ontario."),
        ("australia", "Police in Cairns said the boys were taken in Edmonton, a suburb south of the city."),
        ("united kingdom", "The brawl in North London spread to Upper Edmonton, police said."),
        # A sentence's first word is capitalised anyway: a country after it is still the country.
        ("serbia", "Neighbouring Serbia closed the crossing."),
    ],
)
def test_found(matches, query, text):
    assert matches(query, text)


@pytest.mark.parametrize(
    ("query", "text"),
    [
        ("australia", "The vote is on Thursday."),
        ("morocco", "The White House said on Monday."),
        ("egypt", "Bush said the plan would work."),
        ("germany", "Hamas said the talks failed."),
        ("australia", "Christmas shopping began early."),
        ("syria", "The Duma voted on Tuesday."),
        ("region:us-ks", "The Liberal Party won."),
        ("egypt", "ALEXANDRIA, Va. - The council met in Alexandria, Virginia."),
        ("georgia", "Gov. Nathan Deal said Georgia will cut taxes, and Atlanta agreed."),
        ("georgia", "Atlanta, Georgia: the Georgia legislature met."),
        ("france", "The fair in Paris, Texas, opened."),
        ("greece", "Students in Athens, Ga., protested."),
        ("united kingdom", "The plant in London, Ontario, will close."),
        ("united kingdom", "LONDON, Ky. (WKYT) - A fire broke out."),
        ("japan", "Sales of Toyota and Honda cars rose in May."),
        ("united states", "Kent County Council voted on Monday to close two libraries."),
        ("canada", "The temple was built in 500 BC by the king."),
        ("region:us-wi", "Deputies in Madison County said the road was closed."),
        ("colombia", "Sales of Toyota and Honda cars rose in May."),
        ("turkmenistan", "Mary said the plan would work."),
        ("chile", "The chili cook-off drew a crowd. Chili fans came from three towns."),
        ("palestine", "A 36-year-old Palestine man fled. Palestine officials said he was found."),
        ("palestine", "The Palestine Independent School District met on Monday."),
        ("lebanon", "The Lebanon City Council met on Monday."),
        ("france", "Officials of the Paris Police Department said the call was a hoax."),
        ("united kingdom", "Parents complained to the London District Catholic School Board in Southwestern Ontario."),
        ("canada", "Police in Cairns said the boys were taken in Edmonton, a suburb south of the city."),
        ("canada", "The brawl in North London spread to Upper Edmonton, police said."),
        ("united kingdom", "On Monday John Bolton said that Bolton would stay."),
        ("china", "Shin-Soo Choo hit a home run."),
        ("india", "An Indie band played."),
        ("iran", "Iron prices rose."),
        ("heard island and mcdonald islands", "McDonald's sold more burgers."),
        ("united states", "It cost US$1,800 in Lagos."),
        ("united kingdom", "English language learners did well in Ohio."),
        ("jordan", "Brown and Jordan scored."),
        ("france", "Officer Monica French said the man fled."),
        # A person's name that opens a sentence: the surname is not a town (LGL: Cosco, Peru).
        ("peru", "Kathy Cosco, spokeswoman for the district, said classes resume Monday."),
    ],
)
def test_not_found(matches, query, text):
    assert not matches(query, text)


def test_region_name_unquoted_after_region_prefix(gaz):
    query = parse_query("region:middle east", gaz)
    assert "middle east" in query.canonical
