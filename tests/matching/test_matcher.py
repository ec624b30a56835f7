"""The matcher: many subscriptions at once, live adds and removes, rebuilds, threads."""

from __future__ import annotations

import threading

from matching import Document, Matcher, parse_query

DOC = Document(
    title="NATO troops hurt in Zvečan", summary="Clashes in northern Kosovo.", text="Tear gas was used."
)


def test_many_subscriptions_share_entries(gaz):
    m = Matcher(gaz)
    m.add_many([(i, "kosovo") for i in range(500)] + [(1000 + i, '"tear gas"') for i in range(10)])
    found = m.match(DOC)
    assert sorted(found) == [*range(500), *range(1000, 1010)]
    assert found[0] is found[499]  # one Match per distinct query
    assert found[0].canonical == "region:kosovo"
    assert len(m) == 510


def test_add_many_accepts_queries_and_reports_bad_strings(gaz):
    m = Matcher(gaz)
    refused = m.add_many([(1, parse_query("nato", gaz)), (2, "region:atlantis"), (3, '"tear gas"')])
    assert [sub_id for sub_id, _ in refused] == [2]
    assert "atlantis" in str(refused[0][1])
    assert sorted(m.match(DOC)) == [1, 3]


def test_bulk_loads_that_repeat_or_replace_ids_keep_the_last_query(gaz):
    m = Matcher(gaz)
    m.add_many([(1, "japan"), (2, "nato"), (3, "japan")])  # compacted into the arrays
    m.add(4, "japan")  # beside them
    m.add_many([(1, "nato"), (4, "kosovo"), (5, "japan"), (5, "nato"), (6, "region:atlantis"), (2, "nato")])
    assert sorted(m.match(DOC)) == [1, 2, 4, 5]
    assert len(m) == 5  # 1, 2, 3, 4, 5: nothing counted twice, the refused one not at all
    assert m.remove(3) and not m.remove(6)


def test_added_subscription_is_live_at_once_and_removal_stops_it(gaz):
    m = Matcher(gaz)
    m.add_many([(1, "nato")])
    m.add(2, '"northern kosovo"')  # a phrase the main automaton has never seen
    assert sorted(m.match(DOC)) == [1, 2]
    assert m.remove(2)
    assert sorted(m.match(DOC)) == [1]
    assert not m.remove(2)
    assert 2 not in m


def test_replacing_a_subscription_changes_what_it_matches(gaz):
    m = Matcher(gaz)
    m.add(1, "nato")
    m.add(1, "japan")
    assert m.match(DOC) == {}
    m.add(1, "kosovo")
    assert list(m.match(DOC)) == [1]


def test_live_adds_are_folded_into_the_arrays_in_the_background(gaz):
    m = Matcher(gaz, extra_limit=20)
    for i in range(60):
        m.add(i, f'"word{i} zvecan"')  # new two-word phrases: their words become trie nodes too
    assert m.wait_idle(timeout=30)
    assert m._index.post.extra_size < 60  # a compaction ran: the adds left the dicts for the arrays
    m.add(100, "nato")
    doc = Document(title="", text="word7 Zvecan and word59 zvecan, NATO; word8 in zvecan")
    assert sorted(m.match(doc)) == [7, 59, 100]


def test_rebuild_keeps_adds_and_removes_made_meanwhile(gaz):
    m = Matcher(gaz)
    m.add_many([(i, f"w{i}") for i in range(3000)])
    done = threading.Event()

    def rebuild() -> None:
        m.rebuild()
        done.set()

    thread = threading.Thread(target=rebuild)
    thread.start()
    m.add(5000, "nato")
    m.remove(7)
    thread.join(timeout=60)
    assert done.is_set()
    found = m.match(Document(title="w7 w8 NATO"))
    assert sorted(found) == [8, 5000]


def test_many_removals_compact_in_the_background(gaz):
    m = Matcher(gaz)
    m.add_many([(i, f"w{i}") for i in range(3000)])
    for i in range(2000):
        m.remove(i)
    assert m.wait_idle(timeout=60)
    index = m._index
    # Removals since the last rebuild stay under the threshold (how many depends on when the thread ran)...
    assert index.removed <= max(1000, index.n_live // 5)
    assert len(index.canonicals) <= 1000 + index.removed
    assert len(index.keys) < 2 * 3000  # ...and a rebuild dropped phrases (word and plural) of removed ones
    assert sorted(m.match(Document(title="w1 w2500 w2999"))) == [2500, 2999]


def test_matching_while_adding_from_another_thread(gaz):
    m = Matcher(gaz, extra_limit=50)
    m.add(0, "kosovo")
    errors: list[BaseException] = []
    stop = threading.Event()

    def adder() -> None:
        try:
            for i in range(1, 400):
                m.add(i, f'"term{i}"')
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)
        finally:
            stop.set()

    thread = threading.Thread(target=adder)
    thread.start()
    while not stop.is_set():
        assert 0 in m.match(DOC)
    thread.join()
    assert m.wait_idle(timeout=30)
    assert not errors
    assert sorted(m.match(Document(title="term5 term399 in Kosovo"))) == [0, 5, 399]


def test_empty_document_matches_nothing(gaz):
    m = Matcher(gaz)
    m.add(1, "kosovo")
    assert m.match(Document(title="")) == {}
    assert m.match(Document(title="  ", summary="!!!", text="\n")) == {}


def test_explanation_of_mixed_query(gaz):
    m = Matcher(gaz)
    m.add(1, "nato kosovo -japan")
    text = m.match(DOC)[1].explain()
    assert text.startswith("“nato” in title")
    assert "“kosovo” (region Kosovo): Zvečan in title" in text  # as the article wrote it
    assert "northern Kosovo (North Kosovo) in summary" in text
    assert text.endswith("none of -japan")


def test_result_is_a_read_only_mapping(gaz):
    m = Matcher(gaz)
    m.add_many([(5, "nato"), (3, "kosovo"), (9, "nato"), (4, "japan")])
    found = m.match(DOC)
    assert len(found) == 3 and sorted(found) == [3, 5, 9] and list(found) == [3, 5, 9]
    assert 4 not in found and "5" not in found and found.get(4) is None
    assert found[5] is found[9] and found[5].canonical == "nato"
    assert dict(found) == {3: found[3], 5: found[5], 9: found[5]}
    try:
        found[4]
    except KeyError:
        pass
    else:  # pragma: no cover - reported by the assertion
        raise AssertionError("found[4] should raise KeyError")


def test_compiled_and_live_parts_agree(gaz):
    """Subscriptions in the arrays (bulk) and beside them (live adds): replace, remove, share keys and vetoes."""
    m = Matcher(gaz)
    m.add_many([(1, "nato"), (2, '"tear gas"'), (3, "kosovo"), (4, "japan"), (5, "nato -japan")])
    m.add(1, "japan")  # a compiled subscription replaced by a live one
    m.remove(2)  # a compiled one removed
    m.add(6, "nato")  # live, on an entry that is compiled
    m.add(7, "nato -kosovo")  # live, vetoed by a compiled key
    m.add(8, "nato gas")  # live, two clauses
    assert len(m) == 7 and 2 not in m and 1 in m
    assert sorted(m.match(DOC)) == [3, 5, 6, 8]
    m.rebuild()  # everything compiled again, removed ones dropped
    assert sorted(m.match(DOC)) == [3, 5, 6, 8]
    assert m.match(Document(title="Japan")).keys() == {1, 4}


def test_many_live_adds_are_compacted_in_the_background(gaz):
    m = Matcher(gaz)
    m.add_many([(0, "kosovo")])
    for i in range(1, 12_001):
        m.add(i, "nato" if i % 2 else "japan")
    assert m.wait_idle(timeout=60)
    assert m._index.post.extra_size < 10_000  # folded into the arrays
    m.remove(1)
    found = m.match(DOC)
    assert len(found) == 1 + 6000 - 1 and 0 in found and 3 in found and 1 not in found and 2 not in found
