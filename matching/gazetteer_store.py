"""The gazetteer's tables: built once from ``matching/data/gazetteer.json.gz`` and cached as numpy arrays that
later processes memory-map.

Parsing the JSON and building the name trie take about two seconds, which every ``newsalert match`` and every bot
start paid. The tables are the same for the same data file, so the first process that needs them builds them and
writes them, one ``.npy`` file each, to a cache folder outside the package (:func:`matching.cache.cache_dir`):
later ones open them with ``np.load(mmap_mode="r")`` in milliseconds. The folder's name holds a hash of the data
file, of this module's format and of the token-hash seed, so new data, a new layout or another seed is built
afresh. If the
cache cannot be written (a read-only home), the tables are built in memory, as before.
"""

from __future__ import annotations

import contextlib
import gzip
import hashlib
import json
import shutil
import tempfile
from pathlib import Path

import numpy as np

from matching.cache import cache_dir
from matching.slavic import SLAVIC_ENDINGS
from matching.tokens import hash_seed_in_use, phrase_hashes, word_hashes
from matching.trie import WordTrie

FORMAT = 1  # bump when the arrays below change
KINDS = ("group", "country", "area", "state", "capital", "city")  # kind ids, as the place rules number them


def open_tables(data_file: Path, signature: str) -> tuple[dict[str, np.ndarray], dict]:
    """The arrays and the metadata of the gazetteer in ``data_file``: memory-mapped from the cache when built
    before, else built now (and cached when the cache folder can be written)."""
    raw = data_file.read_bytes()
    # The trie holds token hashes: tables built under another seed would find nothing.
    key = hashlib.sha256(raw + f"|{FORMAT}|{signature}|{hash_seed_in_use()}".encode()).hexdigest()[:16]
    folder = cache_dir() / f"gazetteer-{key}"
    try:
        return _read(folder)
    except (OSError, ValueError, KeyError):
        pass
    arrays, meta = build_tables(json.loads(gzip.decompress(raw)), signature)
    with contextlib.suppress(OSError):  # no cache: this process keeps its tables in memory
        _write(folder, arrays, meta)
    return arrays, meta


def _read(folder: Path) -> tuple[dict[str, np.ndarray], dict]:
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    arrays = {name: np.load(folder / f"{name}.npy", mmap_mode="r") for name in meta["arrays"]}
    return arrays, meta


def _write(folder: Path, arrays: dict[str, np.ndarray], meta: dict) -> None:
    """Write every array, then the metadata, into a temporary folder renamed into place: a reader sees the whole
    cache or none of it; two processes building at once both succeed (the second rename finds it done)."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=folder.name + ".", dir=folder.parent))
    try:
        for name, array in arrays.items():
            np.save(tmp / f"{name}.npy", np.ascontiguousarray(array))
        (tmp / "meta.json").write_text(json.dumps({**meta, "arrays": sorted(arrays)}), encoding="utf-8")
        try:
            tmp.rename(folder)
        except OSError:
            if not (folder / "meta.json").exists():
                raise
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def build_tables(data: dict, signature: str) -> tuple[dict[str, np.ndarray], dict]:
    """Every table the gazetteer reads, from the parsed data file (the slow path, about two seconds)."""
    if data.get("version") != 3 or data.get("groups") != signature:
        raise RuntimeError("gazetteer.json.gz is out of date: run scripts/build_gazetteer.py")
    rows = [line.split("\t") for line in data["places"].split("\n")]
    countries = sorted({r[1] for r in rows})
    admins = sorted({r[4] for r in rows})
    country_id = {c: i for i, c in enumerate(countries)}
    admin_id = {a: i for i, a in enumerate(admins)}
    kind_id = {k: i for i, k in enumerate(KINDS)}
    patterns = data["patterns"].split("\n")
    trie, pattern_of_node = _name_trie(patterns)
    words, links = trie.words.arrays[0], trie.links.arrays[0]
    arrays = {
        "place_country": np.array([country_id[r[1]] for r in rows], np.int64),
        "place_kind": np.array([kind_id[r[3]] for r in rows], np.int64),
        "place_population": np.array([int(r[2]) for r in rows], np.int64),
        "place_admin1": np.array([admin_id[r[4]] for r in rows], np.int64),
        **_texts("place_names", [r[0] for r in rows]),
        **_texts("patterns", patterns),
        **_lists("exact", data["exact"].split("\n")),
        **_lists("stems", data["stems"].split("\n")),
        "pattern_flags": np.frombuffer(data["flags"].encode("ascii"), np.uint8) - np.uint8(ord("0")),
        "trie_words": words,
        "trie_links": links,
        "pattern_of_node": pattern_of_node,
    }
    meta = {
        "attribution": data["attribution"],
        "countries": countries,
        "admins": admins,
        "trie_sizes": [trie.words.size, trie.links.size],
    }
    return arrays, meta


def _texts(name: str, texts: list[str]) -> dict[str, np.ndarray]:
    """Strings as one UTF-8 byte array and offsets (``name``, ``name_at``): read one at a time, on demand."""
    encoded = [t.encode() for t in texts]
    at = np.zeros(len(encoded) + 1, np.int64)
    np.cumsum([len(e) for e in encoded], out=at[1:])
    return {name: np.frombuffer(b"".join(encoded), np.uint8), f"{name}_at": at}


def _lists(name: str, lines: list[str]) -> dict[str, np.ndarray]:
    """Comma-separated lists of ids as CSR arrays (``name``, ``name_at``)."""
    values = [[int(v) for v in line.split(",")] if line else [] for line in lines]
    at = np.zeros(len(values) + 1, np.int64)
    np.cumsum([len(v) for v in values], out=at[1:])
    return {name: np.array([v for row in values for v in row], np.int64), f"{name}_at": at}


def text_at(data: np.ndarray, at: np.ndarray, i: int) -> str:
    """String ``i`` of a :func:`_texts` pair."""
    return bytes(data[at[i] : at[i + 1]]).decode()


def all_texts(data: np.ndarray, at: np.ndarray) -> list[str]:
    """Every string of a :func:`_texts` pair."""
    raw = bytes(data)
    return [raw[s:e].decode() for s, e in zip(at[:-1].tolist(), at[1:].tolist(), strict=True)]


def _name_trie(patterns: list[str]) -> tuple[WordTrie, np.ndarray]:
    """The trie of every pattern, and the pattern each node completes (-1 for a node inside longer names).

    Built with array operations a word position at a time (a Python loop over the 400,000 names took seconds):
    the nodes of the names' first n words are the distinct (node of the first n - 1, n-th word) pairs. Slavic
    stems are spelt out with every ending of their script: "zvecan" gives the words "zvecanu", "zvecana"... A
    word that is a whole name keeps it; two stems that inflect to the same word give it to the longer stem, as a
    leftmost-longest automaton over the characters would.
    """
    exact = [i for i, p in enumerate(patterns) if p.endswith(" ")]
    name_words, lengths = phrase_hashes([patterns[i] for i in exact])
    first_word = np.zeros(len(exact) + 1, np.int64)
    np.cumsum(lengths, out=first_word[1:])
    # Words: the names' words and the stems' inflected forms, numbered by distinct hash; longest stems first.
    forms, form_stem = _inflections(patterns)
    hashes = np.concatenate((name_words, word_hashes(forms)))
    distinct, word_of = np.unique(hashes, return_inverse=True)
    nodes = distinct.size
    pattern_of = np.full(nodes, -1, np.int64)
    trie = WordTrie()
    trie.add_words(distinct, np.arange(nodes))
    # Nodes along each name, one word position at a time.
    node = word_of[first_word[:-1]]
    longer = np.arange(len(exact))
    for n in range(1, int(lengths.max())):
        longer = longer[lengths[longer] > n]
        keys = (node[longer] << 32) + word_of[first_word[longer] + n]
        steps, step_of = np.unique(keys, return_inverse=True)
        trie.add_links(steps >> 32, steps & 0xFFFFFFFF, np.arange(nodes, nodes + steps.size))
        node[longer] = nodes + step_of
        nodes += steps.size
    pattern_of = np.concatenate((pattern_of, np.full(nodes - pattern_of.size, -1, np.int64)))
    pattern_of[node] = exact
    # Inflected forms name their stem unless the word names a place itself (its own first form wins).
    form_word = word_of[first_word[-1] :]
    _, first_form = np.unique(form_word, return_index=True)
    form_word, form_stem = form_word[first_form], form_stem[first_form]
    free = pattern_of[form_word] < 0
    pattern_of[form_word[free]] = form_stem[free]
    return trie, pattern_of


def _inflections(patterns: list[str]) -> tuple[list[str], np.ndarray]:
    """Every stem pattern with every Slavic ending of its script, longest stems first; and the stem pattern of
    each."""
    stems = sorted(
        ((p.strip(), i) for i, p in enumerate(patterns) if not p.endswith(" ")), key=lambda s: -len(s[0])
    )
    latin = sorted(e for e in SLAVIC_ENDINGS if e.isascii())
    cyrillic = sorted(e for e in SLAVIC_ENDINGS if not e.isascii())
    forms: list[str] = []
    stem_of: list[int] = []
    for stem, i in stems:
        endings = latin if stem.isascii() else cyrillic
        forms += [stem + e for e in endings]
        stem_of += [i] * len(endings)
    return forms, np.array(stem_of, np.int64)
