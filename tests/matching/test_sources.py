"""``source:NAME`` in queries: parsing, canonical forms, refusals, and the matcher keeping to the named feeds."""

from __future__ import annotations

import pytest

from matching import Document, Matcher, QueryError, parse_query
from matching.sources import source_key, source_matches, source_names

REUTERS = source_names("Reuters World", "Reuters: World News", urls=("https://feeds.reuters.com/world",))
BBC = source_names("BBC News - World", urls=("https://feeds.bbci.co.uk/news/world/rss.xml",))
UNNAMED = source_names(urls=("https://www.apnews.com/hub/world.rss",))


@pytest.mark.parametrize(
    ("key", "names", "expected"),
    [
        ("reuters", REUTERS, True),
        ("reuters world", REUTERS, True),
        ("reuters.com", REUTERS, True),
        ("world", REUTERS, True),
        ("reut", ("Reuters World",), False),  # a name's word must be whole...
        ("reut", REUTERS, True),  # ...while a host's label may be begun: feeds.reuters.com
        ("bbc", BBC, True),  # its name, and the bbci host
        ("bbc", REUTERS, False),
        ("ap", UNNAMED, True),  # apnews.com, www. dropped
        ("apnews.com", UNNAMED, True),
        ("reuters", UNNAMED, False),
        ("world news", BBC, False),  # "BBC News - World": not consecutive
    ],
)
def test_a_source_key_matches_names_as_words_and_hosts_by_their_labels(key, names, expected):
    assert source_matches(key, names) is expected


def test_source_keys_fold_case_accents_and_spacing():
    assert source_key("  Reuters   WORLD ") == "reuters world"
    assert source_key("Večernje.Novosti") == "vecernje.novosti"
    assert source_key("!!!") == ""


def test_source_in_a_query_is_canonical_and_stable():
    query = parse_query('source:Reuters nato -source:"Daily Mail" source:BBC')
    assert query.canonical == 'nato source:bbc source:reuters -source:"daily mail"'
    assert parse_query(query.canonical).canonical == query.canonical
    assert "Only from sources named “bbc” or “reuters”." in query.description
    assert "Not from “daily mail”." in query.description


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("kosovo source:", "source: needs a name right after the colon, e.g. source:reuters."),
        ('kosovo source:""', "source: needs a name right after the colon"),
        ("source:reuters", "source: only narrows a query"),
        ("nato OR source:bbc", "OR can't join source:"),
        ("source:bbc OR nato", "OR can't join source:"),
        ("kosovo source:" + "x" * 70, "at most 60 characters"),
    ],
)
def test_bad_source_terms_are_refused_with_a_reason(text, reason):
    with pytest.raises(QueryError, match=reason.replace("(", r"\(").replace(".", r"\.")):
        parse_query(text)


def article(sources: tuple[str, ...]) -> Document:
    return Document(
        title="Clashes in Zvečan", text="Police and protesters clashed in Zvečan.", sources=sources
    )


def test_the_matcher_keeps_a_source_query_to_its_source():
    matcher = Matcher()
    matcher.add(1, "kosovo source:reuters")
    matcher.add(2, "kosovo -source:reuters")
    matcher.add(3, "kosovo")
    matcher.add(4, "kosovo source:bbc source:reuters")
    from_reuters = matcher.match(article(REUTERS))
    assert sorted(from_reuters) == [1, 3, 4]
    assert "from Reuters World" in from_reuters[1].explain()
    assert sorted(matcher.match(article(BBC))) == [2, 3, 4]
    assert sorted(matcher.match(article(()))) == [2, 3], "an article of unknown source is no one's source"


def test_source_filters_survive_compaction_and_a_rebuild():
    matcher = Matcher(extra_limit=1)
    for sub_id in range(1, 40):
        matcher.add(sub_id, f"keyword:w{sub_id}")
    matcher.add(100, "kosovo source:bbc")
    matcher.add(101, "kosovo")
    for sub_id in range(1, 40):
        matcher.remove(sub_id)
    matcher.rebuild()
    assert matcher.wait_idle(10)
    assert sorted(matcher.match(article(REUTERS))) == [101]
    assert sorted(matcher.match(article(BBC))) == [100, 101]
