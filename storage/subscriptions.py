"""A chat's subscriptions: add with a cap, list, remove by number or by query, and read all for the matcher.

Queries are stored in canonical form (``matching.Query.canonical``) next to what the user typed, and are unique per
chat, so "Kosovo" and "kosovo" are one subscription and a repeated ``/subscribe`` is "already subscribed".
Numbers shown to the user are positions in the list ordered by id: stable while nothing is removed, and the same
order ``/list`` shows. Never imports ``telegram``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

import sqlite_utils

AddStatus = Literal["added", "exists", "limit"]
MAX_NUMBER = 2**31  # a list number beyond this names nothing (and would not fit an SQLite integer if huge)


@dataclass(frozen=True)
class Imported:
    """One subscription to bring in with :func:`import_subscriptions`."""

    query: str  # canonical
    raw: str
    silent: bool = False
    muted_until: float | None = None


@dataclass(frozen=True)
class ImportResult:
    """What :func:`import_subscriptions` did: the rows added (none at the limit) and how many were there already."""

    added: list[dict[str, Any]]
    existing: int
    over_limit: bool
    total: int  # the chat's subscriptions after the import, or what the import would have made at the limit


@dataclass(frozen=True)
class AddResult:
    """What :func:`add_subscription` did; ``subscription`` is the new or the existing row (None at the limit)."""

    status: AddStatus
    subscription: dict[str, Any] | None
    count: int


def list_subscriptions(db: sqlite_utils.Database, chat_id: int) -> list[dict[str, Any]]:
    """A chat's subscriptions in the order ``/list`` numbers them."""
    return list(db.query("SELECT * FROM subscriptions WHERE chat_id = ? ORDER BY id", [chat_id]))


def count_subscriptions(db: sqlite_utils.Database, chat_id: int) -> int:
    return int(db.execute("SELECT count(*) FROM subscriptions WHERE chat_id = ?", [chat_id]).fetchone()[0])


def get_subscription(db: sqlite_utils.Database, subscription_id: int) -> dict[str, Any] | None:
    rows = list(db.query("SELECT * FROM subscriptions WHERE id = ?", [subscription_id]))
    return rows[0] if rows else None


def find_subscription(db: sqlite_utils.Database, chat_id: int, query: str) -> dict[str, Any] | None:
    """The chat's subscription with this canonical query, if any."""
    rows = list(db.query("SELECT * FROM subscriptions WHERE chat_id = ? AND query = ?", [chat_id, query]))
    return rows[0] if rows else None


def add_subscription(
    db: sqlite_utils.Database,
    chat_id: int,
    query: str,
    raw: str,
    *,
    max_subscriptions: int,
    thread_id: int | None = None,
    now: float | None = None,
) -> AddResult:
    """Subscribe a chat (which must exist in ``subscribers``) to a canonical query, unless it has it or is full.

    A repeat is reported as ``exists`` before the cap is checked, so a full chat repeating a query hears "already
    subscribed", which is the more useful answer. The check and the insert share one transaction. ``thread_id``
    is the forum topic the subscription's alerts go to (None: the chat itself).
    """
    now = time.time() if now is None else now
    with db.conn:
        existing = find_subscription(db, chat_id, query)
        count = count_subscriptions(db, chat_id)
        if existing is not None:
            return AddResult("exists", existing, count)
        if count >= max_subscriptions:
            return AddResult("limit", None, count)
        cursor = db.execute(
            "INSERT INTO subscriptions (chat_id, query, raw, created_at, thread_id) VALUES (?, ?, ?, ?, ?)",
            [chat_id, query, raw, now, thread_id],
        )
        new_id = cursor.lastrowid
    row = get_subscription(db, int(new_id)) if new_id is not None else None
    return AddResult("added", row, count + 1)


def remove_subscription(
    db: sqlite_utils.Database, chat_id: int, subscription_id: int
) -> dict[str, Any] | None:
    """Remove one subscription by id if it belongs to the chat; returns the removed row (None: nothing to do)."""
    with db.conn:
        rows = list(
            db.query("SELECT * FROM subscriptions WHERE id = ? AND chat_id = ?", [subscription_id, chat_id])
        )
        if not rows:
            return None
        db.execute("DELETE FROM subscriptions WHERE id = ?", [subscription_id])
    return rows[0]


def remove_by_number(db: sqlite_utils.Database, chat_id: int, number: int) -> dict[str, Any] | None:
    """Remove the ``number``-th subscription as ``/list`` shows it (1-based); None if there is no such number."""
    if not 1 <= number <= MAX_NUMBER:
        return None
    rows = list(
        db.query(
            "SELECT id FROM subscriptions WHERE chat_id = ? ORDER BY id LIMIT 1 OFFSET ?",
            [chat_id, number - 1],
        )
    )
    return remove_subscription(db, chat_id, rows[0]["id"]) if rows else None


def remove_by_query(db: sqlite_utils.Database, chat_id: int, query: str) -> dict[str, Any] | None:
    """Remove the chat's subscription with this canonical query; None if it has none."""
    found = find_subscription(db, chat_id, query)
    return remove_subscription(db, chat_id, found["id"]) if found else None


def subscription_by_number(db: sqlite_utils.Database, chat_id: int, number: int) -> dict[str, Any] | None:
    """The ``number``-th subscription as ``/list`` shows it (1-based); None if there is no such number."""
    if not 1 <= number <= MAX_NUMBER:
        return None
    rows = list(
        db.query(
            "SELECT * FROM subscriptions WHERE chat_id = ? ORDER BY id LIMIT 1 OFFSET ?",
            [chat_id, number - 1],
        )
    )
    return rows[0] if rows else None


def set_muted_until(
    db: sqlite_utils.Database, chat_id: int, subscription_id: int, until: float | None
) -> dict[str, Any] | None:
    """Silence one of the chat's subscriptions until ``until`` (None: alert again); returns the updated row."""
    with db.conn:
        db.execute(
            "UPDATE subscriptions SET muted_until = ? WHERE id = ? AND chat_id = ?",
            [until, subscription_id, chat_id],
        )
    row = get_subscription(db, subscription_id)
    return row if row is not None and row["chat_id"] == chat_id else None


def set_silent(
    db: sqlite_utils.Database, chat_id: int, subscription_id: int, silent: bool
) -> dict[str, Any] | None:
    """Make one of the chat's subscriptions alert without a sound (or with one again); returns the updated row."""
    with db.conn:
        db.execute(
            "UPDATE subscriptions SET silent = ? WHERE id = ? AND chat_id = ?",
            [int(silent), subscription_id, chat_id],
        )
    row = get_subscription(db, subscription_id)
    return row if row is not None and row["chat_id"] == chat_id else None


def import_subscriptions(
    db: sqlite_utils.Database,
    chat_id: int,
    items: list[Imported],
    *,
    max_subscriptions: int,
    now: float | None = None,
) -> ImportResult:
    """Add every item the chat does not have yet, in one transaction: all of them, or none if the chat would pass
    ``max_subscriptions``. A query the chat already follows (or that comes twice) is counted, not an error."""
    now = time.time() if now is None else now
    with db.conn:
        have = {row[0] for row in db.execute("SELECT query FROM subscriptions WHERE chat_id = ?", [chat_id])}
        new: dict[str, Imported] = {}
        for item in items:
            if item.query not in have:
                new.setdefault(item.query, item)
        total = len(have) + len(new)
        existing = len({item.query for item in items} & have)
        if total > max_subscriptions:
            return ImportResult([], existing, True, total)
        ids = [
            db.execute(
                "INSERT INTO subscriptions (chat_id, query, raw, created_at, silent, muted_until) "
                "VALUES (?, ?, ?, ?, ?, ?)",
                [chat_id, item.query, item.raw, now, int(item.silent), item.muted_until],
            ).lastrowid
            for item in new.values()
        ]
    added = [row for row in (get_subscription(db, int(i)) for i in ids if i is not None) if row is not None]
    return ImportResult(added, existing, False, total)


def all_subscriptions(db: sqlite_utils.Database) -> Iterator[tuple[int, str]]:
    """``(subscription id, canonical query)`` of every subscription, in id order, for a matcher build.

    Chats that are inactive or paused are included: whether an alert goes out is decided at fan-out, and a chat
    that comes back (``/start``, an unblock) must not need a matcher update.
    """
    for sub_id, query in db.execute("SELECT id, query FROM subscriptions ORDER BY id"):
        yield int(sub_id), str(query)
