"""Fixtures for matching tests: one gazetteer per session (it takes a few seconds to load) and small matchers."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from matching import Document, Gazetteer, Matcher, load_gazetteer

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED = REPO_ROOT.parent / "shared"
SEED = SHARED / "fixtures" / "kosovo-kfor-2023-05-30.txt"


@pytest.fixture(scope="session")
def gaz() -> Gazetteer:
    return load_gazetteer()


@pytest.fixture(scope="session")
def seed_doc() -> Document:
    return Document(title="", text=SEED.read_text(encoding="utf-8"))


@pytest.fixture
def matches(gaz: Gazetteer) -> Callable[..., bool]:
    """matches(query, text, title="", summary="") -> bool, with a fresh one-subscription matcher."""

    def check(query: str, text: str = "", title: str = "", summary: str = "") -> bool:
        m = Matcher(gaz)
        m.add(1, query)
        return 1 in m.match(Document(title=title, summary=summary, text=text))

    return check
