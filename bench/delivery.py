"""Delivery throughput: N alerts to N chats through the real delivery code and PTB, against the fake Bot API.

The fake server runs in its own process (so its threads do not compete with the bot's event loop) and answers
429 past 30 messages/s, like Telegram. The bot side is what ``newsalert run`` uses: an Application with
AIORateLimiter, a :class:`alerts.delivery.Deliverer` over a real SQLite outbox.

    /work/venv/bin/python bench/delivery.py              # 10,000 alerts (about 6 minutes at 30/s)
    /work/venv/bin/python bench/delivery.py --alerts 1000

Prints: sustained messages/s (from the fake's first to last accepted message; target >= 28.5), 429 answers,
lost (alerts that never arrived) and duplicates (chats that got more than one), and the worst event-loop stall.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx
from telegram.ext import AIORateLimiter, ApplicationBuilder

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from alerts.delivery import DEFAULT_RATE, Deliverer  # noqa: E402
from alerts.outcomes import DeliveryStats  # noqa: E402
from storage import outbox  # noqa: E402
from storage.db import connect  # noqa: E402
from tests.support.fake_telegram import DEFAULT_TOKEN  # noqa: E402

FIRST_CHAT = 100_000


def start_fake(rate: float) -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.fake_telegram", "--port", "0", "--rate", str(rate)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().split()
    if len(line) != 2 or line[0] != "READY":
        proc.kill()
        raise SystemExit(f"fake server did not start: {line}")
    return proc, int(line[1])


def seed(db_path: Path, alerts: int) -> None:
    """N subscribers, 100 stories, one outbox row per chat (inserted directly, as fan-out would leave them)."""
    db = connect(db_path)
    now = time.time()
    with db.conn:
        feed_id = db.conn.execute(
            "INSERT INTO feeds (url, name, added_at) VALUES ('https://example.org/rss', 'Example News', ?)",
            (now,),
        ).lastrowid
        stories = []
        for n in range(100):
            story_id = db.conn.execute(
                "INSERT INTO stories (first_seen, last_seen, title) VALUES (?, ?, ?)",
                (now, now, f"Story {n}"),
            ).lastrowid
            article_id = db.conn.execute(
                "INSERT INTO articles (feed_id, guid_hash, url, title, summary, published, first_seen, story_id) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    feed_id,
                    f"g{n}",
                    f"https://example.org/news/{n}",
                    f"Clashes near Zvečan & Leposavić, day {n}",
                    "NATO-led KFOR peacekeepers were injured as Serb protesters clashed with police. " * 3,
                    now - 60,
                    now,
                    story_id,
                ),
            ).lastrowid
            stories.append((story_id, article_id))
        db.conn.executemany(
            "INSERT INTO subscribers (chat_id, created_at) VALUES (?, ?)",
            [(FIRST_CHAT + i, now) for i in range(alerts)],
        )
        db.conn.executemany(
            "INSERT INTO deliveries (chat_id, story_id, article_id, explanation, created_at) VALUES (?, ?, ?, ?, ?)",
            [(FIRST_CHAT + i, *stories[i % 100], "kosovo", now) for i in range(alerts)],
        )
    db.conn.close()


async def watch_loop(stall: list[float], stop: asyncio.Event) -> None:
    """Record the longest time the event loop was unable to run a 10 ms timer on time."""
    while not stop.is_set():
        before = time.perf_counter()
        await asyncio.sleep(0.01)
        stall[0] = max(stall[0], time.perf_counter() - before - 0.01)


async def deliver(
    port: int, db_path: Path, limiter_rate: float, alerts: int
) -> tuple[DeliveryStats, float, float]:
    app = (
        ApplicationBuilder()
        .token(DEFAULT_TOKEN)
        .base_url(f"http://127.0.0.1:{port}/bot")
        .rate_limiter(AIORateLimiter(overall_max_rate=limiter_rate, max_retries=3))
        .build()
    )
    db = connect(db_path)
    stall = [0.0]
    stop = asyncio.Event()
    total = DeliveryStats()
    async with app:
        watcher = asyncio.create_task(watch_loop(stall, stop))
        deliverer = Deliverer(app.bot, db)
        started = time.monotonic()
        last_report = started
        while outbox.queue_depth(db):
            total.add(await deliverer.run_until_idle(limit=100, max_seconds=10))
            if time.monotonic() - last_report >= 30:
                last_report = time.monotonic()
                print(f"  … {total.sent}/{alerts} sent after {last_report - started:.0f} s", flush=True)
            if not total.claimed:
                await asyncio.sleep(0.05)
        elapsed = time.monotonic() - started
        stop.set()
        await watcher
    db.conn.close()
    return total, elapsed, stall[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--alerts", type=int, default=10_000, help="alerts, each to its own chat (default 10000)"
    )
    parser.add_argument("--rate", type=float, default=30.0, help="the fake API's overall limit, messages/s")
    parser.add_argument(
        "--limiter-rate", type=float, default=DEFAULT_RATE, help="AIORateLimiter overall_max_rate"
    )
    args = parser.parse_args()
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"

    proc, port = start_fake(args.rate)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            db_path = Path(tmp) / "bench.db"
            seed(db_path, args.alerts)
            print(
                f"{args.alerts} alerts to {args.alerts} chats; fake API limit {args.rate:g}/s, "
                f"AIORateLimiter {args.limiter_rate:g}/s",
                flush=True,
            )
            stats, elapsed, stall = asyncio.run(deliver(port, db_path, args.limiter_rate, args.alerts))
            db = connect(db_path)
            db_states = dict(db.execute("SELECT state, count(*) FROM deliveries GROUP BY state").fetchall())
            db.conn.close()
        fake = httpx.get(f"http://127.0.0.1:{port}/_fake/stats", timeout=10).json()
    finally:
        proc.terminate()
        proc.wait(timeout=10)

    span = (fake["last_sent_at"] or 0) - (fake["first_sent_at"] or 0)
    sustained = (fake["sent"] - 1) / span if span > 0 else 0.0
    lost = args.alerts - fake["chats"]
    print(f"sent (API accepted)     {fake['sent']}")
    print(f"wall time               {elapsed:.1f} s")
    print(f"sustained messages/s    {sustained:.2f}   (target >= 28.5)")
    print(f"overall messages/s      {fake['sent'] / elapsed:.2f}   (including start-up burst and tail)")
    print(f"429 answers seen        {fake['too_many']}   (rate-limited rows requeued: {stats.rate_limited})")
    print(f"lost                    {lost}")
    print(f"duplicates              {fake['chats_with_duplicates']}")
    print(f"outbox states           {db_states}")
    print(
        f"worst event-loop stall  {stall * 1000:.1f} ms   (timer lateness: includes CPU shared with the fake and GC)"
    )
    print(f"bot peak RSS            {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    ok = lost == 0 and fake["chats_with_duplicates"] == 0 and sustained >= 28.5
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
