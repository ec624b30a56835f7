"""Who reports a story, by the names readers know the outlets by: for alerts, their edits and digests.

A story's outlets are its feeds, each once, in the order their first report arrived
(:func:`storage.alert_edits.story_outlets`), named as an alert names its own source
(:func:`alerts.messages.source_name`). Two feeds that go by the same name count as one outlet: a reader could
not tell them apart in "also reported by".
"""

from __future__ import annotations

from typing import Any

import sqlite_utils

from alerts.messages import source_name
from storage.alert_edits import story_outlets


def feed_of(row: dict[str, Any]) -> dict[str, Any]:
    """The feed columns of an outbox row joined with its article (``feed_name``, ``feed_title``, ...)."""
    return {key: row.get(f"feed_{key}") for key in ("name", "title", "url", "site_url")}


def story_names(db: sqlite_utils.Database, story_id: int) -> list[str]:
    """The story's outlets by name, each once, first reporter first."""
    names: list[str] = []
    seen: set[str] = set()
    for outlet in story_outlets(db, story_id):
        name = source_name(feed_of(outlet), outlet.get("url"))
        if name.casefold() not in seen:
            seen.add(name.casefold())
            names.append(name)
    return names


def other_names(db: sqlite_utils.Database, story_id: int, own: str) -> list[str]:
    """The story's outlets other than ``own`` (the outlet an alert is from), first reporter first."""
    return [name for name in story_names(db, story_id) if name.casefold() != own.casefold()]
