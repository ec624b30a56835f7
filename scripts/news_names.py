"""Names as news writes them, for scripts/build_gazetteer.py: what GeoNames lacks, and what it has that is not
a place in news text.

Found by scoring region matching on annotated news corpora (bench/geo.py): each list below answers misses or
false alarms seen there, and tests/matching/test_geo_news.py pins examples.
"""

from __future__ import annotations

# Exonyms and former names English news writes (GeoNames keeps some, but drops names under five letters or
# marks them historic): normalised name -> (country, GeoNames name of the place).
EXONYMS: dict[str, tuple[str, str]] = {
    "kiev": ("UA", "Kyiv"), "kharkov": ("UA", "Kharkiv"), "odessa": ("UA", "Odesa"), "lvov": ("UA", "Lviv"),
    "nikolaev": ("UA", "Mykolayiv"), "zaporozhye": ("UA", "Zaporizhzhia"), "dnepropetrovsk": ("UA", "Dnipro"),
    "lugansk": ("UA", "Luhansk"), "bombay": ("IN", "Mumbai"), "calcutta": ("IN", "Kolkata"),
    "madras": ("IN", "Chennai"), "bangalore": ("IN", "Bengaluru"), "poona": ("IN", "Pune"),
    "peking": ("CN", "Beijing"), "rangoon": ("MM", "Yangon"), "saigon": ("VN", "Ho Chi Minh City"),
    "tiflis": ("GE", "Tbilisi"), "alma ata": ("KZ", "Almaty"), "kishinev": ("MD", "Chisinau"),
    "dacca": ("BD", "Dhaka"), "leningrad": ("RU", "Saint Petersburg"), "st petersburg": ("RU", "Saint Petersburg"),
}  # fmt: skip

# Words that GeoNames lists as the name or an alias of some place, but that news text uses for something else:
# weekdays, months, holidays, institutions and parties, organisations, and surnames or words that are also
# countries' names in other languages ("Iron" is Iran in some, "Indie" India in Czech). Never a place alias.
def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


NOT_PLACES = _words(
    """
    monday tuesday wednesday thursday friday saturday sunday
    january february april june july august september october november december
    christmas easter thanksgiving halloween ramadan hanukkah diwali passover eid
    kremlin duma pentagon elysee knesset bundestag congress parliament senate whitehall
    hamas hezbollah hizbollah taliban liberal liberals labour conservative conservatives tory tories
    democrat democrats republican republicans
    bush obama indie iron choo shin alan balart ismaili mcdonald mcdonalds street avenue highways metro commonwealth angels
    honda toyota mazda suzuki mary adena chili
    """
) | {"white house", "downing street", "new year", "the hill", "state department", "city hall"}

# AP-style and other written abbreviations of US states ("PLEASANTON, Calif.", "LONDON, Ky."), normalised;
# believed only right after "Town," (see FLAG_STATE_ABBREVIATION).
STATE_ABBREVIATIONS: dict[str, str] = {
    "ala": "AL", "ariz": "AZ", "ark": "AR", "calif": "CA", "cal": "CA", "colo": "CO", "conn": "CT", "del": "DE",
    "fla": "FL", "ga": "GA", "ill": "IL", "ind": "IN", "kan": "KS", "kans": "KS", "ky": "KY", "la": "LA",
    "md": "MD", "mass": "MA", "mich": "MI", "minn": "MN", "miss": "MS", "mo": "MO", "mont": "MT", "neb": "NE",
    "nebr": "NE", "nev": "NV", "n h": "NH", "n j": "NJ", "n m": "NM", "n y": "NY", "n c": "NC", "n d": "ND",
    "okla": "OK", "ore": "OR", "pa": "PA", "penn": "PA", "r i": "RI", "s c": "SC", "s d": "SD", "tenn": "TN",
    "tex": "TX", "vt": "VT", "va": "VA", "wash": "WA", "w va": "WV", "wis": "WI", "wisc": "WI", "wyo": "WY",
    "d c": "DC",
}  # fmt: skip

# Written abbreviations of Canadian provinces ("Nelson, B.C.", "Brandon, Man."), normalised -> the province's
# name; like the US states' abbreviations, believed only right after "Town,".
PROVINCE_ABBREVIATIONS: dict[str, str] = {
    "b c": "British Columbia", "bc": "British Columbia", "alta": "Alberta", "sask": "Saskatchewan",
    "man": "Manitoba", "ont": "Ontario", "que": "Quebec", "n s": "Nova Scotia", "n b": "New Brunswick",
    "p e i": "Prince Edward Island", "pei": "Prince Edward Island", "nfld": "Newfoundland and Labrador",
}  # fmt: skip

# Canadian provinces (areas), which anchor "London, Ontario" as US states anchor "Paris, Texas".
PROVINCES: list[tuple[str, str, list[str]]] = [
    ("Manitoba", "CA", []),
    ("Saskatchewan", "CA", []),
    ("Nova Scotia", "CA", []),
    ("New Brunswick", "CA", []),
    ("Newfoundland and Labrador", "CA", ["Newfoundland"]),
    ("Prince Edward Island", "CA", []),
]


def demonym_plurals(alias: str) -> list[str]:
    """Plurals of a one-word country alias that may be a demonym: Indian -> Indians, Israeli -> Israelis,
    Kosovar -> Kosovars. (A plural of a name that is not a demonym, "Irans", is harmless: nobody writes it.)"""
    if " " in alias or len(alias) < 4:
        return []
    return [alias + "s"] if alias.endswith(("an", "i", "ar", "ot", "ek")) else []


def group_is_countries(name: str, country_names: set[str]) -> bool:
    """Whether a group's name only lists countries ("australia and new zealand"): in text, those countries."""
    parts = name.split(" and ")
    return len(parts) > 1 and all(p in country_names for p in parts)

# Counties of Britain and Ireland whose names US counties share: "Kent County Council", "Essex County Cricket
# Club" are English news, so those US counties are not added under their full names.
BRITISH_IRISH_COUNTIES = _words(
    """
    kent essex norfolk suffolk durham york lancaster cumberland middlesex somerset devon dorset hampshire
    northampton bedford cambridge lincoln derby nottingham warwick worcester stafford chester cornwall sussex
    surrey berkshire buckingham hertford oxford gloucester wiltshire westmoreland northumberland monmouth
    glamorgan antrim down armagh tyrone fermanagh kerry cork clare galway mayo sligo dublin wexford
    wicklow kildare meath louth cavan monaghan donegal leitrim roscommon longford westmeath offaly laois kilkenny
    carlow waterford tipperary limerick richmond hereford rutland
    """
)
