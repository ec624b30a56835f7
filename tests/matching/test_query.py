"""The query language: what is accepted, how it is understood, what is refused and why."""

from __future__ import annotations

import pytest

from matching import QueryError, parse_query


def canon(text: str) -> str:
    return parse_query(text).canonical


@pytest.mark.parametrize(
    ("raw", "canonical"),
    [
        ("nato", "nato"),
        ("NATO", "nato"),
        ("Vučić", "vucic"),
        ("nato kosovo", "nato region:kosovo"),
        ("kosovo nato", "nato region:kosovo"),
        ("Kosovo", "region:kosovo"),
        ("kosova", "region:kosovo"),
        ("Косово", "region:kosovo"),
        ("region:Kosovo", "region:kosovo"),
        ("region:xk", "region:kosovo"),
        ('"Tear Gas"', '"tear gas"'),
        ("“tear gas”", '"tear gas"'),
        ("tear-gas", "keyword:tear-gas"),
        ("kfor OR unmik", "kfor OR unmik"),
        ("unmik or kfor", "kfor OR unmik"),
        ("kfor | unmik", "kfor OR unmik"),
        ("nato -kosovo", "nato -region:kosovo"),
        ('nato -"tear gas"', 'nato -"tear gas"'),
        ("keyword:kosovo", "keyword:kosovo"),
        ("keyword:Turkey", "keyword:turkey"),
        ("middle east", 'region:"middle east"'),
        ("Western Balkans elections", 'elections region:"western balkans"'),
        ('region:"western balkans"', 'region:"western balkans"'),
        ("region:western-balkans", 'region:"western balkans"'),
        ("region:us-ga", "region:us-ga"),
        ("region:california", "region:us-ca"),
        ("georgia", "region:georgia"),
        ("nato nato", "nato"),
        ("b OR a c", "a OR b c"),
        ("nato !!!", "nato"),
    ],
)
def test_canonical_forms(raw, canonical):
    assert canon(raw) == canonical


@pytest.mark.parametrize(
    "raw",
    [
        "kosovo",
        "nato -kosovo",
        'a OR "b c" -d region:eu',
        "keyword:kosovo",
        "region:us-ga",
        "tear-gas",
        "x OR y OR z",
    ],
)
def test_canonical_is_stable(raw):
    once = canon(raw)
    assert canon(once) == once


def test_every_region_round_trips(gaz):
    for key in gaz.regions:
        q = parse_query(f'region:"{gaz.canonical_region_name(key)}"', gaz)
        assert q.clauses[0][0].value == key
        assert canon(q.canonical) == q.canonical


def test_bare_region_word_says_how_to_force_a_keyword():
    q = parse_query("kosovo")
    assert q.is_region
    assert q.description.startswith("Region: Kosovo (XK) — Pristina")
    assert "and " in q.description and "more places" in q.description
    assert "keyword:kosovo" in q.description
    assert not parse_query("region:kosovo").is_region
    assert not parse_query("keyword:kosovo").is_region
    assert not parse_query("nato").is_region


def test_descriptions():
    assert parse_query('"tear gas"').description.startswith("Keyword: “tear gas”")
    assert "“peacekeeper” (or “peacekeepers”)" in parse_query("peacekeeper").description
    group = parse_query("region:balkans").description
    assert group.startswith("Region: the Balkans — Albania") and "Serbia" in group
    mixed = parse_query("nato kosovo -serbia").description
    assert mixed.startswith("Articles with “nato”")
    assert "but not Serbia (RS)" in mixed


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("", "empty"),
        ("   ", "empty"),
        ('"tear gas', "not closed"),
        ('nato "tear', "not closed"),
        ("-nato", "only exclusions"),
        ('-nato -"tear gas"', "only exclusions"),
        ("x" * 201, "too long"),
        (" ".join(f"w{i}" for i in range(11)), "Too many terms"),
        ("a OR b OR c OR d OR e OR f OR g OR h OR i OR j OR k", "Too many terms"),
        ("region:atlantis", "don't know the region"),
        ("region:", "needs a name"),
        ("OR nato", "OR needs a term"),
        ("nato OR", "OR needs a term"),
        ("nato OR OR kfor", "OR needs a term"),
        ("nato OR -kfor", "can't join an exclusion"),
        ("!!! ???", "nothing to look for"),
    ],
)
def test_refusals_say_why(raw, reason):
    with pytest.raises(QueryError) as info:
        parse_query(raw)
    assert reason in str(info.value)
    assert "\n" not in str(info.value)


def test_unknown_region_suggests_nearest():
    with pytest.raises(QueryError) as info:
        parse_query("region:kosvo")
    assert "kosovo" in info.value.suggestions
    assert "region:kosovo" in str(info.value)
    with pytest.raises(QueryError) as info:
        parse_query("region:balkns")
    assert info.value.suggestions[0] == "balkans"


def test_two_hundred_characters_and_ten_terms_are_fine():
    assert parse_query("a" * 200).canonical == "a" * 200
    assert len(parse_query(" ".join(f"w{i}" for i in range(10))).clauses) == 10


def test_query_equality_is_by_canonical_form():
    assert parse_query("Kosovo") == parse_query("region:kosovo")
    assert len({parse_query("nato kfor"), parse_query("kfor  NATO")}) == 1


def _general(text: str, gaz):
    """The general parser, skipping the fast paths."""
    from matching.query import _group, _lex, _to_terms

    return _group(_to_terms(_lex(text), gaz), gaz)


@pytest.mark.parametrize(
    "text",
    [
        "kfor OR unmik",
        "unmik OR kfor",
        "nato OR nato",
        "nato -kosovo",
        "nato -japan",
        "peacekeepers -nato",
        "nato -nato",
        "2024 OR elections",
        "us OR nato",
        "or OR nato",
        "nato -or",
        "balkans OR nato",
    ],
)
def test_pair_fast_path_agrees_with_the_parser(gaz, text):
    from matching.query import simple_pair

    fast = simple_pair(text, gaz)
    if fast is None:
        return  # left to the parser (which may refuse it)
    general = _general(text, gaz)
    assert (fast.canonical, fast.clauses, fast.excluded, fast.is_region) == (
        general.canonical,
        general.clauses,
        general.excluded,
        general.is_region,
    )
    assert [t.exact for c in fast.clauses for t in c] == [t.exact for c in general.clauses for t in c]
    assert parse_query(text, gaz).canonical == general.canonical


def test_pair_fast_path_declines_regions_and_or(gaz):
    from matching.query import simple_pair

    assert simple_pair("nato -kosovo", gaz) is None
    assert simple_pair("balkans OR nato", gaz) is None
    assert simple_pair("or OR nato", gaz) is None
    assert simple_pair("nato OR kfor", gaz) is not None


@pytest.mark.parametrize(
    "text", ["nato", "elections", "peacekeeper", '"tear gas"', "kosovo", "or", "Nato", "us", "a-b"]
)
def test_simple_phrases_are_the_keyword_terms_phrases(gaz, text):
    from matching.query import simple_keyword, simple_phrases

    term = simple_keyword(text, gaz)
    assert simple_phrases(text, gaz) == (term.phrases() if term is not None else None)
