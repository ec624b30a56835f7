"""Fixtures for the ingest tests: a loopback feed server, a fresh database, and the shared parse pool."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlite_utils

from bot.config import Config, PollingConfig
from feeds.ingest import shutdown_parse_pool
from storage.db import connect
from tests.support.feed_server import FeedServer

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED = REPO_ROOT.parent / "shared"
REAL_FEEDS = SHARED / "feeds" / "real"
SEED_ARTICLE = SHARED / "fixtures" / "kosovo-kfor-2023-05-30.txt"


def real_feed_files() -> list[Path]:
    return sorted(REAL_FEEDS.glob("*.xml"))


@pytest.fixture(autouse=True)
def _no_proxy_for_loopback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.setenv("no_proxy", "127.0.0.1,localhost")


@pytest.fixture(scope="session", autouse=True)
def _parse_pool() -> Iterator[None]:
    """One process pool for the whole session (spawning workers per test would cost ~0.5 s each)."""
    yield
    shutdown_parse_pool()


@pytest.fixture
def feed_server() -> Iterator[FeedServer]:
    with FeedServer() as server:
        yield server


@pytest.fixture
def db() -> sqlite_utils.Database:
    return connect(":memory:")


def make_config(**polling: object) -> Config:
    """Defaults with short timeouts, so hostile-feed tests end quickly."""
    values: dict[str, object] = {"timeout_seconds": 3, "max_body_bytes": 2_000_000}
    values.update(polling)
    return Config(polling=PollingConfig(**values))  # type: ignore[arg-type]


def rss(*items: tuple[str, str], title: str = "Test feed", ttl: int | None = None) -> bytes:
    """A small RSS 2.0 document with (guid, title) items whose description is a couple of sentences."""
    ttl_tag = f"<ttl>{ttl}</ttl>" if ttl else ""
    body = "".join(
        f"<item><guid>{guid}</guid><title>{headline}</title><link>https://example.org/{guid}?utm_source=rss</link>"
        f"<description>&lt;p&gt;{headline}. Officials confirmed the report on Monday.&lt;/p&gt;</description></item>"
        for guid, headline in items
    )
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title>'
        f"<link>https://example.org/</link>{ttl_tag}{body}</channel></rss>"
    ).encode()


os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
