"""Turn newly stored articles into outbox rows: who gets which story, and when.

This is the join between the matcher (which subscriptions an article satisfies) and the outbox (one row per chat and
story, ever). It holds the delivery rules of ARCHITECTURE.md that outside checks rely on:

* an article alerts a subscription only if it was first stored after the subscription was created, and only while
  it is not older than ``max_age_hours``;
* one alert per story per chat, however many subscriptions or feeds matched it (``UNIQUE(chat_id, story_id)``);
* an article is marked matched in the same transaction that writes its outbox rows, so a crash in between makes the
  next cycle match it again instead of losing it.

It never imports ``telegram``: ``newsalert poll --once`` uses it without a bot.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlite_utils

from alerts import timing
from matching import Document, Match, Matcher
from matching.sources import source_names
from storage import alert_edits, stories

_CHUNK = 500


@dataclass(frozen=True)
class _Subscription:
    id: int
    chat_id: int
    raw: str
    created_at: float
    muted_until: float | None
    thread_id: int | None  # the forum topic its alerts go to
    subscriber: dict[str, Any]


def load_matcher(db: sqlite_utils.Database) -> Matcher:
    """Compile every stored subscription into one matcher (CPU-bound: call it from a thread in the bot)."""
    matcher = Matcher()
    rows = db.execute("SELECT id, query FROM subscriptions ORDER BY id")
    matcher.add_many((int(sub_id), query) for sub_id, query in rows)
    return matcher


def _subscriptions(db: sqlite_utils.Database, ids: Sequence[int]) -> dict[int, _Subscription]:
    """The matched subscriptions with their subscriber rows, fetched in chunks to stay under SQLite's limits."""
    found: dict[int, _Subscription] = {}
    for start in range(0, len(ids), _CHUNK):
        chunk = list(ids[start : start + _CHUNK])
        marks = ",".join("?" * len(chunk))
        cursor = db.execute(
            f"""SELECT s.id AS sub_id, s.chat_id AS sub_chat, s.raw, s.created_at AS sub_created,
                       s.muted_until AS sub_muted, s.thread_id AS sub_thread, b.*
                FROM subscriptions s JOIN subscribers b ON b.chat_id = s.chat_id
                WHERE s.id IN ({marks})""",
            chunk,
        )
        columns = [c[0] for c in cursor.description]
        for row in cursor.fetchall():
            record = dict(zip(columns, row, strict=True))
            found[record["sub_id"]] = _Subscription(
                id=record["sub_id"],
                chat_id=record["sub_chat"],
                raw=record["raw"],
                created_at=record["sub_created"],
                muted_until=record["sub_muted"],
                thread_id=record["sub_thread"],
                subscriber=record,
            )
    return found


def _eligible(sub: _Subscription, article: dict[str, Any], now: float) -> bool:
    subscriber = sub.subscriber
    if not subscriber["active"] or subscriber["paused"]:
        return False
    if subscriber.get("muted_until") and subscriber["muted_until"] > now:
        return False
    if sub.muted_until is not None and sub.muted_until > now:
        # Only this subscription is silent: another subscription of the chat may still alert the article.
        return False
    return sub.created_at < article["first_seen"]


def _too_old(article: dict[str, Any], now: float, max_age_hours: int) -> bool:
    reference = article["published"] or article["first_seen"]
    return reference < now - max_age_hours * 3600


def _explanation(sub: _Subscription, match: Match) -> str:
    return json.dumps({"subscription": sub.raw, "subscription_id": sub.id, "why": match.explain()})


def _load_articles(db: sqlite_utils.Database, article_ids: Sequence[int]) -> list[dict[str, Any]]:
    """The articles with their feed's names and addresses (what ``source:`` queries look at)."""
    articles: list[dict[str, Any]] = []
    for start in range(0, len(article_ids), _CHUNK):
        chunk = list(article_ids[start : start + _CHUNK])
        marks = ",".join("?" * len(chunk))
        articles.extend(
            db.query(
                f"""SELECT a.*, f.name AS feed_name, f.title AS feed_title, f.url AS feed_url,
                           f.site_url AS feed_site_url
                    FROM articles a LEFT JOIN feeds f ON f.id = a.feed_id
                    WHERE a.id IN ({marks}) ORDER BY a.id""",
                chunk,
            )
        )
    return articles


def document_of(article: Mapping[str, Any]) -> Document:
    """An article row (with its feed's ``feed_name``, ``feed_title``, ``feed_url``, ``feed_site_url``) as the
    matcher reads it."""
    names = source_names(
        article.get("feed_name"),
        article.get("feed_title"),
        urls=(article.get("feed_url"), article.get("feed_site_url"), article.get("url")),
    )
    return Document(title=article["title"], summary=article["summary"], text=article["text"], sources=names)


def _hourly_count(db: sqlite_utils.Database, chat_id: int, now: float) -> int:
    row = db.execute(
        "SELECT count(*) FROM deliveries WHERE chat_id = ? AND mode = 'instant' AND created_at > ?",
        [chat_id, now - 3600],
    ).fetchone()
    return int(row[0])


def _schedule(
    db: sqlite_utils.Database, sub: _Subscription, now: float, max_per_hour: int
) -> tuple[str, float]:
    """Instant now, or a digest row released at the subscriber's next digest / end of quiet hours / cap overflow."""
    release = timing.release_time(now, sub.subscriber)
    if release is not None:
        return "digest", release
    if _hourly_count(db, sub.chat_id, now) >= max_per_hour:
        overflow = timing.next_hourly_digest(datetime.fromtimestamp(now, UTC)).timestamp()
        # The overflow digest must respect quiet hours too: one at 22:00 inside 22:00-07:00 waits for 07:00.
        held = timing.release_time(overflow, sub.subscriber)
        return "digest", max(overflow, held) if held is not None else overflow
    return "instant", now


def fan_out(
    db: sqlite_utils.Database,
    matcher: Matcher,
    article_ids: Iterable[int],
    *,
    max_age_hours: int,
    max_per_hour: int = 20,
    now: float | None = None,
) -> dict[int, list[int]]:
    """Match the given articles and write their outbox rows; returns article id -> chats that got a new row."""
    now = time.time() if now is None else now
    ids = list(article_ids)
    articles = _load_articles(db, ids)
    missing_story = [a["id"] for a in articles if a["story_id"] is None]
    if missing_story:
        stories.assign_stories(db, missing_story, now)
        articles = _load_articles(db, ids)
    result: dict[int, list[int]] = {}
    for article in articles:
        result[article["id"]] = _fan_out_one(db, matcher, article, now, max_age_hours, max_per_hour)
    return result


def _fan_out_one(
    db: sqlite_utils.Database,
    matcher: Matcher,
    article: dict[str, Any],
    now: float,
    max_age_hours: int,
    max_per_hour: int,
) -> list[int]:
    matches: Mapping[int, Match] = {}
    if not _too_old(article, now, max_age_hours):
        matches = matcher.match(document_of(article))
    subs = _subscriptions(db, sorted(matches))
    chats: list[int] = []
    with db.conn:
        # Chats already alerted to this story get no second alert (the outbox is unique per chat and story, whatever
        # subscription matched): their sent alert is edited to name the new outlet instead.
        alert_edits.note_report(
            db, article["story_id"], article["id"], interval=timing.EDIT_INTERVAL, now=now
        )
        # Lowest subscription id first, so the explanation names the oldest subscription that matched.
        for sub_id in sorted(subs):
            sub = subs[sub_id]
            if sub.chat_id in chats or not _eligible(sub, article, now):
                continue
            mode, release = _schedule(db, sub, now, max_per_hour)
            cursor = db.execute(
                """INSERT OR IGNORE INTO deliveries
                   (chat_id, story_id, article_id, subscription_id, explanation, state, mode,
                    next_attempt_at, created_at, thread_id)
                   VALUES (?, ?, ?, ?, ?, 'pending', ?, ?, ?, ?)""",
                [
                    sub.chat_id,
                    article["story_id"],
                    article["id"],
                    sub.id,
                    _explanation(sub, matches[sub_id]),
                    mode,
                    release,
                    now,
                    sub.thread_id,
                ],
            )
            if cursor.rowcount:
                chats.append(sub.chat_id)
        db.execute("UPDATE articles SET matched = 1 WHERE id = ?", [article["id"]])
    return chats


def fan_out_pending(
    db: sqlite_utils.Database,
    matcher: Matcher,
    *,
    max_age_hours: int,
    max_per_hour: int = 20,
    now: float | None = None,
    batch: int = 1000,
) -> dict[int, list[int]]:
    """Fan out every article not yet matched (new ones, and any a crash left behind)."""
    result: dict[int, list[int]] = {}
    while True:
        ids = [
            row[0]
            for row in db.execute("SELECT id FROM articles WHERE matched = 0 ORDER BY id LIMIT ?", [batch])
        ]
        if not ids:
            return result
        result.update(
            fan_out(db, matcher, ids, max_age_hours=max_age_hours, max_per_hour=max_per_hour, now=now)
        )
