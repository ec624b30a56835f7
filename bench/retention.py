"""Database size over 30 days at 1,000 feeds, with the daily retention job: does the file level off?

    python bench/retention.py                          # 1,000 feeds x 20 articles a day, 30 days, keep 14 days
    python bench/retention.py --feeds 100 --days 10    # a quick look

Time is compressed: each simulated day stores its articles hour by hour with the clock passed in (``now=``), then
runs retention as the bot's daily job does (:func:`storage.retention.prune`, one batch per transaction) and
measures the file after a WAL checkpoint. Prints one row a day and writes ``bench/retention.png``.

What a day writes, at the default rates: 20,000 articles (title, a ~1 KB cleaned text (a typical feed description) of words drawn from a
Zipf-like vocabulary of 20,000 words, a 300-character summary; indexed by the real FTS5 triggers) through
``storage.articles.insert_articles``; their story rows (a quarter join a story of the last hours) and the
grouping index in the shape ``storage.stories`` writes it (19 keys and one print per article; the grouping
itself is not run, it costs ~2 ms an article and says nothing about size); 20,000 finished outbox rows (one a
matched story and chat, with an explanation); 5,000 handled updates. The story index is pruned to 48 hours as
every poll cycle does.
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from storage import articles  # noqa: E402
from storage import feeds as feed_store  # noqa: E402
from storage.db import connect  # noqa: E402
from storage.retention import Pruned, prune  # noqa: E402

DAY = 86_400
START = 1_780_000_000.0
KEYS_PER_ARTICLE = 19  # one canonical-URL key, 12 MinHash bands of the lead, 6 of the title
TEXT_WORDS = 160
VOCABULARY = 20_000


def _vocabulary(rng: random.Random) -> tuple[list[str], list[float]]:
    letters = "abcdefghijklmnopqrstuvwxyz"
    words = ["".join(rng.choices(letters, k=rng.randint(3, 10))) for _ in range(VOCABULARY)]
    weights = itertools.accumulate(1.0 / (rank + 1) for rank in range(VOCABULARY))  # Zipf: most words rare
    return words, list(weights)


class Day:
    """Writes one simulated day of a running bot into ``db``."""

    def __init__(self, db, args: argparse.Namespace, feed_ids: list[int]) -> None:
        self.db = db
        self.args = args
        self.feed_ids = feed_ids
        self.rng = random.Random(13)
        self.words, self.weights = _vocabulary(self.rng)
        self.serial = 0
        self.update_id = 0
        self.recent_stories: list[int] = []

    def _text(self, n: int) -> str:
        return " ".join(self.rng.choices(self.words, cum_weights=self.weights, k=n))

    def write(self, day_start: float) -> None:
        per_hour = self.args.feeds * self.args.per_day // 24
        alerts_per_hour = self.args.alerts_per_day // 24
        for hour in range(24):
            now = day_start + hour * 3600
            story_of = self._stories(self._articles(now, per_hour), now)
            self._alerts(story_of, now, alerts_per_hour)
            self._updates(now, self.args.updates_per_day // 24)
            with self.db.conn:  # what every poll cycle prunes (storage.stories._prune)
                self.db.execute("DELETE FROM story_keys WHERE seen < ?", [now - 2 * DAY])
                self.db.execute("DELETE FROM story_prints WHERE seen < ?", [now - 2 * DAY])

    def _articles(self, now: float, count: int) -> list[int]:
        ids: list[int] = []
        by_feed: dict[int, list[dict]] = {}
        for _ in range(count):
            self.serial += 1
            feed = self.rng.choice(self.feed_ids)
            by_feed.setdefault(feed, []).append(
                {
                    "guid_hash": f"{self.serial:064x}",
                    "url": f"https://feed{feed}.example/news/{self.serial}",
                    "title": self._text(9).capitalize(),
                    "text": self._text(TEXT_WORDS),
                    "summary": self._text(45),
                    "published": now - self.rng.uniform(0, 3600),
                }
            )
        with self.db.conn:  # one transaction per poll cycle, as feeds.ingest commits many feeds at once
            for feed, items in by_feed.items():
                ids += articles.insert_articles(self.db, feed, items, now=now, commit=False)
        return ids

    def _stories(self, ids: list[int], now: float) -> dict[int, int]:
        """Each article's story (a quarter join one of the last hours), and the grouping index rows."""
        story_of: dict[int, int] = {}
        with self.db.conn:
            for article_id in ids:
                if self.recent_stories and self.rng.random() < 0.25:
                    story_of[article_id] = self.rng.choice(self.recent_stories)
                else:
                    story_of[article_id] = int(
                        self.db.conn.execute(
                            "INSERT INTO stories (first_seen, last_seen, title, url) VALUES (?, ?, ?, ?)",
                            (now, now, self._text(9), f"https://story.example/{article_id}"),
                        ).lastrowid
                        or 0
                    )
            self.db.conn.executemany(
                "UPDATE stories SET last_seen = ? WHERE id = ?",
                [(now, story) for story in set(story_of.values())],
            )
            self.db.conn.executemany(
                "UPDATE articles SET story_id = ?, matched = 1 WHERE id = ?",
                [(story, article_id) for article_id, story in story_of.items()],
            )
            self.db.conn.executemany(
                "INSERT OR IGNORE INTO story_keys (key, article_id, seen) VALUES (?, ?, ?)",
                [
                    (self.rng.getrandbits(63), article_id, now)
                    for article_id in ids
                    for _ in range(KEYS_PER_ARTICLE)
                ],
            )
            self.db.conn.executemany(
                "INSERT INTO story_prints (article_id, story_id, feed_id, published, seen, title_words, "
                "lead_words) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [
                    (
                        article_id,
                        story,
                        self.feed_ids[article_id % len(self.feed_ids)],
                        now,
                        now,
                        self._text(6),
                        self._text(40),
                    )
                    for article_id, story in story_of.items()
                ],
            )
        self.recent_stories = list(story_of.values())[-2000:]
        return story_of

    def _alerts(self, story_of: dict[int, int], now: float, count: int) -> None:
        """Finished outbox rows: a matched story sent to a chat."""
        if not story_of:
            return
        ids = list(story_of)
        rows = []
        for _ in range(count):
            article_id = self.rng.choice(ids)
            chat = self.rng.randint(1, self.args.chats)
            rows.append(
                (
                    chat,
                    story_of[article_id],
                    article_id,
                    f"matched “{self._text(2)}” in the title",
                    now,
                    now + 5,
                )
            )
        with self.db.conn:
            self.db.conn.executemany(
                "INSERT OR IGNORE INTO deliveries (chat_id, story_id, article_id, explanation, state, created_at, "
                "sent_at, message_id) VALUES (?, ?, ?, ?, 'sent', ?, ?, 1)",
                rows,
            )

    def _updates(self, now: float, count: int) -> None:
        with self.db.conn:
            for _ in range(count):
                self.update_id += 1
                self.db.execute(
                    "INSERT INTO handled_updates (update_id, handled_at) VALUES (?, ?)", [self.update_id, now]
                )


def run_retention(db, keep_days: int, now: float) -> tuple[Pruned, float, float]:
    """The daily job's work, timed: total seconds and the longest single batch (how long a writer could wait)."""
    started = time.perf_counter()
    longest = 0.0
    done = Pruned()
    steps = prune(db, keep_articles_days=keep_days, now=now)
    while True:
        step_started = time.perf_counter()
        step = next(steps, None)
        longest = max(longest, time.perf_counter() - step_started)
        if step is None:
            break
        done = step
    return done, time.perf_counter() - started, longest


def file_mb(db, path: Path) -> float:
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    wal = path.with_name(path.name + "-wal")
    return (path.stat().st_size + (wal.stat().st_size if wal.exists() else 0)) / 1e6


def plot(rows: list[dict], keep_days: int, out: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4.5), dpi=110)
    days = [row["day"] for row in rows]
    ax.plot(
        days, [row["mb"] for row in rows], marker="o", markersize=3, label="database file (after retention)"
    )
    ax.axvline(
        keep_days, color="grey", linestyle="--", linewidth=1, label=f"first deletions (keep {keep_days} days)"
    )
    ax.set_xlabel("simulated day")
    ax.set_ylabel("MB on disk")
    ax.set_title(title)
    ax.set_ylim(bottom=0)
    ax.grid(alpha=0.3)
    ax.legend(loc="lower right")
    fig.tight_layout()
    fig.savefig(out)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--per-day", type=int, default=20, help="new articles a feed a day")
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--keep-days", type=int, default=14)
    parser.add_argument("--alerts-per-day", type=int, default=20_000)
    parser.add_argument("--updates-per-day", type=int, default=5_000)
    parser.add_argument("--chats", type=int, default=10_000)
    parser.add_argument("--plot", type=Path, default=REPO / "bench" / "retention.png")
    parser.add_argument("--db", type=Path, default=None, help="database file (default: a temporary one)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        path = args.db or Path(tmp) / "retention.db"
        db = connect(path)
        feed_ids = [
            feed_store.add_feed(db, f"https://feed{n}.example/rss", now=START) for n in range(args.feeds)
        ]
        day = Day(db, args, feed_ids)
        print(
            f"{args.feeds:,} feeds x {args.per_day} articles a day, {args.alerts_per_day:,} alerts and "
            f"{args.updates_per_day:,} updates a day, keep {args.keep_days} days"
        )
        print(
            "| day | articles | outbox rows | stories | MB on disk | deleted (articles / outbox) | "
            "retention s | longest batch ms | write s |"
        )
        print("|---|---|---|---|---|---|---|---|---|")
        rows = []
        for n in range(1, args.days + 1):
            day_start = START + (n - 1) * DAY
            started = time.perf_counter()
            day.write(day_start)
            wrote = time.perf_counter() - started
            done, seconds, longest = run_retention(db, args.keep_days, day_start + DAY)
            counts = {
                t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
                for t in ("articles", "deliveries", "stories")
            }
            row = {"day": n, "mb": file_mb(db, path), **counts}
            rows.append(row)
            print(
                f"| {n} | {counts['articles']:,} | {counts['deliveries']:,} | {counts['stories']:,} | {row['mb']:.1f} | "
                f"{done.articles:,} / {done.deliveries:,} | {seconds:.1f} | {longest * 1000:.0f} | {wrote:.0f} |",
                flush=True,
            )
        db.conn.close()
    tail = [row["mb"] for row in rows[args.keep_days + 1 :]]
    if tail:
        print(
            f"after day {args.keep_days + 1}: {min(tail):.1f}-{max(tail):.1f} MB "
            f"(spread {100 * (max(tail) - min(tail)) / max(tail):.1f}% of the largest)"
        )
    plot(
        rows,
        args.keep_days,
        args.plot,
        f"newsalert database, {args.feeds:,} feeds x {args.per_day}/day, keep {args.keep_days} days",
    )
    print(f"plot: {args.plot}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
