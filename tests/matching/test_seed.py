"""The seed article (KFOR clashes in northern Kosovo, May 2023) against the queries of issue #3."""

from __future__ import annotations

import pytest

from matching import Document, Matcher


@pytest.mark.parametrize(
    "query", ["kosovo", "region:balkans", "nato", '"tear gas"', "kfor OR unmik", "meloni", "vučić"]
)
def test_seed_matches(gaz, seed_doc, query):
    m = Matcher(gaz)
    m.add(7, query)
    found = m.match(seed_doc)
    assert 7 in found
    assert found[7].explain()


@pytest.mark.parametrize("query", ["japan", "nato -kosovo", "unmik", '"tear gas" -zvecan', "region:sahel"])
def test_seed_does_not_match(gaz, seed_doc, query):
    m = Matcher(gaz)
    m.add(7, query)
    assert m.match(seed_doc) == {}


def test_all_seed_queries_in_one_matcher(gaz, seed_doc):
    queries = [
        "kosovo",
        "region:balkans",
        "nato",
        '"tear gas"',
        "kfor OR unmik",
        "meloni",
        "vučić",
        "japan",
        "nato -kosovo",
    ]
    m = Matcher(gaz)
    m.add_many(enumerate(queries))
    assert sorted(m.match(seed_doc)) == [0, 1, 2, 3, 4, 5, 6]


def test_small_towns_alone_put_an_article_in_kosovo(matches):
    assert matches("kosovo", "Police in Zvecan and Leposavic were on alert overnight.")
    assert matches('region:"western balkans"', "Police in Zvecan and Leposavic were on alert overnight.")


def test_kosovo_explanation_names_places_and_fields(gaz, seed_doc):
    m = Matcher(gaz)
    m.add(1, "kosovo")
    doc = Document(title="Clashes in Zvečan", summary="", text=seed_doc.text)
    text = m.match(doc)[1].explain()
    assert "region Kosovo" in text
    assert "Zvečan in title" in text  # as written, accents kept
    assert "Zvecan in text" in text
    assert "Kosovo in text" in text


def test_keyword_explanation_says_where(gaz):
    m = Matcher(gaz)
    m.add(1, '"tear gas"')
    m.add(2, "peacekeeper")
    found = m.match(Document(title="Tear gas fired", summary="Peacekeepers hurt", text="More tear-gas."))
    assert found[1].explain() == "“tear gas” in title, in text"
    assert "“peacekeepers” in summary" in found[2].explain()
