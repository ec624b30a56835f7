"""One news report as the grouper sees it: weighted terms, the names and quantities it states, its time and source.

Terms are the stems of the title, the stems of the first words of the lead (weighted less: a lead wanders off
into background), and pairs of neighbouring title stems ("vincent gigant", "aceh provinc"), which tell a story from
another that merely shares its words. The weights here are only the kind of a term; the grouper multiplies them by
the term's inverse document frequency in the current window.
"""

from __future__ import annotations

from dataclasses import dataclass

from matching.similar import strip_source_suffix
from stories.text import analyse

TITLE_WEIGHT = 1.0
PAIR_WEIGHT = 0.5
LEAD_WEIGHT = 0.4
LEAD_WORDS = 40
MIN_LEAD_WORDS = 5
LEAD_CHARS = 500  # enough text for LEAD_WORDS content words


@dataclass(frozen=True, slots=True)
class Report:
    """What the grouper needs of an article. ``key`` is the caller's id for it (the article id); ``source`` its
    feed; ``seen`` when we learned of it (the window's clock); ``published`` what the feed said, if anything."""

    key: int
    source: int
    seen: float
    published: float | None
    language: str
    terms: dict[str, float]
    name_terms: frozenset[str]  # written capitalised inside a sentence-case headline
    lower_terms: frozenset[str]  # written in lower case in a sentence-case headline
    unsure_terms: frozenset[str]  # title words whose writing says nothing (first word, title case)
    quantities: frozenset[tuple[str, str]]
    url_key: int | None = None
    has_lead: bool = False  # a lead of at least MIN_LEAD_WORDS content words


def make_report(
    key: int,
    source: int,
    seen: float,
    title: str,
    lead: str = "",
    *,
    published: float | None = None,
    url_key: int | None = None,
) -> Report:
    """Analyse ``title`` and ``lead`` into a :class:`Report`. The lead is read in the title's language."""
    head = analyse(strip_source_suffix(title.rstrip(" .…")))
    body = analyse(lead[:LEAD_CHARS], head.language) if lead else None
    terms: dict[str, float] = {}
    stems = [w.stem for w in head.words]
    for stem in stems:
        terms[stem] = TITLE_WEIGHT
    for a, b in zip(stems, stems[1:], strict=False):
        if a != b:
            terms.setdefault(f"{a} {b}", PAIR_WEIGHT)
    if body is not None:
        for word in body.words[:LEAD_WORDS]:
            terms.setdefault(word.stem, LEAD_WEIGHT)
    names = frozenset(w.stem for w in head.words if w.name)
    lowers = frozenset(w.stem for w in head.words if w.lower and not w.number) - names
    return Report(
        key=key,
        source=source,
        seen=seen,
        published=published,
        language=head.language,
        terms=terms,
        name_terms=names,
        lower_terms=lowers,
        unsure_terms=frozenset(w.stem for w in head.words if not w.number) - names - lowers,
        quantities=head.quantities | (body.quantities if body else frozenset()),
        url_key=url_key,
        has_lead=body is not None and len(body.words) >= MIN_LEAD_WORDS,
    )
