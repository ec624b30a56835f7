"""Group articles into stories: one story per event, however many feeds report it.

A new article joins a story seen in the last 48 hours when it has the same canonical URL as one of the story's
articles, or when its title and lead are a near-duplicate of one (see ``matching.similar``). Otherwise it starts a
story of its own, titled after this first report. Outbox rows are unique per (chat, story), so this grouping is
what turns three outlets running the same wire piece into one alert with "also reported by".

Two derived tables keep this fast with ~100k articles in the window, without comparing a new article with every
recent story:

- ``story_keys``: each recent article's canonical-URL key and MinHash band keys; an article is compared exactly
  only with the few recent reports that share a key;
- ``story_prints``: each recent article's normalised title and lead words, so a candidate is compared without
  reloading and re-normalising its text.

Both hold only the last 48 hours (pruned on every call) and can be rebuilt from ``articles`` at any time
(``rebuild_story_index``); their schema is migration 2 in :mod:`storage.db`.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

import sqlite_utils

from matching.similar import Fingerprint, band_keys, fingerprint, same_story, similarity, url_key

WINDOW_SECONDS = 48 * 3600
# An article is compared exactly with at most this many candidates: those sharing the most bands, newest first.
MAX_CANDIDATES = 50
PER_BAND = 100
LEAD_CHARS = 3000  # comfortably more text than LEAD_WORDS content words take
_CHUNK = 500


def _chunks(values: Sequence[int], size: int = _CHUNK) -> Iterator[Sequence[int]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def _rows(db: sqlite_utils.Database, sql: str, params: Sequence[Any] = ()) -> list[dict[str, Any]]:
    cursor = db.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


def _load_articles(db: sqlite_utils.Database, ids: Sequence[int]) -> list[dict[str, Any]]:
    """The new articles to group, in id order (the order they were stored)."""
    found: list[dict[str, Any]] = []
    for chunk in _chunks(ids):
        marks = ",".join("?" * len(chunk))
        found.extend(
            _rows(
                db,
                # The fingerprint reads only the lead (LEAD_WORDS words): no need to load whole articles.
                f"""SELECT id, feed_id, url, title, substr(text, 1, {LEAD_CHARS}) AS text,
                           substr(summary, 1, {LEAD_CHARS}) AS summary, published, first_seen, story_id
                    FROM articles WHERE id IN ({marks})""",
                chunk,
            )
        )
    found.sort(key=lambda row: row["id"])
    return found


def _fingerprint(article: dict[str, Any]) -> Fingerprint:
    """Title and lead: the cleaned text when the feed gave one, else the summary."""
    return fingerprint(article["title"] or "", article["text"] or article["summary"] or "")


def _index(
    db: sqlite_utils.Database, article: dict[str, Any], story_id: int, fp: Fingerprint, keys: Iterable[int]
) -> None:
    db.conn.executemany(
        "INSERT OR IGNORE INTO story_keys (key, article_id, seen) VALUES (?, ?, ?)",
        [(key, article["id"], article["first_seen"]) for key in keys],
    )
    db.execute(
        """INSERT OR REPLACE INTO story_prints
           (article_id, story_id, feed_id, published, seen, title_words, lead_words) VALUES (?, ?, ?, ?, ?, ?, ?)""",
        [
            article["id"],
            story_id,
            article["feed_id"],
            article["published"],
            article["first_seen"],
            *fp.words_text(),
        ],
    )


def _keys(article: dict[str, Any], fp: Fingerprint) -> tuple[int | None, list[int]]:
    return url_key(article["url"] or ""), band_keys(fp)


class _Grouper:
    """One ``assign_stories`` call: the window's start and the database it reads candidates from."""

    def __init__(self, db: sqlite_utils.Database, now: float) -> None:
        self.db = db
        self.cutoff = now - WINDOW_SECONDS

    def assign(self, article: dict[str, Any]) -> None:
        fp = _fingerprint(article)
        ukey, bands = _keys(article, fp)
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
        _index(self.db, article, story_id, fp, [k for k in [ukey, *bands] if k is not None])

    def _story_by_url(self, key: int) -> int | None:
        row = self.db.execute(
            """SELECT p.story_id FROM story_keys k JOIN story_prints p ON p.article_id = k.article_id
               WHERE k.key = ? AND k.seen >= ? ORDER BY p.article_id LIMIT 1""",
            [key, self.cutoff],
        ).fetchone()
        return self._existing(row[0]) if row else None

    def _existing(self, story_id: int) -> int | None:
        """``story_id`` if that story still exists (a retention job may have removed it), else None."""
        row = self.db.execute("SELECT 1 FROM stories WHERE id = ?", [story_id]).fetchone()
        return story_id if row else None

    def _candidates(self, bands: list[int]) -> list[dict[str, Any]]:
        """Recent grouped articles sharing a band, most shared bands first (near-duplicates share several; chance
        collisions one), at most ``MAX_CANDIDATES`` of them. Each band contributes at most ``PER_BAND`` of its
        newest articles, so a band shared by thousands of reports of a crowded topic cannot make grouping slow."""
        per_band = " UNION ALL ".join(
            f"SELECT * FROM (SELECT article_id FROM story_keys WHERE key = ? AND seen >= ? "
            f"ORDER BY article_id DESC LIMIT {PER_BAND})"
            for _ in bands
        )
        hits = Counter(
            row[0] for row in self.db.execute(per_band, [v for key in bands for v in (key, self.cutoff)])
        )
        ids = sorted(hits, key=lambda article_id: (hits[article_id], article_id), reverse=True)[
            :MAX_CANDIDATES
        ]
        if not ids:
            return []
        return _rows(
            self.db,
            f"""SELECT article_id AS id, story_id, feed_id, published, title_words, lead_words
                FROM story_prints WHERE article_id IN ({",".join("?" * len(ids))})""",
            ids,
        )

    def _story_by_text(self, article: dict[str, Any], fp: Fingerprint, bands: list[int]) -> int | None:
        if not bands:
            return None
        best: tuple[float, int] | None = None
        for candidate in self._candidates(bands):
            if _published_apart(article, candidate):
                continue
            other = Fingerprint.from_words(candidate["title_words"].split(), candidate["lead_words"].split())
            if not same_story(fp, other, same_feed=candidate["feed_id"] == article["feed_id"]):
                continue
            # Highest similarity wins; ties go to the oldest story so the outcome never depends on row order.
            ranked = (similarity(fp, other), -candidate["story_id"])
            if best is None or ranked > best:
                best = ranked
        return self._existing(-best[1]) if best else None

    def _create_story(self, article: dict[str, Any]) -> int:
        cursor = self.db.execute(
            "INSERT INTO stories (first_seen, last_seen, title, url) VALUES (?, ?, ?, ?)",
            [article["first_seen"], article["first_seen"], article["title"] or "", article["url"]],
        )
        return int(cursor.lastrowid or 0)


def _published_apart(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Two reports whose own publication times are more than the window apart are different events."""
    if a["published"] is None or b["published"] is None:
        return False
    return bool(abs(a["published"] - b["published"]) > WINDOW_SECONDS)


def _prune(db: sqlite_utils.Database, cutoff: float) -> None:
    db.execute("DELETE FROM story_keys WHERE seen < ?", [cutoff])
    db.execute("DELETE FROM story_prints WHERE seen < ?", [cutoff])


def assign_stories(db: sqlite_utils.Database, article_ids: Iterable[int], now: float | None = None) -> None:
    """Set ``articles.story_id`` for the given new articles, joining a story of the last 48 h or starting one.

    Articles are handled in id order, so two reports of one story in the same batch group together and the result
    is deterministic. Articles that already have a story are left as they are (a retry after a crash is harmless).
    Runs in one transaction. CPU-bound (about a millisecond an article): call it from a worker thread in async code.
    """
    now = time.time() if now is None else now
    ids = sorted(set(article_ids))
    grouper = _Grouper(db, now)
    with db.conn:
        _prune(db, grouper.cutoff)
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


def rebuild_story_index(db: sqlite_utils.Database, now: float | None = None) -> int:
    """Recreate the candidate index from the grouped articles of the last 48 h; returns how many it indexed."""
    now = time.time() if now is None else now
    with db.conn:
        db.execute("DELETE FROM story_keys")
        db.execute("DELETE FROM story_prints")
        ids = [
            row[0]
            for row in db.execute(
                "SELECT id FROM articles WHERE first_seen >= ? AND story_id IS NOT NULL ORDER BY id",
                [now - WINDOW_SECONDS],
            )
        ]
        for article in _load_articles(db, ids):
            fp = _fingerprint(article)
            ukey, bands = _keys(article, fp)
            _index(db, article, article["story_id"], fp, [k for k in [ukey, *bands] if k is not None])
    return len(ids)


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
