"""/subscribe latency with a million stored subscriptions, through the real bot and the fake Bot API.

    /work/venv/bin/python -m bench.commands [--subscriptions 1000000] [--commands 300] [--db PATH] [--busy]

What is measured: the time from a user's message entering the fake Telegram server to the bot's answer arriving
there, i.e. long-poll wake-up, PTB dispatch, the access gate, query parsing, the SQLite insert (cap and uniqueness
checks included) next to 1,000,000 rows, the live matcher ``add`` and the sendMessage round trip. Commands are sent
one at a time (a latency figure, not throughput), from chats that already have subscriptions and from new ones.
Also printed: how long the bot took to start answering, and to fill the matcher from every stored subscription. With
``--busy`` a thread matches real articles against the live matcher the whole time, as a poll cycle's fan-out does.

The database is generated once (queries made of words from the real feeds in ../shared/feeds/real) and reused when
``--db`` names an existing file with enough rows.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import re
import statistics
import sys
import threading
import time
from pathlib import Path

from bot.app import ALLOWED_UPDATES, build_application
from bot.config import Config, StorageConfig, TelegramConfig
from feeds.parse import process_feed
from matching import Document, Matcher, QueryError, parse_query
from storage.db import connect
from tests.support import fake_telegram
from tests.support.fake_telegram import FakeTelegram

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
PER_CHAT = 5
_WORD = re.compile(r"[^\W\d_]{4,14}")


def vocabulary(limit: int = 20_000) -> list[str]:
    """Distinct lower-case words from the real feeds: realistic keywords, places and names."""
    counts: dict[str, int] = {}
    for file in sorted((SHARED / "feeds" / "real").glob("*.xml")):
        text = re.sub(r"<[^>]+>", " ", file.read_bytes().decode("utf-8", "replace"))
        for word in _WORD.findall(text):
            word = word.lower()
            counts[word] = counts.get(word, 0) + 1
    return sorted(counts, key=lambda w: -counts[w])[:limit]


def canonical_queries(words: list[str], wanted: int, rng: random.Random) -> list[str]:
    """``wanted`` distinct canonical queries of one to three words (mostly one or two)."""
    found: set[str] = set()
    attempts = 0
    while len(found) < wanted and attempts < wanted * 5:
        attempts += 1
        size = rng.choices((1, 2, 3), weights=(5, 4, 1))[0]
        raw = " ".join(rng.sample(words, size))
        raw = raw if size == 1 else f'"{raw}"'
        try:
            found.add(parse_query(raw).canonical)
        except QueryError:
            continue
    return sorted(found)


def populate(path: Path, total: int, rng: random.Random) -> tuple[int, list[str]]:
    """Make (or reuse) a database with ``total`` subscriptions, ``PER_CHAT`` per chat; returns (chats, words)."""
    words = vocabulary()
    db = connect(path)
    have = db.execute("SELECT count(*) FROM subscriptions").fetchone()[0]
    chats = total // PER_CHAT
    if have >= total:
        # Reuse the generated rows; forget what earlier runs' commands added, so every run measures real adds.
        with db.conn:
            db.execute(
                "DELETE FROM subscriptions WHERE id > (SELECT id FROM subscriptions ORDER BY id LIMIT 1 OFFSET ?)",
                [total - 1],
            )
            db.execute("DELETE FROM subscribers WHERE chat_id > ?", [chats])
            # The fake Telegram numbers updates from 1 each run: the bot would skip them as handled already.
            db.execute("DELETE FROM handled_updates")
        db.conn.close()
        return chats, words
    print(f"generating {total:,} subscriptions in {path} ...", flush=True)
    started = time.perf_counter()
    queries = canonical_queries(words, min(200_000, total // 2), rng)
    now = time.time() - 86_400
    with db.conn:
        db.execute("DELETE FROM subscriptions")
        db.execute("DELETE FROM subscribers")
        db.conn.executemany(
            "INSERT INTO subscribers (chat_id, created_at) VALUES (?, ?)",
            ((c, now) for c in range(1, chats + 1)),
        )
        db.conn.executemany(
            "INSERT INTO subscriptions (chat_id, query, raw, created_at) VALUES (?, ?, ?, ?)",
            ((c, q, q, now) for c in range(1, chats + 1) for q in rng.sample(queries, PER_CHAT)),
        )
    print(f"  {len(queries):,} distinct queries, done in {time.perf_counter() - started:.1f} s", flush=True)
    db.conn.close()
    return chats, words


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def drive(fake: FakeTelegram, chats: int, commands: int, words: list[str], rng: random.Random) -> list[float]:
    """Send ``/subscribe`` one at a time (half from existing chats, half from new ones); latencies in seconds."""
    latencies = []
    for index in range(commands):
        chat_id = rng.randint(1, chats) if index % 2 == 0 else chats + 1 + index
        query = rng.choice(
            ["kosovo", "keyword:nato", f"{rng.choice(words)}", f'"{rng.choice(words)} {rng.choice(words)}"']
        )
        before = len(fake.messages(chat_id))
        sent = time.perf_counter()
        fake.inject_message(chat_id, f"/subscribe {query}")
        fake.wait_for_messages(chat_id, before + 1, timeout=10)
        latencies.append(time.perf_counter() - sent)
        time.sleep(0.05)  # stay under the rate limiter's pace: this measures latency, not throughput
    return latencies


class FanOutLoad:
    """What a poll cycle's fan-out does meanwhile: match real articles against the live matcher in a thread,
    non-stop, so commands compete with it for the GIL as they would during a busy cycle."""

    def __init__(self, matcher: Matcher) -> None:
        self.matcher = matcher
        self.documents = real_documents()
        self.matched = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fan-out-load", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stop.is_set():
            for document in self.documents:
                if self._stop.is_set():
                    return
                self.matcher.match(document)
                self.matched += 1

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        print(f"(meanwhile {self.matched:,} real articles were matched in a thread)")


def real_documents(limit: int = 500) -> list[Document]:
    """Articles from the real feeds, parsed and cleaned as the poller would."""
    documents: list[Document] = []
    for file in sorted((SHARED / "feeds" / "real").glob("*.xml")):
        parsed = process_feed(file.read_bytes(), None)
        if isinstance(parsed, str):
            continue
        documents += [Document(title=i.title, summary=i.summary, text=i.text) for i in parsed.items]
    return documents[:limit]


async def main_async(args: argparse.Namespace) -> None:
    # The fake server's stdlib handler writes headers and body separately; without TCP_NODELAY, Nagle's algorithm
    # and the client's delayed ACK add ~40 ms to every answer on loopback, which is the fake, not the bot.
    fake_telegram._Handler.disable_nagle_algorithm = True
    rng = random.Random(20261127)
    path = Path(args.db)
    chats, words = populate(path, args.subscriptions, rng)
    with FakeTelegram(rate=0, chat_burst=1000) as fake:
        config = Config(
            telegram=TelegramConfig(base_url=fake.base_url, commands_per_minute=1000, max_subscriptions=50),
            storage=StorageConfig(path=str(path)),
        )
        app = build_application(config, fake.token)
        started = time.perf_counter()
        await app.initialize()
        assert app.post_init is not None
        await app.post_init(app)
        answering = time.perf_counter() - started
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0, timeout=10, allowed_updates=ALLOWED_UPDATES)
        loader = app.bot_data["pipeline"].loader
        during: list[float] = []
        while not loader.done() and len(during) < 50:  # commands while the matcher is still being filled
            during += await asyncio.to_thread(drive, fake, chats, 1, words, rng)
        await loader
        startup = time.perf_counter() - started
        try:
            await asyncio.to_thread(
                drive, fake, chats, 20, words, rng
            )  # warm-up: first-use costs (imports, caches) are not latency
            busy = FanOutLoad(app.bot_data["services"].matcher) if args.busy else None
            try:
                latencies = await asyncio.to_thread(drive, fake, chats, args.commands, words, rng)
            finally:
                if busy is not None:
                    busy.stop()
        finally:
            await app.updater.stop()
            await app.stop()
            await app.shutdown()
            assert app.post_shutdown is not None
            await app.post_shutdown(app)
    ms = [v * 1000 for v in latencies]
    stored = connect(path).execute("SELECT count(*) FROM subscriptions").fetchone()[0]
    print(f"subscriptions stored: {stored:,} in {chats:,} chats")
    print(
        f"bot start: answering commands after {answering:.1f} s, matcher complete (polling starts) after {startup:.1f} s"
    )
    if during:
        ms_during = [v * 1000 for v in during]
        print(
            f"/subscribe while the matcher was being filled: {len(ms_during)} commands, "
            f"p50 {statistics.median(ms_during):.1f} ms, max {max(ms_during):.1f} ms"
        )
    print(
        f"/subscribe latency over {len(ms)} commands: p50 {statistics.median(ms):.1f} ms, "
        f"p95 {percentile(ms, 95):.1f} ms, max {max(ms):.1f} ms (target p95 <= 100 ms)"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--subscriptions", type=int, default=1_000_000)
    parser.add_argument("--commands", type=int, default=300)
    parser.add_argument("--db", default="/tmp/newsalert-bench-commands.db")
    parser.add_argument(
        "--busy",
        action="store_true",
        help="match real articles in a thread meanwhile (a fan-out in progress)",
    )
    args = parser.parse_args()
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    asyncio.run(main_async(args))
    return 0


if __name__ == "__main__":
    sys.exit(main())
