"""Soak: the real ``newsalert run`` for minutes against 1,000 changing real feeds and a Bot API limiting at 30/s.

    /work/venv/bin/python -m bench.soak                 # 2 minutes, 10,000 chats, 100,000 subscriptions
    /work/venv/bin/python -m bench.soak --full          # 10 minutes, 10,000 chats, 1,000,000 subscriptions

All on 127.0.0.1: the loopback feed server (``tests.support.feed_server``, in this process: N copies of the 37 real
feeds in ../shared/feeds/real, gzipped, answering conditional GETs), the fake Bot API (``tests.support.fake_telegram``
in its own process: 429 past 30 messages/s overall and past bursts to one chat), and the bot itself, started exactly
as an operator starts it, with a config listing every feed. Its database is generated first: ``--chats``
subscribers sharing ``--subscriptions`` subscriptions (queries of one to three words from the real feeds'
vocabulary, as ``bench/commands.py`` makes them); a share of the chats (``--hot-share``) also follows a word every
generated story contains, so each change of the feeds is a burst of alerts.

Phases: warm-up (the bot loads its matcher and polls every feed once; not measured), then ``--minutes`` of soak:
every ``--bump-every`` seconds every feed gains two new stories dated now; then no more changes while the queue
drains (at most ``--drain-max`` seconds). Every 5 s it samples the bot's RSS (the bot and its parse workers), the fake's counters and the
outbox. It prints RSS at the start and end of the soak, the delivery rate while alerts were waiting (against the
bot's limiter, ``messages_per_second``, and the fake's 30/s), 429s, the queue left at the end, lost or doubled
alerts, and whether SIGTERM ended the bot cleanly.
"""

from __future__ import annotations

import argparse
import email.utils
import json
import os
import random
import re
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bench.commands import canonical_queries, vocabulary  # noqa: E402
from bench.ingest import rss_kb  # noqa: E402
from bot.config import TelegramConfig  # noqa: E402
from matching import parse_query  # noqa: E402
from storage.db import connect  # noqa: E402
from tests.support.fake_telegram import DEFAULT_TOKEN  # noqa: E402
from tests.support.feed_server import FeedServer  # noqa: E402

SHARED = REPO.parent / "shared"
# Every generated story names all of these; "hot" chats follow one of them.
HOT_WORDS = ("ceasefire", "earthquake", "election", "blackout", "evacuation")
_ITEM_START = re.compile(rb"<(?:[A-Za-z0-9_]+:)?(item|entry)[\s>]")
KEEP_GENERATIONS = 10  # a feed shows its newest generated items only, as real feeds drop old ones


class ChangingFeeds:
    """N feeds, copy i of real feed i % 37, served by the loopback feed server in this process.

    Each :meth:`bump` adds a generation of two stories to every feed, dated now (the mirror of
    ``tests.support.feed_server`` dates its items in 2023, which the bot rightly never alerts). Titles and text are
    random words of the real feeds' vocabulary plus every hot word, so each generation is two new stories, carried
    by every feed (links differ per feed, as when many outlets run the same wire story).
    """

    def __init__(self, server: FeedServer, count: int, words: list[str], rng: random.Random) -> None:
        self.server = server
        self.count = count
        self.bases = [f.read_bytes() for f in sorted((SHARED / "feeds" / "real").glob("*.xml"))]
        self.words = words
        self.rng = rng
        self.generations: list[list[tuple[str, str, str]]] = []  # per generation: (title, text, date)
        for i in range(count):
            server.set(self.path(i), self.bases[i % len(self.bases)], gzip=True)

    @staticmethod
    def path(i: int) -> str:
        return f"/feed/{i}.xml"

    def url(self, i: int) -> str:
        return self.server.url(self.path(i))

    def bump(self) -> None:
        date = email.utils.formatdate(time.time(), usegmt=True)
        stories = []
        for _ in range(2):
            title = " ".join(self.rng.sample(self.words, 9)).capitalize()
            text = (
                f"{title}. " + " ".join(self.rng.sample(self.words, 40)) + ". " + ", ".join(HOT_WORDS) + "."
            )
            stories.append((title, text, date))
        self.generations.append(stories)
        for i in range(self.count):
            self.server.set(self.path(i), self._body(i), gzip=True)

    def _body(self, i: int) -> bytes:
        base = self.bases[i % len(self.bases)]
        match = _ITEM_START.search(base)
        if match is None:
            return base
        atom = match.group(1) == b"entry"
        pieces = []
        first = max(0, len(self.generations) - KEEP_GENERATIONS)
        for gen in range(len(self.generations) - 1, first - 1, -1):
            for k, (title, text, date) in enumerate(self.generations[gen]):
                link = f"https://soak.example/{i}/{gen}/{k}"
                if atom:
                    pieces.append(
                        f'<entry><title>{escape(title)}</title><link href="{link}"/><id>{link}</id>'
                        f"<updated>{iso(date)}</updated><summary>{escape(text)}</summary></entry>\n"
                    )
                else:
                    pieces.append(
                        f"<item><title>{escape(title)}</title><link>{link}</link><guid>{link}</guid>"
                        f"<pubDate>{date}</pubDate><description>{escape(text)}</description></item>\n"
                    )
        return base[: match.start()] + "".join(pieces).encode() + base[match.start() :]


def iso(rfc2822: str) -> str:
    return email.utils.parsedate_to_datetime(rfc2822).strftime("%Y-%m-%dT%H:%M:%SZ")


def descendants(pid: int) -> list[int]:
    """``pid`` and every process under it (the bot and its parse pool)."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    parents[int(entry)] = int(stat.read().rsplit(")", 1)[1].split()[1])
            except OSError:
                continue
    found, frontier = [pid], [pid]
    while frontier:
        frontier = [child for child, parent in parents.items() if parent in frontier]
        found += frontier
    return found


def tree_rss_mb(pid: int) -> float:
    return sum(rss_kb(p) for p in descendants(pid)) / 1024


def populate(
    path: Path, chats: int, total: int, hot_share: float, words: list[str], rng: random.Random
) -> int:
    """Subscribers and subscriptions, created a day ago (so every new article may alert them); returns hot chats."""
    per_chat = max(1, total // chats)
    queries = canonical_queries(words, min(200_000, max(per_chat, total // 2)), rng)
    hot = [parse_query(f"keyword:{word}").canonical for word in HOT_WORDS]
    hot_chats = set(rng.sample(range(1, chats + 1), int(chats * hot_share)))
    created = time.time() - 86_400
    db = connect(path)

    def rows():  # type: ignore[no-untyped-def]
        for chat in range(1, chats + 1):
            picked = rng.sample(queries, per_chat)
            if chat in hot_chats:
                picked[0] = rng.choice(hot)
            for query in dict.fromkeys(picked):
                yield chat, query, query, created

    with db.conn:
        db.conn.executemany(
            "INSERT INTO subscribers (chat_id, created_at) VALUES (?, ?)",
            ((c, created) for c in range(1, chats + 1)),
        )
        db.conn.executemany(
            "INSERT INTO subscriptions (chat_id, query, raw, created_at) VALUES (?, ?, ?, ?)", rows()
        )
    db.conn.close()
    return len(hot_chats)


def start(command: list[str], first_line: bool, **kwargs: object) -> tuple[subprocess.Popen[str], str]:
    proc = subprocess.Popen(
        command, cwd=REPO, stdout=subprocess.PIPE if first_line else None, text=True, **kwargs
    )  # type: ignore[call-overload]
    line = proc.stdout.readline().strip() if first_line and proc.stdout else ""
    return proc, line


def get_json(url: str, data: bytes | None = None) -> dict:
    with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=30) as answer:  # noqa: S310
        body = answer.read()
    try:
        return json.loads(body)
    except ValueError:
        return {}


@dataclass
class Sample:
    at: float  # seconds since the soak started
    rss_mb: float
    sent: int  # messages the fake accepted
    too_many: int
    backlog: int  # instant alerts waiting (pending or sending)
    held: int  # digest rows (the per-chat hourly cap overflows into the hourly digest)
    articles: int


def outbox_counts(db_path: Path) -> tuple[int, int, int, dict[str, int]]:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        backlog = conn.execute(
            "SELECT count(*) FROM deliveries WHERE state IN ('pending', 'sending') AND mode = 'instant'"
        ).fetchone()[0]
        held = conn.execute(
            "SELECT count(*) FROM deliveries WHERE state = 'pending' AND mode != 'instant'"
        ).fetchone()[0]
        articles = conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        states = dict(conn.execute("SELECT state, count(*) FROM deliveries GROUP BY state").fetchall())
        return backlog, held, articles, states
    finally:
        conn.close()


def polled_feeds(db_path: Path) -> int:
    conn = sqlite3.connect(f"file:{db_path}?mode=ro", uri=True, timeout=30)
    try:
        return conn.execute("SELECT count(*) FROM feeds WHERE last_polled IS NOT NULL").fetchone()[0]
    except sqlite3.OperationalError:
        return 0
    finally:
        conn.close()


def saturated_rate(samples: list[Sample]) -> tuple[float, float, float]:
    """Messages/s over the stretches where alerts were waiting at both ends of a sampling interval:
    (mean over all such time, best 30 s window, seconds of such time)."""
    sent = seconds = 0.0
    windows: list[float] = []
    for a, b in zip(samples, samples[1:], strict=False):
        if a.backlog > 0 and b.backlog > 0:
            sent += b.sent - a.sent
            seconds += b.at - a.at
    for i, a in enumerate(samples):
        for b in samples[i + 1 :]:
            if b.at - a.at >= 30:
                if all(s.backlog > 0 for s in samples[i : samples.index(b) + 1]):
                    windows.append((b.sent - a.sent) / (b.at - a.at))
                break
    return (sent / seconds if seconds else 0.0), max(windows, default=0.0), seconds


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--full", action="store_true", help="10 minutes and 1,000,000 subscriptions")
    parser.add_argument(
        "--minutes", type=float, default=None, help="soak length after warm-up (default 2; 10 with --full)"
    )
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--chats", type=int, default=10_000)
    parser.add_argument(
        "--subscriptions", type=int, default=None, help="default 100,000; 1,000,000 with --full"
    )
    parser.add_argument(
        "--hot-share", type=float, default=0.02, help="share of chats following a word of every bump"
    )
    parser.add_argument("--interval", type=int, default=60, help="feed poll interval, seconds")
    parser.add_argument(
        "--bump-every", type=float, default=None, help="seconds between feed changes (30; 90 with --full)"
    )
    parser.add_argument(
        "--rate", type=float, default=30.0, help="the fake Bot API's overall limit, messages/s"
    )
    parser.add_argument(
        "--drain-max", type=float, default=600, help="seconds to wait for the queue after the load"
    )
    parser.add_argument("--workdir", default=None, help="keep the database, config and bot log here")
    args = parser.parse_args()
    minutes = args.minutes if args.minutes is not None else (10.0 if args.full else 2.0)
    subscriptions = args.subscriptions or (1_000_000 if args.full else 100_000)
    bump_every = args.bump_every or (90.0 if args.full else 30.0)
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"
    work = Path(args.workdir or tempfile.mkdtemp(prefix="newsalert-soak-"))
    work.mkdir(parents=True, exist_ok=True)
    db_path = work / "soak.db"
    for stale in work.glob("soak.db*"):
        stale.unlink()

    rng = random.Random(20261127)
    began = time.perf_counter()
    words = vocabulary()
    hot = populate(db_path, args.chats, subscriptions, args.hot_share, words, rng)
    print(
        f"database: {args.chats:,} chats, {subscriptions:,} subscriptions ({hot:,} chats follow a word of the "
        f"generated stories), made in {time.perf_counter() - began:.0f} s",
        flush=True,
    )

    processes: list[subprocess.Popen[str]] = []
    server: FeedServer | None = None
    try:
        server = FeedServer().start()
        server.log_requests = False
        feeds = ChangingFeeds(server, args.feeds, words, random.Random(7))
        fake_proc, ready = start(
            [sys.executable, "-m", "tests.support.fake_telegram", "--port", "0", "--rate", str(args.rate)],
            True,
        )
        processes.append(fake_proc)
        fake_url = f"http://127.0.0.1:{ready.split()[1]}"
        config = work / "config.toml"
        lines = [
            "[telegram]",
            f'base_url = "{fake_url}/bot"',
            "[storage]",
            f'path = "{db_path}"',
            "[polling]",
            f"interval_seconds = {args.interval}",
            "allow_private_addresses = true",
        ]
        for i in range(args.feeds):  # each with its own interval: the first check is spread over it
            lines += [
                "[[feeds]]",
                f'url = "{feeds.url(i)}"',
                f'name = "Feed {i}"',
                f"interval_seconds = {args.interval}",
            ]
        config.write_text("\n".join(lines) + "\n")
        log = (work / "bot.log").open("w")
        bot = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--config", str(config)],
            cwd=work,
            env=dict(os.environ, TELEGRAM_BOT_TOKEN=DEFAULT_TOKEN, PYTHONPATH=str(REPO)),
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        processes.append(bot)

        warm_start = time.monotonic()
        while polled_feeds(db_path) < args.feeds:
            if bot.poll() is not None:
                raise SystemExit(f"the bot exited during warm-up ({bot.returncode}); see {work / 'bot.log'}")
            if time.monotonic() - warm_start > 900:
                raise SystemExit("warm-up took over 15 minutes")
            time.sleep(2)
        warm_up = time.monotonic() - warm_start
        print(f"warm-up: every feed polled once after {warm_up:.0f} s", flush=True)

        samples: list[Sample] = []
        started = time.monotonic()
        duration = minutes * 60
        last_bump = started - bump_every  # the first change comes at once
        bumps = 0
        drained_at: float | None = None
        csv = (work / "samples.csv").open("w")
        csv.write("seconds,rss_mb,sent,too_many,queue,held,articles\n")
        while True:
            now = time.monotonic()
            loading = now - started < duration
            if loading and now - last_bump >= bump_every:
                feeds.bump()
                last_bump, bumps = now, bumps + 1
            stats = get_json(f"{fake_url}/_fake/stats")
            backlog, held, articles, _ = outbox_counts(db_path)
            last = Sample(
                now - started, tree_rss_mb(bot.pid), stats["sent"], stats["too_many"], backlog, held, articles
            )
            samples.append(last)
            csv.write(
                f"{last.at:.1f},{last.rss_mb:.1f},{last.sent},{last.too_many},{backlog},{held},{articles}\n"
            )
            csv.flush()
            if len(samples) % 6 == 1:
                print(
                    f"  t={last.at:5.0f} s  rss {last.rss_mb:6.0f} MB  sent {last.sent:6d}  429s {last.too_many:4d}  "
                    f"queue {last.backlog:5d}  held {last.held:5d}  articles {last.articles:7d}",
                    flush=True,
                )
            if bot.poll() is not None:
                break
            # After the load: no more changes; wait (at most --drain-max) for the queue to empty.
            if not loading and (backlog == 0 or now - started >= duration + args.drain_max):
                drained_at = now - started if backlog == 0 else None
                break
            time.sleep(5)
        csv.close()

        stopping = time.monotonic()
        bot.send_signal(signal.SIGTERM)
        code = bot.wait(timeout=120)
        stop_seconds = time.monotonic() - stopping
        backlog, held, articles, states = outbox_counts(db_path)
        stats = get_json(f"{fake_url}/_fake/stats")
        texts = [(m["chat_id"], m["text"]) for m in get_json_list(f"{fake_url}/_fake/messages")]
    finally:
        if server is not None:
            server.stop()
        for proc in processes:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    proc.kill()

    first, end = samples[0], samples[-1]
    mean, best, busy = saturated_rate(samples)
    alerts = len([t for t in texts if "\n" in t[1]])
    doubled = alerts - len({t for t in texts if "\n" in t[1]})
    log_text = (work / "bot.log").read_text(errors="replace")
    print()
    print(
        f"soak                    {minutes:g} min after a {warm_up:.0f} s warm-up; {args.feeds} feeds every {args.interval} s, {bumps} changes of every feed"
    )
    print(
        f"RSS start -> end        {first.rss_mb:.0f} MB -> {end.rss_mb:.0f} MB (peak {max(s.rss_mb for s in samples):.0f} MB; bot and parse workers)"
    )
    print(f"articles stored         {first.articles:,} -> {end.articles:,}")
    print(
        f"alerts sent in soak     {end.sent - first.sent:,}   (total {stats['sent']:,}, 429s {stats['too_many']})"
    )
    print(
        f"rate while queued       {mean:.1f} msg/s over {busy:.0f} s, best 30 s {best:.1f} msg/s   (limiter {TelegramConfig().messages_per_second:g}/s, API {args.rate:g}/s)"
    )
    drain = (
        "never emptied"
        if drained_at is None
        else f"emptied {drained_at - minutes * 60:.0f} s after the load ended"
    )
    print(f"queue after the load    {drain}")
    print(f"queue at end            {backlog} instant waiting, {held} held for hourly digests (per-chat cap)")
    print(f"outbox states           {states}")
    print(f"sent twice              {doubled}")
    print(
        f"SIGTERM                 exit {code} after {stop_seconds:.1f} s; tracebacks in log: {log_text.count('Traceback')}"
    )
    print(f"work dir                {work}")
    return 0 if code == 0 and backlog == 0 and doubled == 0 else 1


def get_json_list(url: str) -> list:
    with urllib.request.urlopen(url, timeout=60) as answer:  # noqa: S310
        return json.loads(answer.read())


if __name__ == "__main__":
    sys.exit(main())
