"""The subscription query language.

    nato kosovo            words are ANDed
    "tear gas"             a quoted phrase, matched as written (no plural/singular)
    kfor OR unmik          either term (OR binds tighter than the implicit AND: ``a b OR c`` is a AND (b OR c))
    -word  -"a phrase"     exclusions
    region:NAME            a country, group of countries or US state (region:"western balkans", region:us-ca)
    keyword:WORD           the literal word, even when it names a region (keyword:turkey)
    source:NAME            only articles from feeds of that name or site; -source:NAME excludes (matching.sources)

A bare word or run of words that names a known region ("kosovo", "middle east") becomes a region subscription;
the description says so and how to force a keyword. Every query has a canonical form, stable under re-parsing,
which is what storage keeps and compares ("/subscribe Kosovo" twice is one subscription).
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from functools import cached_property

import matching.sources as source_rules
from matching.gazetteer import Gazetteer, Region, load
from matching.inflect import variants
from matching.normalize import normalize
from matching.sources import SourceFilter, source_key

MAX_CHARS = 200
MAX_TERMS = 10
MAX_REGION_WORDS = 4
_OPEN_QUOTES = '"“”„«»'
_CLOSE_QUOTES = {'"': '"“”', "“": "”“\"", "”": "”\"", "„": "“”\"", "«": "»\"", "»": "«\""}  # fmt: skip
_OR_WORDS = frozenset({"OR", "|", "||"})
# Already canonical single keywords: one lowercase ASCII word, or a quoted phrase of such words.
_SIMPLE = re.compile(r'[a-z0-9]+|"[a-z0-9]+(?: [a-z0-9]+)*"')
# Two lowercase ASCII words joined by OR, or the first excluding the second: the next most common stored forms.
_SIMPLE_PAIR = re.compile(r"([a-z0-9]+) (OR |-)([a-z0-9]+)")


class QueryError(ValueError):
    """A query that cannot be used; ``str(e)`` is one friendly line, ``suggestions`` are names to try."""

    def __init__(self, message: str, suggestions: list[str] | None = None) -> None:
        super().__init__(message)
        self.suggestions: list[str] = suggestions or []


@dataclass(frozen=True, slots=True)
class Term:
    """One thing to look for. For keywords ``value`` is the normalised phrase; for regions the region key."""

    kind: str  # "keyword" | "region"
    value: str
    exact: bool = False  # keyword written in quotes: no plural/singular variants
    auto: bool = field(default=False, compare=False)  # region recognised from a bare word

    def phrases(self) -> tuple[str, ...]:
        """Normalised phrases that satisfy a keyword term."""
        return (self.value,) if self.exact else variants(self.value)


@dataclass(frozen=True)
class Query:
    """A parsed subscription: clauses ANDed, alternatives within a clause ORed, exclusions."""

    clauses: tuple[tuple[Term, ...], ...]
    excluded: tuple[Term, ...]
    canonical: str
    is_region: bool
    gazetteer: Gazetteer = field(repr=False, compare=False)
    sources: SourceFilter = SourceFilter()

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Query) and other.canonical == self.canonical

    def __hash__(self) -> int:
        return hash(self.canonical)

    @cached_property
    def description(self) -> str:
        """How the query was understood, in words."""
        return _describe(self)


@dataclass(slots=True)
class _Lexeme:
    text: str  # as typed (without prefix, sign or quotes)
    quoted: bool = False
    negated: bool = False
    prefix: str = ""  # "", "region", "keyword", "source"
    is_or: bool = False


def parse_query(text: str, gazetteer: Gazetteer | None = None) -> Query:
    """Parse a subscription query, or raise :class:`QueryError` saying why it cannot be used."""
    gaz = gazetteer or load()
    if not isinstance(text, str) or not text.strip():
        raise QueryError('The query is empty: send a word, a "quoted phrase" or region:NAME.')
    if len(text) > MAX_CHARS:
        raise QueryError(f"The query is too long ({len(text)} characters; at most {MAX_CHARS}).")
    term = simple_keyword(text, gaz)
    if term is not None:
        return Query(((term,),), (), text, False, gaz)
    query = simple_pair(text, gaz)
    if query is not None:
        return query
    lexemes = _lex(text)
    terms = _to_terms(lexemes, gaz)
    return _group(terms, gaz)


def simple_keyword(text: str, gaz: Gazetteer) -> Term | None:
    """The keyword term of a query that is already one canonical keyword (``nato``, ``"tear gas"``), else None.

    The common case, and the form every stored single keyword has: bulk loads skip the general parser.
    """
    if not _SIMPLE.fullmatch(text):
        return None
    if text[0] == '"':
        return Term("keyword", text[1:-1], exact=True)
    if text == "or" or text in gaz.region_names:
        return None
    return Term("keyword", text)


def simple_phrases(text: str, gaz: Gazetteer) -> tuple[str, ...] | None:
    """The phrases of a query that :func:`simple_keyword` accepts, without building its Term (bulk loads)."""
    if not _SIMPLE.fullmatch(text):
        return None
    if text[0] == '"':
        return (text[1:-1],)
    if text == "or" or text in gaz.region_names:
        return None
    return variants(text)


def simple_pair(text: str, gaz: Gazetteer) -> Query | None:
    """``a OR b`` or ``a -b`` of plain keywords (lowercase ASCII words that name no region), else None.

    What the general parser makes of them, without it: bulk loads of a million stored queries spend most of
    their parsing time on these two forms otherwise (the tests compare both paths).
    """
    found = _SIMPLE_PAIR.fullmatch(text)
    if found is None:
        return None
    a, op, b = found.groups()
    names = gaz.region_names
    if a == "or" or b == "or" or a in names or b in names:
        return None
    if op == "-":
        return Query(((Term("keyword", a),),), (Term("keyword", b),), text, False, gaz)
    if a == b:
        return Query(((Term("keyword", a),),), (), a, False, gaz)
    a, b = sorted((a, b))
    return Query(((Term("keyword", a), Term("keyword", b)),), (), f"{a} OR {b}", False, gaz)


def _lex(text: str) -> list[_Lexeme]:
    out: list[_Lexeme] = []
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch.isspace():
            i += 1
            continue
        negated = False
        if ch == "-" and i + 1 < n and not text[i + 1].isspace():
            negated = True
            i += 1
            ch = text[i]
        prefix = ""
        if ch not in _OPEN_QUOTES:
            j = i
            while j < n and not text[j].isspace() and text[j] not in _OPEN_QUOTES:
                j += 1
            word = text[i:j]
            head, colon, rest = word.partition(":")
            if colon and head.lower() in ("region", "keyword", "source"):
                prefix = head.lower()
                if rest:
                    out.append(_Lexeme(rest, negated=negated, prefix=prefix))
                    i = j
                    continue
                if j >= n or text[j] not in _OPEN_QUOTES:
                    example = "reuters" if prefix == "source" else "kosovo"
                    raise QueryError(
                        f"{prefix}: needs a name right after the colon, e.g. {prefix}:{example}."
                    )
                i = j
                ch = text[i]
            else:
                if word in _OR_WORDS or word.upper() == "OR" and not negated:
                    out.append(_Lexeme(word, is_or=True))
                else:
                    out.append(_Lexeme(word, negated=negated))
                i = j
                continue
        # a quoted phrase
        closers = _CLOSE_QUOTES[ch]
        j = i + 1
        while j < n and text[j] not in closers:
            j += 1
        if j >= n:
            raise QueryError('A quote is not closed: put quotes in pairs, like "tear gas".')
        out.append(_Lexeme(text[i + 1 : j], quoted=True, negated=negated, prefix=prefix))
        i = j + 1
    return out


def _to_terms(lexemes: list[_Lexeme], gaz: Gazetteer) -> list[tuple[Term, bool] | None]:
    """Terms with their negation, None standing for OR. Runs of bare words that name a region are merged."""
    out: list[tuple[Term, bool] | None] = []
    i = 0
    while i < len(lexemes):
        lx = lexemes[i]
        if lx.is_or:
            out.append(None)
            i += 1
            continue
        if lx.prefix == "source":
            key = source_key(lx.text)
            if not key or len(key) > source_rules.MAX_SOURCE_CHARS:
                raise QueryError(source_rules.SOURCE_EMPTY if not key else source_rules.SOURCE_TOO_LONG)
            out.append((Term("source", key), lx.negated))
            i += 1
            continue
        if lx.prefix == "region":
            taken, region = _region_after_prefix(lexemes, i, gaz)
            if region is None:
                raise _unknown_region(lx.text, gaz)
            out.append((Term("region", region.key), lx.negated))
            i += taken
            continue
        value = normalize(lx.text)
        if not value:
            i += 1  # punctuation only: nothing to look for
            continue
        if lx.prefix == "keyword" or lx.quoted:
            out.append((Term("keyword", value, exact=lx.quoted), lx.negated))
            i += 1
            continue
        # bare words: longest run (up to MAX_REGION_WORDS) naming a region
        matched = 0
        if not lx.negated:
            run: list[str] = []
            for lx2 in lexemes[i : i + MAX_REGION_WORDS]:
                if lx2.is_or or lx2.prefix or lx2.quoted or lx2.negated:
                    break
                run.append(normalize(lx2.text))
                if gaz.region_for(" ".join(run), explicit=False) is not None:
                    matched = len(run)
        else:
            matched = 1 if gaz.region_for(value, explicit=False) is not None else 0
        if matched:
            name = " ".join(normalize(x.text) for x in lexemes[i : i + matched])
            region = gaz.region_for(name, explicit=False)
            assert region is not None
            out.append((Term("region", region.key, auto=True), lx.negated))
            i += matched
            continue
        out.append((Term("keyword", value), lx.negated))
        i += 1
    return out


def _region_after_prefix(lexemes: list[_Lexeme], i: int, gaz: Gazetteer) -> tuple[int, Region | None]:
    """The longest region name that ``region:`` starts, as people type it unquoted ("region:middle east"): how
    many lexemes it takes, and the region (None when not even the first word names one)."""
    first = lexemes[i]
    best: tuple[int, Region | None] = (1, gaz.region_for(first.text, explicit=True))
    if first.quoted:
        return best
    words = [first.text]
    for n, lx in enumerate(lexemes[i + 1 : i + MAX_REGION_WORDS], start=2):
        if lx.is_or or lx.prefix or lx.quoted or lx.negated:
            break
        words.append(lx.text)
        region = gaz.region_for(" ".join(words), explicit=True)
        if region is not None:
            best = (n, region)
    return best


def _unknown_region(name: str, gaz: Gazetteer) -> QueryError:
    norm = normalize(name)
    close = difflib.get_close_matches(norm, gaz.region_choices(), n=3, cutoff=0.6)
    hint = f" Did you mean {', '.join('region:' + _quote(c) for c in close)}?" if close else ""
    return QueryError(f'I don\'t know the region "{name}".{hint}', suggestions=close)


def _group(terms: list[tuple[Term, bool] | None], gaz: Gazetteer) -> Query:
    clauses: list[list[Term]] = []
    excluded: list[Term] = []
    sources: tuple[list[str], list[str]] = ([], [])  # allowed, refused
    pending_or = False
    last_negated = False
    last_source = False
    seen_term = False
    for item in terms:
        if item is None:
            if not seen_term or pending_or:
                raise QueryError("OR needs a term on each side, like: kfor OR unmik.")
            if last_source:
                raise QueryError(source_rules.SOURCE_OR)
            if last_negated:
                raise QueryError(
                    "OR can't join an exclusion; write exclusions on their own, like: nato -kosovo."
                )
            pending_or = True
            continue
        term, negated = item
        last_source = term.kind == "source"
        if last_source:
            if pending_or:
                raise QueryError(source_rules.SOURCE_OR)
            sources[negated].append(term.value)
            seen_term = True
            continue
        if negated:
            if pending_or:
                raise QueryError(
                    "OR can't join an exclusion; write exclusions on their own, like: nato -kosovo."
                )
            excluded.append(term)
        elif pending_or:
            clauses[-1].append(term)
        else:
            clauses.append([term])
        pending_or = False
        last_negated = negated
        seen_term = True
    if pending_or:
        raise QueryError("OR needs a term on each side, like: kfor OR unmik.")
    count = sum(len(c) for c in clauses) + len(excluded) + len(sources[0]) + len(sources[1])
    if not clauses and (sources[0] or sources[1]):
        raise QueryError(source_rules.SOURCE_ALONE)
    if count == 0:
        raise QueryError('There is nothing to look for: send a word, a "quoted phrase" or region:NAME.')
    if not clauses:
        raise QueryError("A query needs something to look for, not only exclusions (-word).")
    if count > MAX_TERMS:
        raise QueryError(f"Too many terms ({count}; at most {MAX_TERMS}).")
    unique_clauses = {tuple(sorted(set(c), key=lambda t: _render(t, gaz))) for c in clauses}
    final = tuple(sorted(unique_clauses, key=lambda c: _render_clause(c, gaz)))
    final_excluded = tuple(sorted(set(excluded), key=lambda t: _render(t, gaz)))
    allowed, refused = (tuple(sorted(set(keys))) for keys in sources)
    parts = [_render_clause(c, gaz) for c in final] + ["-" + _render(t, gaz) for t in final_excluded]
    parts += [f"source:{_quote(k)}" for k in allowed] + [f"-source:{_quote(k)}" for k in refused]
    is_region = any(t.auto for c in clauses for t in c) or any(t.auto for t in excluded)
    # keep the auto flag from the original terms (set() may have kept an equal explicit twin)
    autos = {t for c in clauses for t in c if t.auto} | {t for t in excluded if t.auto}
    final = tuple(tuple(_with_auto(t, autos) for t in c) for c in final)
    final_excluded = tuple(_with_auto(t, autos) for t in final_excluded)
    return Query(final, final_excluded, " ".join(parts), is_region, gaz, SourceFilter(allowed, refused))


def _with_auto(term: Term, autos: set[Term]) -> Term:
    return Term(term.kind, term.value, term.exact, auto=True) if term in autos else term


def _quote(name: str) -> str:
    return f'"{name}"' if " " in name else name


def _render(term: Term, gaz: Gazetteer) -> str:
    if term.kind == "region":
        return "region:" + _quote(gaz.canonical_region_name(term.value))
    if term.exact:
        return f'"{term.value}"'
    if " " in term.value:
        return "keyword:" + term.value.replace(" ", "-")
    if term.value in gaz.region_names or term.value == "or":
        return "keyword:" + term.value
    return term.value


def _render_clause(clause: tuple[Term, ...], gaz: Gazetteer) -> str:
    return " OR ".join(_render(t, gaz) for t in clause)


# -- descriptions ---------------------------------------------------------------------------------------------

MAX_PLACES_SHOWN = 5


def describe_term(term: Term, gaz: Gazetteer, *, long: bool = False) -> str:
    """A term in words: “tear gas”, or the region with a few of the places it includes."""
    if term.kind == "keyword":
        phrases = term.phrases()
        text = f"“{phrases[0]}”"
        if len(phrases) > 1:
            text += f" (or “{phrases[1]}”)"
        return text
    region = gaz.regions[term.value]
    if region.kind == "group":
        names = sorted(gaz.regions[cc].title for cc in gaz.groups[term.value].countries if cc in gaz.regions)
        shown = names if long and len(names) <= 12 else names[:MAX_PLACES_SHOWN]
        more = len(names) - len(shown)
        listing = ", ".join(shown) + (f" and {more} more countries" if more else "")
        return f"{region.title} — {listing}" if long else f"{region.title} ({listing})"
    places = gaz.places_in(term.value)
    label = region.title if region.kind == "state" else f"{region.title} ({region.key})"
    if not places:
        return label
    shown = [p.name for p in places[:MAX_PLACES_SHOWN]]
    more = len(places) - len(shown)
    listing = ", ".join(shown) + (f" and {more} more places" if more else "")
    return f"{label} — {listing}" if long else label


def _describe(q: Query) -> str:
    gaz = q.gazetteer
    single = len(q.clauses) == 1 and len(q.clauses[0]) == 1 and not q.excluded
    if single:
        term = q.clauses[0][0]
        if term.kind == "region":
            text = f"Region: {describe_term(term, gaz, long=True)}."
            region = gaz.regions[term.value]
            text += (
                " Also matches its names in other languages, its people (demonyms) and its towns."
                if region.kind == "country"
                else " Matches articles about any of these countries or naming the region itself."
                if region.kind == "group"
                else " Matches articles naming the state or its towns."
            )
        else:
            text = f"Keyword: {describe_term(term, gaz)}, as a whole word, in any case and with or without accents."
    else:
        parts = []
        for clause in q.clauses:
            parts.append(" or ".join(describe_term(t, gaz) for t in clause))
        text = "Articles with " + " and ".join(parts)
        if q.excluded:
            text += ", but not " + " or ".join(describe_term(t, gaz) for t in q.excluded)
        text += "."
        regions = [t for c in q.clauses for t in c if t.kind == "region"]
        for t in regions[:2]:
            text += f" {describe_term(t, gaz, long=True)}."
    text += q.sources.description
    for term in [t for c in q.clauses for t in c if t.auto] + [t for t in q.excluded if t.auto]:
        word = gaz.canonical_region_name(term.value)
        text += f" (“{word}” was read as a region; send keyword:{word.replace(' ', '-')} to follow the word itself.)"
    return text
