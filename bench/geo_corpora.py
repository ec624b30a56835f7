"""Readers for the public geoparsing corpora bench/geo.py scores newsalert on (see bench/README.md for where to
get each file). Every reader gives articles with their gold toponyms tied to a country code.

Gold countries come from the corpus itself where it names them (LGL and TR-News give each toponym's GeoNames
country), else from the toponym's coordinates through an offline reverse geocoder (nearest GeoNames town with
its country). Toponyms that are not in one country (continents, oceans, "Middle East") are left out.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

# Names of GeoNames feature codes for areas larger than a country, or no country's.
_NOT_IN_A_COUNTRY = {"CONT", "RGN", "OCN", "SEA", "GULF", "BAY", "STRT", "ZN", "AREA"}
_WATER = re.compile(r"\b(ocean|sea|gulf|strait|channel|pacific|atlantic|mediterranean)\b", re.I)


@dataclass
class Toponym:
    """One gold toponym: what the text writes, its country, and whether it names the country itself."""

    phrase: str
    country: str
    is_country: bool


@dataclass
class Article:
    """One annotated article."""

    corpus: str
    ident: str
    title: str
    text: str
    toponyms: list[Toponym] = field(default_factory=list)

    @property
    def countries(self) -> set[str]:
        return {t.country for t in self.toponyms}

    def town_only(self) -> set[str]:
        """Countries the article reaches only through places inside them (no toponym names the country)."""
        direct = {t.country for t in self.toponyms if t.is_country}
        return self.countries - direct


class CountryCodes:
    """Country names and coordinates to ISO codes (countrynames, reverse_geocode)."""

    def __init__(self) -> None:
        import countrynames
        import reverse_geocode

        self._to_code = countrynames.to_code
        self._reverse = reverse_geocode.search
        self._pending: list[tuple[Toponym, float, float]] = []

    def of_name(self, name: str) -> str | None:
        code = self._to_code(name)
        return {"UK": "GB"}.get(code, code) if code else None

    def later(self, top: Toponym, lat: float, lon: float) -> None:
        """Ask for the country of a coordinate; filled in by :meth:`resolve` (one batched lookup)."""
        self._pending.append((top, lat, lon))

    def resolve(self) -> None:
        if not self._pending:
            return
        found = self._reverse([(lat, lon) for _, lat, lon in self._pending])
        for (top, _, _), hit in zip(self._pending, found, strict=True):
            top.country = hit["country_code"] or ""
        self._pending.clear()


def _title_text(title: str, text: str) -> tuple[str, str]:
    """Title and body, without the title repeated at the start of the body (LGL writes it there)."""
    title, text = title.strip(), text.strip()
    if title and text.startswith(title):
        text = text[len(title) :].lstrip(" .\n")
    return title, text


def _gaztag_corpus(path: Path, corpus: str, codes: CountryCodes) -> Iterator[Article]:
    """LGL and TR-News: <article><title/><text/><toponyms><toponym><phrase/><gaztag>...<country/>."""
    for i, node in enumerate(ET.parse(path).getroot().iter("article")):
        title, text = _title_text(node.findtext("title") or "", node.findtext("text") or "")
        art = Article(corpus, node.get("docid") or str(i), title, text)
        for top in node.iter("toponym"):
            tag = top.find("gaztag")
            if tag is None or (tag.findtext("fcode") or "") in _NOT_IN_A_COUNTRY:
                continue
            phrase = (top.findtext("phrase") or "").strip()
            country = codes.of_name(tag.findtext("country") or "")
            fcode = tag.findtext("fcode") or ""
            toponym = Toponym(phrase, country or "", fcode.startswith("PCL"))
            if country is None:
                lat, lon = tag.findtext("lat"), tag.findtext("lon")
                if not lat or not lon:
                    continue
                codes.later(toponym, float(lat), float(lon))
            art.toponyms.append(toponym)
        yield art


def lgl(path: Path, codes: CountryCodes) -> Iterator[Article]:
    return _gaztag_corpus(path, "LGL", codes)


def tr_news(path: Path, codes: CountryCodes) -> Iterator[Article]:
    return _gaztag_corpus(path, "TR-News", codes)


def _coordinate_toponym(phrase: str, lat: str | None, lon: str | None, codes: CountryCodes) -> Toponym | None:
    if not lat or not lon or "null" in (lat, lon) or _WATER.search(phrase) or _larger_than_a_country(phrase):
        return None
    direct = codes.of_name(phrase)
    top = Toponym(phrase, "", direct is not None)
    codes.later(top, float(lat), float(lon))
    return top


def _larger_than_a_country(phrase: str) -> bool:
    """A continent or a group of countries ("Africa", "the Middle East"), whose coordinates fall in one country."""
    from matching import load_gazetteer

    region = load_gazetteer().region_for(re.sub(r"^(the|The) ", "", phrase), explicit=False)
    return region is not None and region.kind == "group"


def geovirus(path: Path, codes: CountryCodes) -> Iterator[Article]:
    """GeoVirus: <article><source/><text/><locations><location><name/><lat/><lon/>."""
    for i, node in enumerate(ET.parse(path).getroot().iter("article")):
        art = Article("GeoVirus", str(i), "", (node.findtext("text") or "").strip())
        for loc in node.iter("location"):
            top = _coordinate_toponym(
                (loc.findtext("name") or "").strip(), loc.findtext("lat"), loc.findtext("lon"), codes
            )
            if top:
                art.toponyms.append(top)
        yield art


# GeoWebNews toponym types that are not places ("citizens", "English" the language, a homonym).
_GWN_SKIP = {"Non_Toponym", "Non_Lit_Expression", "Literal_Expression", "Homonym", "Language"}


def geowebnews(path: Path, codes: CountryCodes) -> Iterator[Article]:
    """GeoWebNews (GWN.xml): <article><title/><text/><toponyms><toponym><extractedName/><type/><latitude/>."""
    for node in ET.parse(path).getroot().iter("article"):
        title, text = _title_text(node.findtext("title") or "", node.findtext("text") or "")
        art = Article("GeoWebNews", node.get("file") or "", title, text)
        for topo in node.iter("toponym"):
            if (topo.findtext("type") or "") in _GWN_SKIP:
                continue
            top = _coordinate_toponym(
                (topo.findtext("extractedName") or "").strip(),
                topo.findtext("latitude"),
                topo.findtext("longitude"),
                codes,
            )
            if top:
                art.toponyms.append(top)
        yield art


READERS = {"lgl.xml": lgl, "TR-News.xml": tr_news, "GeoVirus.xml": geovirus, "GWN.xml": geowebnews}


def read_all(data: Path) -> list[Article]:
    """Every article of every corpus file found in ``data``, gold countries filled in."""
    codes = CountryCodes()
    articles = [a for name, read in READERS.items() if (data / name).exists() for a in read(data / name, codes)]
    codes.resolve()
    for art in articles:
        art.toponyms = [t for t in art.toponyms if t.country]
    return articles


def lgl_peer_countries(path: Path, codes: CountryCodes) -> list[set[str]]:
    """A peer's stored LGL output (WhatsMissingInGeoparsing data/lgl_*.txt): one line an article, entries
    "name,,name,,lat,,lon,,start,,end||"; the countries of its coordinates, per article."""
    tops: list[list[Toponym]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        row: list[Toponym] = []
        for entry in filter(None, line.split("||")):
            parts = entry.split(",,")
            if len(parts) >= 4 and "null" not in parts[2:4]:
                top = Toponym(parts[0], "", False)
                codes.later(top, float(parts[2]), float(parts[3]))
                row.append(top)
        tops.append(row)
    codes.resolve()
    return [{t.country for t in row if t.country} for row in tops]
