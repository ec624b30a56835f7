"""Database cost of editing sent alerts as their stories gain outlets (storage.alert_edits), at scale.

    python bench/edits.py [--stories 1000] [--per-story 100] [--reports 5000]

Builds an outbox of ``stories × per-story`` sent instant alerts (100,000 by default, each chat alerted to one
story, a story's alerts written together as one fan-out writes them), then measures what the edits add to the bot's work:

* **note**: the fan-out's per-article statement (:func:`storage.alert_edits.note_report`, one transaction per
  new report as the fan-out has), for ``reports`` new reports of random stories: µs per report, and for a report
  of a story no chat was alerted to (most articles);
* **claim + finish**: draining every waiting edit ten at a time as the edits job does (no Telegram): edits/s;
* **idle tick**: one claim when nothing is due, with every edit done.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from storage import alert_edits  # noqa: E402
from storage.db import connect  # noqa: E402

INTERVAL = 300.0


def build(db, stories: int, per_story: int) -> None:
    now = time.time()
    with db.conn:
        db.execute("INSERT INTO feeds (id, url, name, added_at) VALUES (1, 'https://a.example/rss', 'A', 0)")
        db.conn.executemany(
            "INSERT INTO stories (id, first_seen, last_seen, title) VALUES (?, ?, ?, 't')",
            [(s, now, now) for s in range(1, stories + 2)],  # the last one has no alerts
        )
        db.conn.executemany(
            "INSERT INTO articles (id, feed_id, guid_hash, first_seen, story_id) VALUES (?, 1, ?, ?, ?)",
            [(s, f"g{s}", now, s) for s in range(1, stories + 2)],
        )
        chats = stories * per_story
        db.conn.executemany(
            "INSERT INTO subscribers (chat_id, created_at) VALUES (?, 0)", [(c,) for c in range(1, chats + 1)]
        )
        db.conn.executemany(
            "INSERT INTO deliveries (chat_id, story_id, article_id, state, message_id, sent_at, created_at, "
            "outlets_shown) VALUES (?, ?, ?, 'sent', ?, ?, ?, 0)",
            # A story's alerts are written together (one fan-out), so their ids are consecutive.
            [
                (c, (c - 1) // per_story + 1, (c - 1) // per_story + 1, c, now, now)
                for c in range(1, chats + 1)
            ],
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stories", type=int, default=1000)
    parser.add_argument("--per-story", type=int, default=100)
    parser.add_argument("--reports", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = connect(Path(tmp) / "edits.db")
        build(db, args.stories, args.per_story)
        print(f"outbox: {args.stories * args.per_story:,} sent alerts over {args.stories:,} stories")
        rng = random.Random(1)
        now = time.time()
        touched = 0
        started = time.perf_counter()
        for n in range(args.reports):
            with db.conn:
                touched += alert_edits.note_report(
                    db, rng.randint(1, args.stories), 10**9 + n, interval=INTERVAL, now=now
                )
        elapsed = time.perf_counter() - started
        print(
            f"note, story with alerts      {elapsed / args.reports * 1e6:8.0f} µs per report "
            f"({touched / args.reports:.0f} alerts marked each)"
        )
        started = time.perf_counter()
        for n in range(args.reports):
            with db.conn:
                alert_edits.note_report(db, args.stories + 1, 10**9 + n, interval=INTERVAL, now=now)
        elapsed = time.perf_counter() - started
        print(f"note, story without alerts   {elapsed / args.reports * 1e6:8.0f} µs per report")
        edited = 0
        started = time.perf_counter()
        while rows := alert_edits.claim_due(db, now=now, limit=10):
            for row in rows:
                alert_edits.finish(db, row["id"], outlets=1, interval=INTERVAL, now=now)
            edited += len(rows)
        elapsed = time.perf_counter() - started
        print(f"claim + finish               {edited / elapsed:8.0f} edits/s ({edited:,} edits)")
        started = time.perf_counter()
        for _ in range(100):
            alert_edits.claim_due(db, now=now, limit=10)
        print(f"idle tick (nothing due)      {(time.perf_counter() - started) / 100 * 1e3:8.2f} ms per claim")
        db.conn.close()


if __name__ == "__main__":
    main()
