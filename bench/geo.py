"""Region matching scored at country level on public annotated news corpora (LGL, TR-News, GeoVirus,
GeoWebNews; where to get them: bench/README.md).

    python bench/geo.py --data /work/data/geo            # every corpus file found in the folder
    python bench/geo.py --data /work/data/geo --errors 40 # and the 40 commonest false and missed countries

Every country is subscribed as a region (``region:XX``), each article is matched once through the real
Matcher, and the countries whose subscriptions match are compared with the countries of the article's gold
toponyms. Printed, in one run: micro precision, recall and F1 per corpus and overall; the same for the 15
commonest gold countries; recall on the countries an article reaches only through its towns; the simplest
baseline (country names and capitals, whole words, any case); and, on LGL, the peers' stored outputs
(``--peers DIR`` with WhatsMissingInGeoparsing's data/lgl_*.txt).
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.geo_corpora import Article, CountryCodes, lgl_peer_countries, read_all  # noqa: E402
from matching import Document, Matcher, load_gazetteer, normalize  # noqa: E402
from matching.document import Prepared  # noqa: E402
from matching.gazetteer import Place  # noqa: E402
from matching.places import find_places  # noqa: E402
from matching.regions import COUNTRY_NAMES  # noqa: E402

PEERS = {"clavin": "CLAVIN", "geo": "GeoTxt", "edin": "Edinburgh", "yahoo": "Yahoo! PlaceSpotter",
         "topo": "Topocluster", "palladian_hr": "Palladian (rules)", "palladian_ml": "Palladian (ML)"}  # fmt: skip


class Score:
    """Micro counts of predicted against gold countries."""

    def __init__(self) -> None:
        self.tp = self.fp = self.fn = 0

    def add(self, predicted: set[str], gold: set[str]) -> None:
        self.tp += len(predicted & gold)
        self.fp += len(predicted - gold)
        self.fn += len(gold - predicted)

    def line(self, label: str) -> str:
        p = self.tp / (self.tp + self.fp) if self.tp + self.fp else 0.0
        r = self.tp / (self.tp + self.fn) if self.tp + self.fn else 0.0
        f = 2 * p * r / (p + r) if p + r else 0.0
        return f"{label:<28} P {p:.3f}  R {r:.3f}  F1 {f:.3f}   (tp {self.tp}, fp {self.fp}, fn {self.fn})"


def newsalert_countries(articles: list[Article]) -> tuple[list[set[str]], float]:
    """The countries whose region subscription matches each article, and articles per second."""
    gaz = load_gazetteer()
    matcher = Matcher(gaz)
    codes = sorted(gaz.country_index)
    matcher.add_many((i, f"region:{cc.lower()}") for i, cc in enumerate(codes))
    docs = [Document(a.title, "", a.text) for a in articles]
    matcher.match(docs[0])  # compile
    start = time.perf_counter()
    found = [{codes[sub] for sub in matcher.match(doc)} for doc in docs]
    return found, len(docs) / (time.perf_counter() - start)


def baseline_countries(articles: list[Article]) -> list[set[str]]:
    """Country names (GeoNames' and common English ones) and capitals as whole words, any case."""
    gaz = load_gazetteer()
    names: dict[str, str] = dict(COUNTRY_NAMES)
    for p in gaz.places:
        if p.kind in ("country", "capital"):
            names.setdefault(normalize(p.name), p.country)
    longest = max(len(n.split()) for n in names)
    out = []
    for art in articles:
        words = normalize(f"{art.title} {art.text}").split()
        found = set()
        for n in range(1, longest + 1):
            for i in range(len(words) - n + 1):
                cc = names.get(" ".join(words[i : i + n]))
                if cc:
                    found.add(cc)
        out.append(found)
    return out


def report(articles: list[Article], found: list[set[str]], base: list[set[str]], errors: int) -> None:
    for corpus in sorted({a.corpus for a in articles}):
        ours, simple = Score(), Score()
        for art, f, b in zip(articles, found, base, strict=True):
            if art.corpus == corpus:
                ours.add(f, art.countries)
                simple.add(b, art.countries)
        n = sum(a.corpus == corpus for a in articles)
        print(ours.line(f"{corpus} ({n}) newsalert"))
        print(simple.line(f"{corpus} ({n}) names+capitals"))
    ours, simple = Score(), Score()
    for art, f, b in zip(articles, found, base, strict=True):
        ours.add(f, art.countries)
        simple.add(b, art.countries)
    print(ours.line(f"ALL ({len(articles)}) newsalert"))
    print(simple.line(f"ALL ({len(articles)}) names+capitals"))
    town_hit = town_all = base_hit = 0
    for art, f, b in zip(articles, found, base, strict=True):
        towns = art.town_only()
        town_all += len(towns)
        town_hit += len(towns & f)
        base_hit += len(towns & b)
    print(f"town-only recall: newsalert {town_hit / max(town_all, 1):.3f}, names+capitals "
          f"{base_hit / max(town_all, 1):.3f}  ({town_all} article-country pairs)")  # fmt: skip
    print("\nper country (15 commonest in the gold):")
    common = Counter(cc for a in articles for cc in a.countries).most_common(15)
    for cc, _ in common:
        s = Score()
        for art, f in zip(articles, found, strict=True):
            s.add({cc} & f, {cc} & art.countries)
        print("  " + s.line(cc))
    if errors:
        false = Counter(cc for a, f in zip(articles, found, strict=True) for cc in f - a.countries)
        missed = Counter(cc for a, f in zip(articles, found, strict=True) for cc in a.countries - f)
        print("\ncommonest false countries:", false.most_common(errors))
        print("commonest missed countries:", missed.most_common(errors))
        print("names behind false countries:", _false_names(articles, found).most_common(errors))
    people = _people_only(articles, found)
    false_total = sum(len(f - a.countries) for a, f in zip(articles, found, strict=True))
    print(f"\nfalse countries named only by a people's name (French, Indian), which the corpora do not annotate "
          f"as toponyms but a region subscription means to catch: {people} of {false_total}")  # fmt: skip


def _false_names(articles: list[Article], found: list[set[str]]) -> Counter[tuple[str, str]]:
    """(country, name as written) of the place mentions that put articles in countries the gold does not have."""
    gaz = load_gazetteer()
    out: Counter[tuple[str, str]] = Counter()
    for art, f in zip(articles, found, strict=True):
        false = f - art.countries
        if false:
            for m in find_places(Prepared(Document(art.title, "", art.text)), gaz).mentions:
                if m.place.country in false:
                    out[(m.place.country, m.surface)] += 1
    return out


_DEMONYM_ENDING = re.compile(r"(an|ans|ian|ians|ese|ish|i|is|ch|ic|ics|er|ers|ot|ots)$")


def _people_only(articles: list[Article], found: list[set[str]]) -> int:
    """How many false (article, country) pairs rest only on a people's name: every mention of that country is a
    country alias that is not one of its names and ends like a demonym (French, Indians, Kosovar)."""
    gaz = load_gazetteer()
    count = 0
    for art, f in zip(articles, found, strict=True):
        false = f - art.countries
        if not false:
            continue
        mentions = find_places(Prepared(Document(art.title, "", art.text)), gaz).mentions
        for cc in false:
            of_country = [m for m in mentions if m.place.country == cc]
            count += bool(of_country) and all(_is_demonym(m.surface, m.place) for m in of_country)
    return count


def _is_demonym(surface: str, place: Place) -> bool:
    name = normalize(surface)
    return (
        place.kind == "country"
        and name not in COUNTRY_NAMES
        and name != normalize(place.name)
        and bool(_DEMONYM_ENDING.search(name))
    )


def peers(articles: list[Article], found: list[set[str]], folder: Path) -> None:
    """LGL scored for the peers whose stored outputs are in ``folder``, newsalert on the same articles."""
    lgl = [(a, f) for a, f in zip(articles, found, strict=True) if a.corpus == "LGL"]
    if not lgl:
        return
    print(f"\nLGL ({len(lgl)} articles), stored outputs of peers (coordinates -> country):")
    ours = Score()
    for art, f in lgl:
        ours.add(f, art.countries)
    print("  " + ours.line("newsalert"))
    codes = CountryCodes()
    for key, label in PEERS.items():
        path = folder / f"lgl_{key}.txt"
        if not path.exists():
            continue
        rows = lgl_peer_countries(path, codes)
        if len(rows) != len(lgl):
            print(f"  {label}: {len(rows)} lines for {len(lgl)} articles, skipped")
            continue
        s = Score()
        for (art, _), pred in zip(lgl, rows, strict=True):
            s.add(pred, art.countries)
        print("  " + s.line(label))


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--data", type=Path, required=True, help="folder with lgl.xml, TR-News.xml, GeoVirus.xml, GWN.xml")
    ap.add_argument("--peers", type=Path, help="folder with the peers' lgl_*.txt (default: DATA/lgl_peers)")
    ap.add_argument("--errors", type=int, default=0, help="print the N commonest false and missed countries")
    args = ap.parse_args()
    articles = read_all(args.data)
    if not articles:
        print(f"no corpus files in {args.data}", file=sys.stderr)
        return 1
    found, rate = newsalert_countries(articles)
    base = baseline_countries(articles)
    report(articles, found, base, args.errors)
    peers(articles, found, args.peers or args.data / "lgl_peers")
    print(f"\nmatched {len(articles)} articles at {rate:.0f} articles/s against {len(load_gazetteer().country_index)} "
          "region subscriptions")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
