"""Region groups: UN M49 subregions and continents, and the names people use for parts of the world.

A group is a set of ISO 3166 alpha-2 country codes (plus XK, Kosovo, which M49 leaves out: it is placed in
Southern Europe with its neighbours). Membership of the informal groups (Balkans, Middle East, Sahel...) follows
the most common usage in news; borderline members are noted where a choice was made.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Group:
    """A named set of countries."""

    key: str  # canonical normalised name, also the region key used by the matcher
    title: str
    countries: frozenset[str]
    aliases: tuple[str, ...] = ()


def _codes(text: str) -> frozenset[str]:
    return frozenset(text.split())


# UN M49 subregions.
NORTHERN_AFRICA = "DZ EG LY MA SD TN EH"
EASTERN_AFRICA = "IO BI KM DJ ER ET TF KE MG MW MU YT MZ RE RW SC SO SS UG TZ ZM ZW"
MIDDLE_AFRICA = "AO CM CF TD CG CD GQ GA ST"
SOUTHERN_AFRICA = "BW SZ LS NA ZA"
WESTERN_AFRICA = "BJ BF CV CI GM GH GN GW LR ML MR NE NG SH SN SL TG"
CARIBBEAN = "AI AG AW BS BB BQ VG KY CU CW DM DO GD GP HT JM MQ MS PR BL KN LC MF VC SX TT TC VI"
CENTRAL_AMERICA = "BZ CR SV GT HN MX NI PA"
SOUTH_AMERICA = "AR BO BV BR CL CO EC FK GF GY PY PE GS SR UY VE"
NORTHERN_AMERICA = "BM CA GL PM US"
CENTRAL_ASIA = "KZ KG TJ TM UZ"
EASTERN_ASIA = "CN HK MO KP JP MN KR TW"
SOUTH_EASTERN_ASIA = "BN KH ID LA MY MM PH SG TH TL VN"
SOUTHERN_ASIA = "AF BD BT IN IR MV NP PK LK"
WESTERN_ASIA = "AM AZ BH CY GE IQ IL JO KW LB OM QA SA PS SY TR AE YE"
EASTERN_EUROPE = "BY BG CZ HU PL MD RO RU SK UA"
NORTHERN_EUROPE = "AX DK EE FO FI GG IS IE IM JE LV LT NO SJ SE GB"
SOUTHERN_EUROPE = "AL AD BA HR GI GR VA IT MT ME MK PT SM RS SI ES XK"
WESTERN_EUROPE = "AT BE FR DE LI LU MC NL CH"
AUSTRALIA_NZ = "AU NZ NF CX CC HM"
MELANESIA = "FJ NC PG SB VU"
MICRONESIA = "GU KI MH FM NR MP PW UM"
POLYNESIA = "AS CK PF NU PN WS TK TO TV WF"

AFRICA = " ".join([NORTHERN_AFRICA, EASTERN_AFRICA, MIDDLE_AFRICA, SOUTHERN_AFRICA, WESTERN_AFRICA])
AMERICAS = " ".join([CARIBBEAN, CENTRAL_AMERICA, SOUTH_AMERICA, NORTHERN_AMERICA])
ASIA = " ".join([CENTRAL_ASIA, EASTERN_ASIA, SOUTH_EASTERN_ASIA, SOUTHERN_ASIA, WESTERN_ASIA])
EUROPE = " ".join([EASTERN_EUROPE, NORTHERN_EUROPE, SOUTHERN_EUROPE, WESTERN_EUROPE])
OCEANIA = " ".join([AUSTRALIA_NZ, MELANESIA, MICRONESIA, POLYNESIA])
EU = "AT BE BG HR CY CZ DK EE FI FR DE GR HU IE IT LV LT LU MT NL PL PT RO SK SI ES SE"
MIDDLE_EAST = "BH CY EG IR IQ IL JO KW LB OM PS QA SA SY TR AE YE"
MAGHREB = "DZ LY MA MR TN EH"

GROUPS: tuple[Group, ...] = (
    Group("africa", "Africa", _codes(AFRICA)),
    Group("americas", "the Americas", _codes(AMERICAS), ("the americas",)),
    Group("asia", "Asia", _codes(ASIA)),
    Group("europe", "Europe", _codes(EUROPE)),
    Group("oceania", "Oceania", _codes(OCEANIA), ("pacific",)),
    Group("northern africa", "Northern Africa", _codes(NORTHERN_AFRICA), ("north africa",)),
    Group("eastern africa", "Eastern Africa", _codes(EASTERN_AFRICA), ("east africa",)),
    Group("middle africa", "Middle Africa", _codes(MIDDLE_AFRICA), ("central africa",)),
    Group("southern africa", "Southern Africa", _codes(SOUTHERN_AFRICA)),
    Group("western africa", "Western Africa", _codes(WESTERN_AFRICA), ("west africa",)),
    Group(
        "sub saharan africa",
        "Sub-Saharan Africa",
        _codes(" ".join([EASTERN_AFRICA, MIDDLE_AFRICA, SOUTHERN_AFRICA, WESTERN_AFRICA])),
        ("subsaharan africa",),
    ),
    Group("caribbean", "the Caribbean", _codes(CARIBBEAN), ("the caribbean",)),
    Group("central america", "Central America", _codes(CENTRAL_AMERICA)),
    Group("south america", "South America", _codes(SOUTH_AMERICA)),
    Group("northern america", "Northern America", _codes(NORTHERN_AMERICA)),
    Group("north america", "North America", _codes(NORTHERN_AMERICA + " MX")),
    Group(
        "latin america",
        "Latin America",
        _codes(" ".join([CENTRAL_AMERICA, SOUTH_AMERICA, "CU DO HT PR"])),
        ("latam", "latin america and the caribbean"),
    ),
    Group("central asia", "Central Asia", _codes(CENTRAL_ASIA)),
    Group("eastern asia", "Eastern Asia", _codes(EASTERN_ASIA), ("east asia",)),
    Group(
        "south eastern asia",
        "South-eastern Asia",
        _codes(SOUTH_EASTERN_ASIA),
        ("southeast asia", "south east asia"),
    ),
    Group("southern asia", "Southern Asia", _codes(SOUTHERN_ASIA), ("south asia",)),
    Group("western asia", "Western Asia", _codes(WESTERN_ASIA), ("west asia",)),
    Group("eastern europe", "Eastern Europe", _codes(EASTERN_EUROPE)),
    Group("northern europe", "Northern Europe", _codes(NORTHERN_EUROPE)),
    Group("southern europe", "Southern Europe", _codes(SOUTHERN_EUROPE)),
    Group("western europe", "Western Europe", _codes(WESTERN_EUROPE)),
    Group("central europe", "Central Europe", _codes("AT CZ DE HU LI PL SK SI CH")),
    Group("australia and new zealand", "Australia and New Zealand", _codes(AUSTRALIA_NZ), ("australasia",)),
    Group("melanesia", "Melanesia", _codes(MELANESIA)),
    Group("micronesia region", "Micronesia (region)", _codes(MICRONESIA)),
    Group("polynesia", "Polynesia", _codes(POLYNESIA)),
    Group("pacific islands", "the Pacific Islands", _codes(" ".join([MELANESIA, MICRONESIA, POLYNESIA]))),
    Group("eu", "the European Union", _codes(EU), ("european union",)),
    # Greece and Romania are usually counted in; Turkey's European corner usually is not.
    Group("balkans", "the Balkans", _codes("AL BA BG HR XK ME MK RS SI GR RO"), ("the balkans", "balkan")),
    # The EU's usage: the six countries in the enlargement process.
    Group("western balkans", "the Western Balkans", _codes("AL BA XK ME MK RS"), ("the western balkans",)),
    Group("middle east", "the Middle East", _codes(MIDDLE_EAST), ("the middle east", "mideast", "near east")),
    Group("mena", "the Middle East and North Africa", _codes(MIDDLE_EAST + " " + MAGHREB), ()),
    Group("levant", "the Levant", _codes("IL JO LB PS SY CY"), ("the levant",)),
    Group(
        "gulf states", "the Gulf states", _codes("BH KW OM QA SA AE"), ("gulf", "persian gulf", "the gulf")
    ),
    Group("maghreb", "the Maghreb", _codes(MAGHREB), ()),
    # The South Caucasus states; Russia's North Caucasus republics count through their own places (Chechnya...).
    Group("caucasus", "the Caucasus", _codes("AM AZ GE"), ("the caucasus", "south caucasus")),
    # The G5 Sahel states with Senegal and Sudan.
    Group("sahel", "the Sahel", _codes("MR ML BF NE TD SN SD"), ("the sahel",)),
    Group("horn of africa", "the Horn of Africa", _codes("DJ ER ET SO"), ("the horn of africa",)),
    Group("scandinavia", "Scandinavia", _codes("DK NO SE"), ()),
    Group(
        "nordics", "the Nordic countries", _codes("DK NO SE FI IS FO GL AX"), ("nordic countries", "nordic")
    ),
    Group("baltics", "the Baltic states", _codes("EE LV LT"), ("baltic states", "the baltics", "baltic")),
    Group("benelux", "Benelux", _codes("BE NL LU"), ()),
    Group("iberia", "the Iberian Peninsula", _codes("ES PT AD"), ("iberian peninsula",)),
    Group("british isles", "the British Isles", _codes("GB IE IM"), ()),
    Group("asean", "ASEAN", _codes("BN KH ID LA MY MM PH SG TH VN"), ()),
)

# Common English names of countries that differ from GeoNames' own ("Kosova", "Britain"...). Normalised.
COUNTRY_NAMES: dict[str, str] = {
    "kosova": "XK", "косово": "XK", "usa": "US", "us": "US", "united states of america": "US", "america": "US",
    "uk": "GB", "britain": "GB", "great britain": "GB", "united kingdom": "GB", "holland": "NL",
    "burma": "MM", "czechia": "CZ", "czech republic": "CZ", "ivory coast": "CI", "cote d ivoire": "CI",
    "turkiye": "TR", "north korea": "KP", "south korea": "KR", "russia": "RU", "vatican": "VA",
    "dr congo": "CD", "drc": "CD", "congo kinshasa": "CD", "congo brazzaville": "CG", "uae": "AE",
    "palestine": "PS", "bosnia": "BA", "macedonia": "MK", "east timor": "TL", "swaziland": "SZ",
    "cape verde": "CV", "syria": "SY", "iran": "IR", "laos": "LA", "vietnam": "VN", "moldova": "MD",
    "taiwan": "TW", "tanzania": "TZ", "bolivia": "BO", "venezuela": "VE", "brunei": "BN",
    "micronesia federated states": "FM", "the gambia": "GM", "gambia": "GM", "the bahamas": "BS",
}  # fmt: skip
