"""Group articles into stories: one story per event, however many feeds report it.

A new article joins a story seen in the last 48 hours when it has the same canonical URL as one of the story's
articles, or when its title and lead are a near-duplicate of one (see ``matching.similar``). Otherwise it starts a
story of its own, titled after this first report. Outbox rows are unique per (chat, story), so this grouping is
what turns three outlets running the same wire piece into one alert with "also reported by".

Candidates are found through ``story_keys``, an index of each recent article's canonical-URL key and MinHash band
keys, so an article is compared exactly with the few reports that share a key, never with every recent story.
The index is derived data: rows older than the window are pruned on every call, and it can be rebuilt from
``articles`` at any time (``rebuild_story_keys``).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import sqlite_utils

from matching.similar import Fingerprint, band_keys, fingerprint, same_story, similarity, url_key

WINDOW_SECONDS = 48 * 3600
# An article is compared exactly with at most this many recent candidates; a band shared by more reports than
# this is a boilerplate phrase, not a story.
MAX_CANDIDATES = 200
_CHUNK = 500

_SCHEMA = """
CREATE TABLE IF NOT EXISTS story_keys (
    key INTEGER NOT NULL,          -- matching.similar.url_key / band_keys of the article
    article_id INTEGER NOT NULL,
    seen REAL NOT NULL,            -- the article's first_seen, for the 48-hour window and pruning
    PRIMARY KEY (key, article_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS story_keys_seen ON story_keys(seen);
"""

_ARTICLE_COLUMNS = "id, feed_id, url, title, text, summary, published, first_seen, story_id"


def ensure_story_index(db: sqlite_utils.Database) -> None:
    """Create the ``story_keys`` candidate index if this database does not have it yet (idempotent, cheap).

    Checked before creating so a caller's open transaction is not committed by ``executescript`` on every call.
    """
    if (
        db.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'story_keys'").fetchone()
        is None
    ):
        db.conn.executescript(_SCHEMA)


def _chunks(values: Sequence[int], size: int = _CHUNK) -> Iterator[Sequence[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _rows(db: sqlite_utils.Database, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    cursor = db.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _load_articles(db: sqlite_utils.Database, ids: Sequence[int]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    for chunk in _chunks(ids):
        marks = ",".join("?" * len(chunk))
        found.extend(_rows(db, f"SELECT {_ARTICLE_COLUMNS} FROM articles WHERE id IN ({marks})", chunk))
    found.sort(key=lambda row: row["id"])
    return found


def _fingerprint(article: dict[str, Any]) -> Fingerprint:
    """Title and lead: the cleaned text when the feed gave one, else the summary."""
    return fingerprint(article["title"] or "", article["text"] or article["summary"] or "")


class _Grouper:
    """One ``assign_stories`` call: holds the window and a fingerprint cache for the candidates it loads."""

    def __init__(self, db: sqlite_utils.Database, now: float) -> None:
        self.db = db
        self.cutoff = now - WINDOW_SECONDS
        self.fingerprints: dict[int, Fingerprint] = {}

    def assign(self, article: dict[str, Any]) -> None:
        fp = _fingerprint(article)
        ukey = url_key(article["url"] or "")
        bands = band_keys(fp)
        story_id = self._story_by_url(ukey) if ukey is not None else None
        if story_id is None:
            story_id = self._story_by_text(article, fp, bands)
        if story_id is None:
            story_id = self._create_story(article)
        else:
            self.db.execute(
                "UPDATE stories SET last_seen = MAX(last_seen, ?) WHERE id = ?",
                [article["first_seen"], story_id],
            )
        self.db.execute("UPDATE articles SET story_id = ? WHERE id = ?", [story_id, article["id"]])
        self._index(article, [k for k in [ukey, *bands] if k is not None])
        self.fingerprints[article["id"]] = fp

    def _story_by_url(self, key: int) -> int | None:
        row = self.db.execute(
            """SELECT a.story_id FROM story_keys k JOIN articles a ON a.id = k.article_id
               WHERE k.key = ? AND k.seen >= ? AND a.story_id IS NOT NULL
               ORDER BY a.id LIMIT 1""",
            [key, self.cutoff],
        ).fetchone()
        return row[0] if row else None

    def _story_by_text(self, article: dict[str, Any], fp: Fingerprint, bands: list[int]) -> int | None:
        if not bands:
            return None
        marks = ",".join("?" * len(bands))
        candidate_ids = [
            row[0]
            for row in self.db.execute(
                f"""SELECT DISTINCT article_id FROM story_keys WHERE key IN ({marks}) AND seen >= ?
                    ORDER BY article_id DESC LIMIT {MAX_CANDIDATES}""",
                [*bands, self.cutoff],
            )
        ]
        if not candidate_ids:
            return None
        best: tuple[float, int] | None = None
        for candidate in _load_articles(self.db, candidate_ids):
            if candidate["story_id"] is None or candidate["id"] == article["id"]:
                continue
            if _published_apart(article, candidate):
                continue
            other = self.fingerprints.get(candidate["id"])
            if other is None:
                other = self.fingerprints[candidate["id"]] = _fingerprint(candidate)
            if not same_story(fp, other, same_feed=candidate["feed_id"] == article["feed_id"]):
                continue
            # Highest similarity wins; ties go to the oldest story so the outcome never depends on row order.
            ranked = (similarity(fp, other), -candidate["story_id"])
            if best is None or ranked > best:
                best = ranked
        return -best[1] if best else None

    def _create_story(self, article: dict[str, Any]) -> int:
        cursor = self.db.execute(
            "INSERT INTO stories (first_seen, last_seen, title, url) VALUES (?, ?, ?, ?)",
            [article["first_seen"], article["first_seen"], article["title"] or "", article["url"]],
        )
        return int(cursor.lastrowid or 0)

    def _index(self, article: dict[str, Any], keys: Iterable[int]) -> None:
        self.db.conn.executemany(
            "INSERT OR IGNORE INTO story_keys (key, article_id, seen) VALUES (?, ?, ?)",
            [(key, article["id"], article["first_seen"]) for key in keys],
        )


def _published_apart(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Two reports whose own publication times are more than the window apart are different events."""
    if a["published"] is None or b["published"] is None:
        return False
    return abs(a["published"] - b["published"]) > WINDOW_SECONDS


def assign_stories(db: sqlite_utils.Database, article_ids: Iterable[int], now: float | None = None) -> None:
    """Set ``articles.story_id`` for the given new articles, joining a story of the last 48 h or starting one.

    Articles are handled in id order, so two reports of one story in the same batch group together and the result
    is deterministic. Articles that already have a story are left as they are (a retry after a crash is harmless).
    Runs in one transaction.
    """
    now = time.time() if now is None else now
    ids = sorted(set(article_ids))
    ensure_story_index(db)
    grouper = _Grouper(db, now)
    with db.conn:
        db.execute("DELETE FROM story_keys WHERE seen < ?", [grouper.cutoff])
        for article in _load_articles(db, ids):
            if article["story_id"] is None:
                grouper.assign(article)


def assign_pending_stories(db: sqlite_utils.Database, now: float | None = None, limit: int = 5000) -> int:
    """Group articles that were stored but never grouped (a crash between insert and grouping); returns how many.

    Call at start-up or before fan-out so no article is left without a story.
    """
    ids = [
        row[0]
        for row in db.execute("SELECT id FROM articles WHERE story_id IS NULL ORDER BY id LIMIT ?", [limit])
    ]
    if ids:
        assign_stories(db, ids, now=now)
    return len(ids)


def rebuild_story_keys(db: sqlite_utils.Database, now: float | None = None) -> int:
    """Rebuild the candidate index from the articles of the last 48 h (e.g. after restoring a backup)."""
    now = time.time() if now is None else now
    cutoff = now - WINDOW_SECONDS
    ensure_story_index(db)
    count = 0
    with db.conn:
        db.execute("DELETE FROM story_keys")
        ids = [
            row[0]
            for row in db.execute("SELECT id FROM articles WHERE first_seen >= ? ORDER BY id", [cutoff])
        ]
        for article in _load_articles(db, ids):
            keys = [
                k for k in [url_key(article["url"] or ""), *band_keys(_fingerprint(article))] if k is not None
            ]
            db.conn.executemany(
                "INSERT OR IGNORE INTO story_keys (key, article_id, seen) VALUES (?, ?, ?)",
                [(key, article["id"], article["first_seen"]) for key in keys],
            )
            count += 1
    return count


def story_articles(db: sqlite_utils.Database, story_id: int) -> list[dict[str, Any]]:
    """The reports of a story, oldest first, for "also reported by".

    Each dict has ``id``, ``feed_id``, ``feed_name`` (the configured name, else the feed's own title, else its
    URL), ``url``, ``title``, ``published`` and ``first_seen``. Order is the order we learned of them.
    """
    return _rows(
        db,
        """SELECT a.id, a.feed_id,
                  COALESCE(NULLIF(f.name, ''), NULLIF(f.title, ''), f.url) AS feed_name,
                  a.url, a.title, a.published, a.first_seen
           FROM articles a JOIN feeds f ON f.id = a.feed_id
           WHERE a.story_id = ?
           ORDER BY a.first_seen, a.id""",
        [story_id],
    )
