"""The ``articles`` table: every item we have stored, unique per (feed, dedup key), searchable with FTS5.

Articles with no published date take ``first_seen`` as their date, and a date in the future (a feed's clock or
time zone is wrong) is clamped to ``first_seen`` too, so neither can sort to the top forever or dodge the
``max_age_hours`` rule.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager, nullcontext
from typing import Any

import sqlite_utils

FUTURE_SLACK_SECONDS = 3600
_CHUNK = 500
_SEARCH_WORD = re.compile(r"\w+", re.UNICODE)


def transaction(db: sqlite_utils.Database, commit: bool) -> AbstractContextManager[Any]:
    """The connection as a commit-on-exit context, or nothing when the caller runs the transaction."""
    return db.conn if commit else nullcontext()


def _rows(db: sqlite_utils.Database, sql: str, params: Iterable[Any] = ()) -> list[dict[str, Any]]:
    cursor = db.execute(sql, list(params))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _field(item: Any, name: str) -> Any:
    return item[name] if isinstance(item, Mapping) else getattr(item, name)


def _optional(item: Any, name: str) -> Any:
    return item.get(name) if isinstance(item, Mapping) else getattr(item, name, None)


KNOWN_RECENT = 1000


def known_guid_hashes(db: sqlite_utils.Database, feed_id: int, limit: int = KNOWN_RECENT) -> frozenset[str]:
    """Dedup keys of a feed's newest stored articles, so the parser can skip those items before cleaning them.

    Only an optimisation: the UNIQUE (feed_id, guid_hash) constraint is what keeps an item from being stored
    twice, so a feed with years of history sends the parser its newest keys, not all of them.
    """
    rows = db.execute(
        "SELECT guid_hash FROM articles WHERE feed_id = ? ORDER BY id DESC LIMIT ?", [feed_id, limit]
    )
    return frozenset(row[0] for row in rows)


def insert_articles(
    db: sqlite_utils.Database,
    feed_id: int,
    items: Iterable[Any],
    now: float | None = None,
    *,
    commit: bool = True,
) -> list[int]:
    """Store the items that are new for this feed; returns the new articles' ids in feed order. An item whose
    undated article retention deleted (a tombstone, see :mod:`storage.retention`) is not new.

    ``items`` are :class:`feeds.parse.ParsedItem` objects or mappings with the same keys (guid_hash, url, title,
    text, summary, published; image_url optional). Callers should then give the new ids to ``storage.stories.assign_stories``.
    With ``commit=False`` the rows join the caller's transaction (a poll cycle commits many feeds at once).
    """
    now = time.time() if now is None else now
    new_ids: list[int] = []
    with transaction(db, commit):
        for item in items:
            published = _field(item, "published")
            if published is None or published > now + FUTURE_SLACK_SECONDS:
                published = now
            guid_hash = _field(item, "guid_hash")
            cursor = db.execute(
                """INSERT OR IGNORE INTO articles
                       (feed_id, guid_hash, url, title, text, summary, published, first_seen, image_url)
                   SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?
                   WHERE NOT EXISTS (SELECT 1 FROM article_tombstones WHERE feed_id = ? AND guid_hash = ?)""",
                [
                    feed_id,
                    guid_hash,
                    _field(item, "url"),
                    _field(item, "title") or "",
                    _field(item, "text") or "",
                    _field(item, "summary") or "",
                    published,
                    now,
                    _optional(item, "image_url"),
                    feed_id,
                    guid_hash,
                ],
            )
            if cursor.rowcount:
                new_ids.append(int(cursor.lastrowid))  # type: ignore[arg-type]
    return new_ids


_ARTICLE_SQL = """
    SELECT a.*, coalesce(f.name, f.title, f.url) AS feed_name, f.url AS feed_url, f.title AS feed_title,
           f.site_url AS feed_site_url
    FROM articles a JOIN feeds f ON f.id = a.feed_id
"""


def get_article(db: sqlite_utils.Database, article_id: int) -> dict[str, Any] | None:
    """One article with ``feed_name`` (the feed's configured name, else its title, else its URL), ``feed_url``,
    ``feed_title`` and ``feed_site_url``."""
    rows = _rows(db, _ARTICLE_SQL + " WHERE a.id = ?", [article_id])
    return rows[0] if rows else None


def unmatched_articles(db: sqlite_utils.Database, limit: int = 1000) -> list[dict[str, Any]]:
    """Articles the matcher has not seen yet, oldest first (new ones, and any a crash left behind)."""
    return _rows(db, "SELECT * FROM articles WHERE matched = 0 ORDER BY id LIMIT ?", [limit])


def mark_matched(db: sqlite_utils.Database, ids: Sequence[int]) -> None:
    """Record that the matcher has seen these articles."""
    ids = list(ids)
    with db.conn:
        for start in range(0, len(ids), _CHUNK):
            chunk = ids[start : start + _CHUNK]
            db.execute(f"UPDATE articles SET matched = 1 WHERE id IN ({','.join('?' * len(chunk))})", chunk)


def fts_query(text: str) -> str | None:
    """The user's words as an FTS5 query that means "all of these words", with no FTS syntax of theirs left.

    Each word is quoted (quotes doubled), so ``NEAR``, ``*``, ``-``, ``:`` and parentheses are just text.
    """
    words = _SEARCH_WORD.findall(text)[:20]
    if not words:
        return None
    return " ".join('"' + word.replace('"', '""') + '"' for word in words)


def search_articles(db: sqlite_utils.Database, query_text: str, limit: int = 5) -> list[dict[str, Any]]:
    """Articles whose title or text contain every word of ``query_text``, newest first."""
    query = fts_query(query_text)
    if query is None:
        return []
    return _rows(
        db,
        _ARTICLE_SQL
        + """ WHERE a.id IN (SELECT rowid FROM articles_fts WHERE articles_fts MATCH ?)
              ORDER BY a.published DESC, a.id DESC LIMIT ?""",
        [query, limit],
    )


def recent_articles(
    db: sqlite_utils.Database, *, limit: int, before: tuple[float, int] | None = None
) -> list[dict[str, Any]]:
    """The newest stored articles (by first seen), ``limit`` at a time; ``before`` = (first_seen, id) of the last
    row of the previous page. ``/latest`` runs the matcher over these, so a region query finds town-only articles
    that no word search would."""
    if before is None:
        return _rows(db, _ARTICLE_SQL + " ORDER BY a.first_seen DESC, a.id DESC LIMIT ?", [limit])
    return _rows(
        db,
        _ARTICLE_SQL + " WHERE (a.first_seen, a.id) < (?, ?) ORDER BY a.first_seen DESC, a.id DESC LIMIT ?",
        [before[0], before[1], limit],
    )
