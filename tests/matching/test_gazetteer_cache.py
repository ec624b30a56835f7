"""The gazetteer's tables are built once and then memory-mapped from the user's cache, never the package."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

from matching.gazetteer import DATA_FILE, Gazetteer, groups_signature
from matching.gazetteer_store import open_tables

REPO = Path(__file__).resolve().parents[2]


def test_tables_open_memory_mapped_from_the_cache(tmp_path, monkeypatch):
    monkeypatch.setenv("NEWSALERT_CACHE_DIR", str(tmp_path))
    built, _ = open_tables(DATA_FILE, groups_signature())
    assert not isinstance(built["trie_words"], np.memmap)  # built in this process
    folders = [p for p in tmp_path.iterdir() if p.name.startswith("gazetteer-")]
    assert len(folders) == 1 and (folders[0] / "meta.json").exists()
    start = time.perf_counter()
    arrays, meta = open_tables(DATA_FILE, groups_signature())
    gaz = Gazetteer(arrays, meta)
    opened = time.perf_counter() - start
    assert isinstance(arrays["trie_words"], np.memmap)
    assert opened < 1.0  # ~20 ms here; generous for a loaded machine
    assert gaz.places[gaz.country_index["XK"]].name == "Kosovo"
    assert [p.name for p in gaz.places_in("XK")[:2]] == ["Pristina", "Prizren"]


def test_another_process_finds_places_with_the_cached_tables(tmp_path):
    """Token hashes are seeded per installation: tables a first process cached work in a second one."""
    env = {**os.environ, "NEWSALERT_CACHE_DIR": str(tmp_path)}
    code = (
        "from matching import Document, Matcher; m = Matcher(); m.add(1, 'kosovo');"
        "print(1 in m.match(Document('', '', 'Police in Zvečan said.')))"
    )
    for _ in range(2):
        out = subprocess.run([sys.executable, "-c", code], cwd=REPO, env=env, capture_output=True, text=True)
        assert out.stdout.strip() == "True", out.stderr
    assert not any(p.name == "__pycache__" for p in (REPO / "matching" / "data").iterdir())
    assert (tmp_path / "hash-seed").stat().st_mode & 0o077 == 0
