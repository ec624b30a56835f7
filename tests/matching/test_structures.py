"""The matcher's building blocks: the hash table, the token scanner and the word trie, against plain Python."""

from __future__ import annotations

import threading

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from matching.inttable import IntTable
from matching.normalize import fold, split_tokens
from matching.phrases import PhraseIds
from matching.tokens import (
    CASE_ALPHA_FIRST,
    CASE_LOWER_FIRST,
    CASE_UPPER,
    CASE_UPPER_FIRST,
    GAP_BLANK,
    GAP_COMMA,
    GAP_ENDS_SENTENCE,
    MAX_HASHED,
    SENTENCE_END,
    phrase_hashes,
    scan,
    word_hashes,
)
from matching.trie import WordTrie


def keys(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(1, 2**63, n, dtype=np.int64).astype(np.uint64) * np.uint64(2) + np.uint64(1)


def test_table_finds_every_key_after_bulk_and_single_inserts_and_growth():
    table = IntTable()
    bulk = keys(50_000, 1)
    table.put_many(bulk, np.arange(bulk.size))
    singles = keys(3_000, 2)
    for i in range(singles.size):  # one at a time: the path-moving insert, and rebuilds as it grows
        table.put_many(singles[i : i + 1], np.array([bulk.size + i]))
    everything = np.concatenate((bulk, singles))
    assert (table.get_many(everything) == np.arange(everything.size)).all()
    assert (table.get_many(keys(1_000, 3)) == -1).all()
    assert (table.get_many(np.zeros(5, np.uint64)) == -1).all()  # 0 marks empty slots and is never found


def test_table_never_hides_a_key_from_a_reader_while_inserting():
    table = IntTable()
    first = keys(20_000, 4)
    table.put_many(first, np.arange(first.size))
    more = keys(40_000, 5)
    misses: list[int] = []
    done = threading.Event()

    def read() -> None:
        while not done.is_set():
            misses.append(int((table.get_many(first) < 0).sum()))

    reader = threading.Thread(target=read)
    reader.start()
    for i in range(0, more.size, 500):  # free slots, moved keys and two rebuilds, while the reader reads
        table.put_many(more[i : i + 500], np.arange(i, i + 500))
    done.set()
    reader.join()
    assert misses and not any(misses)


def expected_case(token: str) -> int:
    return (
        (CASE_LOWER_FIRST if token[0].islower() else 0)
        | (CASE_UPPER_FIRST if token[0].isupper() else 0)
        | (CASE_UPPER if token.isupper() else 0)
        | (CASE_ALPHA_FIRST if token[0].isalpha() else 0)
    )


def expected_gap(gap: str) -> int:
    return (
        (GAP_ENDS_SENTENCE if not SENTENCE_END.isdisjoint(gap) else 0)
        | (GAP_BLANK if gap.strip() == "" else 0)
        | (GAP_COMMA if gap.strip() == "," else 0)
    )


_ASCII_TEXT = st.text(alphabet=st.sampled_from("aZ9 .,;!?-\n\t\"'()"), max_size=200)


@settings(max_examples=300, deadline=None)  # the first example may compile the scanner (numba)
@given(st.one_of(st.text(alphabet=st.characters(codec="utf-8"), max_size=300), _ASCII_TEXT))
def test_scan_cuts_the_tokens_split_tokens_cuts(text):
    """Both paths (ASCII bytes, and any text): the tokens, their hashes, case bits and gap bits are what the
    regular expression and str methods say."""
    text = fold(text.replace("\x00", " "))
    found = scan(text)
    starts, ends = found.starts.tolist(), found.ends.tolist()
    tokens = [text[a:b] for a, b in zip(starts, ends, strict=True)]
    assert tokens == split_tokens(text, folded=False)[0]
    low = [t.lower() if len(t.lower()) == len(t) else t for t in tokens]
    expected = word_hashes(low)
    expected[[len(t.encode()) > MAX_HASHED for t in low]] = 0
    assert found.hashes.tolist() == expected.tolist()
    assert found.case.tolist() == list(map(expected_case, tokens))
    gaps = [text[ends[k - 1] if k else 0 : starts[k]] for k in range(len(tokens))]
    assert found.gap_flags.tolist() == list(map(expected_gap, gaps))


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.lists(st.sampled_from(["a", "b", "é", "ab", "z" * 3]), min_size=1, max_size=4), max_size=20)
)
def test_phrase_hashes_are_the_words_hashes_in_a_row(phrases):
    """One-letter words too: joined by NUL alone, they make as many tokens as bytes."""
    texts = [" ".join(words) for words in phrases]
    hashes, lengths = phrase_hashes(texts)
    assert lengths.tolist() == [len(words) for words in phrases]
    assert hashes.tolist() == word_hashes([w for words in phrases for w in words]).tolist()


def test_fields_are_kept_apart_by_nul_tokens_that_match_nothing():
    found = scan("end of title\x00Start of text")
    assert found.hashes[3] == 0 and found.ends[3] - found.starts[3] == 1
    assert found.hashes[4] == word_hashes(["start"])[0]


def phrases_in(tokens: list[str], phrases: list[str]) -> set[tuple[int, int, str]]:
    """Every (start, length, phrase) of ``phrases`` in ``tokens``, by brute force."""
    out = set()
    for phrase in phrases:
        words = phrase.split(" ")
        for i in range(len(tokens) - len(words) + 1):
            if tokens[i : i + len(words)] == words:
                out.add((i, len(words), phrase))
    return out


@settings(max_examples=200, deadline=None)
@given(
    st.lists(
        st.lists(st.sampled_from(["ab", "cd", "ef", "gh"]), min_size=1, max_size=4), min_size=1, max_size=12
    ),
    st.lists(st.sampled_from(["ab", "cd", "ef", "gh", "zz"]), max_size=40),
)
def test_trie_walk_finds_what_brute_force_finds(phrase_words, text):
    phrases = sorted({" ".join(words) for words in phrase_words})
    ids: dict[str, int] = {}
    trie = WordTrie()

    def node(phrase: str) -> int:  # every prefix is a node, made once
        if phrase not in ids:
            head, _, last = phrase.rpartition(" ")
            if head:
                step = (node(head), node(last))
                ids[phrase] = len(ids)
                trie.add_links([step[0]], [step[1]], [ids[phrase]])
            else:
                ids[phrase] = len(ids)
                trie.add_words(word_hashes([phrase]), np.array([ids[phrase]]))
        return ids[phrase]

    for phrase in phrases:
        node(phrase)
    starts, lengths, nodes = trie.walk(word_hashes(text) if text else np.zeros(0, np.uint64))
    name = {v: k for k, v in ids.items()}
    found = {
        (s, n, name[x]) for s, n, x in zip(starts.tolist(), lengths.tolist(), nodes.tolist(), strict=True)
    }
    assert {f for f in found if f[2] in phrases} == phrases_in(text, phrases)


def test_phrase_ids_are_trie_nodes_and_a_subset_keeps_what_is_used():
    ids = PhraseIds()
    phrases = ["red cross", "red", "red cross society", "gas", "tear gas", "x" * 250, "y " + "z" * 250]
    first = ids.ids(phrases)
    assert ids.ids(list(reversed(phrases))).tolist() == first.tolist()[::-1]  # the same ids, asked again
    assert len(set(first.tolist())) == len(phrases)
    assert ids.region("XK") == ids.region("XK") not in first.tolist()
    text = word_hashes(["the", "red", "cross", "society", "met", "tear", "gas"])
    name = dict(zip(first.tolist(), phrases, strict=True))

    def found(table: PhraseIds, names: dict[int, str]) -> set[str]:
        return {names[node] for node in table.trie.nodes_in(text).tolist() if node in names}

    assert found(ids, name) == {"red cross", "red", "red cross society", "gas", "tear gas"}
    used = np.array(
        sorted([int(first[2]), int(first[4]), ids.region("XK")])
    )  # "red cross society", "tear gas"
    smaller, new_of = ids.subset(used, len(ids))
    assert new_of[used].tolist() == [0, 1, 2]  # the ids used come first, in order
    names = {int(new_of[i]): name[i] for i in used.tolist() if i in name}
    assert found(smaller, names) == {"red cross society", "tear gas"}
    assert smaller.regions == {"XK": int(new_of[ids.region("XK")])}
    assert len(smaller) < len(ids)  # "red", "red cross" kept only as parts of the longer phrase; "gas" too


def test_scan_reads_gaps_that_hold_lone_surrogates():
    text = "Zvečan \ud800, Leposavić"  # what a badly decoded feed can leave behind
    found = scan(text)
    assert [text[a:b] for a, b in zip(found.starts.tolist(), found.ends.tolist(), strict=True)] == [
        "Zvečan",
        "Leposavić",
    ]
    assert found.gap_flags[1] == 0  # neither blank nor a comma alone: the surrogate is a mark
