"""Property tests: folding is idempotent, the parser never crashes, a text containing a keyword matches it."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from matching import Document, Matcher, QueryError, normalize, parse_query

TEXT = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)),
    max_size=80,
)
WORDISH = st.text(
    alphabet=st.sampled_from(list("abcdefghijklmnopqrstuvwxyzčćđšžäöüßłøéèêñ ЗвечанКосово-'.,\"")),
    min_size=1,
    max_size=30,
)
PROFILE = settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@PROFILE
@given(TEXT)
def test_normalize_is_idempotent(text):
    once = normalize(text)
    assert normalize(once) == once


@PROFILE
@given(
    st.one_of(
        TEXT,
        WORDISH,
        st.lists(st.sampled_from(['"', "-", "OR", "region:", "keyword:", "a", "kosovo", " ", "“"])).map(
            "".join
        ),
    )
)
def test_parser_answers_or_refuses(gaz, text):
    try:
        q = parse_query(text, gaz)
    except QueryError as exc:
        assert str(exc)
        assert "\n" not in str(exc)
    else:
        assert parse_query(q.canonical, gaz).canonical == q.canonical
        assert q.description


@PROFILE
@given(phrase=WORDISH, before=WORDISH, after=WORDISH)
def test_text_containing_a_keyword_phrase_matches_it(gaz, phrase, before, after):
    if not normalize(phrase) or '"' in phrase:
        return
    query = f'keyword:"{phrase}"'
    m = Matcher(gaz)
    m.add(1, query)
    assert 1 in m.match(Document(title="", text=f"{before} {phrase} {after}"))


@PROFILE
@given(
    a=st.sampled_from(["nato", "kfor", "or", "us", "kosovo", "elections", "2024", "gas", "peace"]),
    b=st.sampled_from(["nato", "unmik", "or", "uk", "balkans", "election", "x1", "news"]),
    op=st.sampled_from([" OR ", " -"]),
)
def test_pair_fast_path_is_the_parser(gaz, a, b, op):
    from matching.query import _group, _lex, _to_terms, simple_pair

    text = a + op + b
    fast = simple_pair(text, gaz)
    if fast is not None:  # None: left to the parser (which may refuse it)
        general = _group(_to_terms(_lex(text), gaz), gaz)
        assert (fast.canonical, fast.clauses, fast.excluded) == (
            general.canonical,
            general.clauses,
            general.excluded,
        )
