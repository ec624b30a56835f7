"""Matching run as Python (``NUMBA_DISABLE_JIT=1``, as ``newsalert match`` does for one text) finds what the
compiled loops find: the same subscriptions and the same place mentions, over real feed entries and the seed
article. And the one-text command does not import numba at all."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from matching import Document, Matcher

from .conftest import REPO_ROOT, SEED
from .test_real_feeds import REGIONS, _entries

# Run in a fresh interpreter with the variable set: matching's loops stay Python there.
_INTERPRETED = """
import json, sys
import numpy as np
from matching import Document, Matcher, load_gazetteer
from matching.document import Prepared
from matching.places import find_places
assert "numba" not in sys.modules, "numba was imported"
queries, texts = json.load(open(sys.argv[1], encoding="utf-8"))
gaz = load_gazetteer()
m = Matcher(gaz)
m.add_many(enumerate(queries))
out = []
with np.errstate(over="ignore"):
    for title, summary, text in texts:
        doc = Document(title=title, summary=summary, text=text)
        mentions = [[x.k, x.n, x.place.name, x.place.country] for x in find_places(Prepared(doc), gaz).mentions]
        out.append([sorted(m.match(doc)), mentions])
print(json.dumps(out))
"""


def _queries(gaz) -> list[str]:
    return REGIONS + [f"region:{cc.lower()}" for cc in sorted(gaz.country_index)] + ['"tear gas"', "police -nato"]


def test_interpreted_matching_finds_what_the_compiled_loops_find(gaz, tmp_path: Path) -> None:
    from matching.document import Prepared
    from matching.places import find_places

    entries = [doc for _, doc in _entries()][::3]  # a third of the real entries keeps the Python run short
    docs = [*entries, Document(title="", text=SEED.read_text(encoding="utf-8"))]
    queries = _queries(gaz)
    m = Matcher(gaz)
    m.add_many(enumerate(queries))
    compiled = [
        [sorted(m.match(d)), [[x.k, x.n, x.place.name, x.place.country] for x in find_places(Prepared(d), gaz).mentions]]
        for d in docs
    ]
    assert sum(bool(subs) for subs, _ in compiled) > 50, "the sample must match something to compare"
    data = tmp_path / "texts.json"
    data.write_text(json.dumps([queries, [[d.title, d.summary, d.text] for d in docs]]), encoding="utf-8")
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1"}
    done = subprocess.run(
        [sys.executable, "-c", _INTERPRETED, str(data)],
        env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == compiled


def test_the_match_command_does_not_start_numba_for_one_text() -> None:
    probe = (
        "import sys; from bot.cli import main; code = main(); "
        "print('numba' in sys.modules, file=sys.stderr); sys.exit(code)"
    )
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_DISABLE_JIT"}
    args = ["match", "kosovo", "--text", "Leposavić said talks would resume."]
    one = subprocess.run(
        [sys.executable, "-c", probe, *args], env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=120
    )
    assert one.returncode == 0, one.stderr
    assert "Leposavić" in one.stdout
    assert one.stderr.strip() == "False", one.stderr
    compiled = subprocess.run(
        [sys.executable, "-c", probe, *args, "--compiled"],
        env=env, cwd=REPO_ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert compiled.returncode == 0, compiled.stderr
    assert compiled.stdout == one.stdout
    assert compiled.stderr.strip() == "True", compiled.stderr
