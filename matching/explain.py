"""Why an article matched a subscription, in one line a user can read (the bot's /why)."""

from __future__ import annotations

from matching.document import FIELDS, Prepared
from matching.gazetteer import Gazetteer
from matching.normalize import normalize
from matching.places import Findings
from matching.query import Query, Term

MAX_MENTIONS = 4


def keyword_fields(term: Term, prep: Prepared) -> list[tuple[str, str]]:
    """(phrase as found, field) for each field where a variant of the keyword occurs."""
    found: list[tuple[str, str]] = []
    for phrase in term.phrases():
        needle = f" {phrase} "
        pos = prep.low.find(needle)
        fields_seen: set[str] = set()
        while pos >= 0:
            fields_seen.add(prep.field_of_pos(pos + 1))
            pos = prep.low.find(needle, pos + 1)
        found += [(phrase, f) for f in FIELDS if f in fields_seen]
    return found


def region_mentions(term: Term, prep: Prepared, findings: Findings, gaz: Gazetteer) -> list[str]:
    """'Leposaviću (Leposaviq) in text' for the first few distinct mentions counting for the region."""
    out: list[str] = []
    seen: set[tuple[str, str]] = set()
    for m in findings.mentions_for(term.value, gaz):
        key = (normalize(m.surface), m.field)
        if key in seen:
            continue
        seen.add(key)
        name = prep.written(m.k, m.n)
        if normalize(m.place.name) != normalize(m.surface) and m.place.kind != "group":
            name += f" ({m.place.name})"
        out.append(f"{name} in {m.field}")
    if len(out) > MAX_MENTIONS:
        out = out[:MAX_MENTIONS] + [f"{len(out) - MAX_MENTIONS} more"]
    return out


def explain(query: Query, prep: Prepared, findings: Findings, gaz: Gazetteer) -> str:
    """Which terms matched and where: “kosovo” (region Kosovo): Kosovo in title, Zvečan in text."""
    parts: list[str] = []
    for clause in query.clauses:
        for term in clause:
            if term.kind == "keyword":
                found = keyword_fields(term, prep)
                if found:
                    wheres = ", ".join(f"“{p}” in {f}" if p != term.value else f"in {f}" for p, f in found)
                    parts.append(f"“{term.value}” {wheres}")
            elif term.value in findings.regions:
                title = gaz.regions[term.value].title
                said = gaz.canonical_region_name(term.value)
                mentions = ", ".join(region_mentions(term, prep, findings, gaz))
                parts.append(f"“{said}” (region {title}): {mentions}")
    if query.excluded:
        parts.append("none of " + ", ".join(f"-{_said(t, gaz)}" for t in query.excluded))
    if query.sources.allowed and prep.doc.sources:
        parts.append(f"from {prep.doc.sources[0]}")
    return "; ".join(parts)


def _said(term: Term, gaz: Gazetteer) -> str:
    return gaz.canonical_region_name(term.value) if term.kind == "region" else f"“{term.value}”"
