"""Delivery throughput: N alerts to N chats through the real delivery code and PTB, against the fake Bot API.

The fake server runs in its own process (so its threads do not compete with the bot's event loop) and answers
429 past 30 messages/s, like Telegram. The bot side is what ``newsalert run`` uses: an Application with
AIORateLimiter and the connection pool ``bot.app`` gives it, a :class:`alerts.delivery.Deliverer` over a real
SQLite outbox, keeping as many sends in flight as ``bot.app.in_flight_limit`` allows at the limiter's rate.

    python bench/delivery.py              # 10,000 alerts (about 6 minutes at 30/s)
    python bench/delivery.py --alerts 1000
    python bench/delivery.py --unlimited  # 20,000 alerts, no limit anywhere: what the outbox path itself does
    python bench/delivery.py --unlimited --transport both   # the bot's aiohttp transport, then PTB's httpx

``--unlimited`` lifts every limit (the fake's, and the limiter's to 10^6/s) and sends as paid broadcasts with as
many sends in flight as the bot keeps at 1,000/s (334): it shows whether the path from outbox rows to recorded sends
(claim, render, PTB, HTTP, mark sent) sustains Telegram's paid-broadcast ceiling (target >= 1,000 msg/s).

Prints: sustained messages/s (from the fake's first to last accepted message), 429 answers, lost (alerts that
never arrived) and duplicates (chats that got more than one), the worst event-loop stall, and where the time
went: CPU per message in the bot process by stage (claim, render, mark sent, and the rest: PTB, httpx and the
event loop) and in the fake server's process, and the mean time a send waited for Telegram's answer.
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
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from telegram.ext import ApplicationBuilder
from telegram.request import BaseRequest, HTTPXRequest

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from alerts.delivery import DEFAULT_RATE, Deliverer, rate_limiter  # noqa: E402
from alerts.outcomes import DeliveryStats  # noqa: E402
from bot.aiohttp_request import AiohttpRequest  # noqa: E402
from bot.app import connection_pool_size, in_flight_limit  # noqa: E402
from bot.config import PAID_MESSAGES_PER_SECOND, Config, TelegramConfig  # noqa: E402
from bot.event_loop import new_event_loop  # noqa: E402
from storage import outbox  # noqa: E402
from storage.db import connect  # noqa: E402
from tests.support.fake_telegram import DEFAULT_TOKEN  # noqa: E402

FIRST_CHAT = 100_000
UNLIMITED_LIMITER = 1_000_000.0


@dataclass
class Stages:
    """Time spent in each synchronous stage of the bot's side, and how long sends waited for an answer."""

    seconds: Counter[str] = field(default_factory=Counter)
    calls: Counter[str] = field(default_factory=Counter)
    send_wait: float = 0.0
    sends: int = 0

    def timed(self, name: str, func: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return func(*args, **kwargs)
            finally:
                self.seconds[name] += time.perf_counter() - started
                self.calls[name] += 1

        return wrapper

    def timed_send(self, func: Callable[..., Awaitable[Any]]) -> Callable[..., Awaitable[Any]]:
        async def wrapper(*args: Any, **kwargs: Any) -> Any:
            started = time.perf_counter()
            try:
                return await func(*args, **kwargs)
            finally:
                self.send_wait += time.perf_counter() - started
                self.sends += 1

        return wrapper


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


def process_cpu_seconds(pid: int) -> float:
    """User + system CPU of another process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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


@dataclass
class Run:
    stats: DeliveryStats
    elapsed: float
    stall: float
    cpu: float
    stages: Stages


def make_request(transport: str, pool_size: int) -> BaseRequest:
    """The transport sends go through: the bot's own (aiohttp) or PTB's default (httpx), for comparison."""
    if transport == "httpx":
        return HTTPXRequest(connection_pool_size=pool_size)
    return AiohttpRequest(connection_pool_size=pool_size)


async def deliver(
    port: int,
    db_path: Path,
    config: Config,
    limiter_rate: float,
    alerts: int,
    in_flight: int,
    stages: Stages,
    transport: str,
) -> Run:
    app = (
        ApplicationBuilder()
        .token(DEFAULT_TOKEN)
        .base_url(f"http://127.0.0.1:{port}/bot")
        .rate_limiter(rate_limiter(limiter_rate, max_retries=3))
        .request(make_request(transport, connection_pool_size(config)))
        .build()
    )
    db = connect(db_path)
    stall = [0.0]
    stop = asyncio.Event()
    total = DeliveryStats()
    async with app:
        watcher = asyncio.create_task(watch_loop(stall, stop))
        deliverer = Deliverer(app.bot, db, paid_broadcast=config.telegram.paid_broadcast)
        deliverer.render = stages.timed("render", deliverer.render)  # type: ignore[method-assign]
        deliverer._paced_send = stages.timed_send(deliverer._paced_send)  # type: ignore[method-assign]
        started = time.monotonic()
        cpu_started = time.process_time()
        last_report = started
        while outbox.queue_depth(db):
            total.add(await deliverer.run_until_idle(limit=in_flight, max_seconds=10))
            if time.monotonic() - last_report >= 30:
                last_report = time.monotonic()
                print(f"  … {total.sent}/{alerts} sent after {last_report - started:.0f} s", flush=True)
            if not total.claimed:
                await asyncio.sleep(0.05)
        elapsed = time.monotonic() - started
        cpu = time.process_time() - cpu_started
        stop.set()
        await watcher
    db.conn.close()
    return Run(total, elapsed, stall[0], cpu, stages)


def where_the_time_goes(run: Run, sent: int, fake_cpu: float) -> list[str]:
    """CPU per message, by stage, in the bot and in the fake; and the mean wait for an answer."""
    per = 1e6 / max(sent, 1)
    known = sum(run.stages.seconds.values())
    lines = [
        f"bot CPU                 {run.cpu:.1f} s for {run.elapsed:.1f} s wall ({run.cpu * per:.0f} µs a message)"
    ]
    for name in ("claim", "render", "mark sent"):
        seconds = run.stages.seconds[name]
        lines.append(
            f"  {name:<21} {seconds * per:6.0f} µs a message   ({run.stages.calls[name]} calls, {seconds:.1f} s)"
        )
    lines.append(
        f"  {'PTB, httpx, loop':<21} {(run.cpu - known) * per:6.0f} µs a message   (the rest of the bot's CPU)"
    )
    lines.append(
        f"fake API CPU            {fake_cpu:.1f} s ({fake_cpu * per:.0f} µs a message, its own process)"
    )
    if run.stages.sends:
        lines.append(
            f"send, awaiting answer   {run.stages.send_wait / run.stages.sends * 1000:.1f} ms mean"
            " (limiter, connection pool, HTTP round trip, PTB decoding)"
        )
    return lines


@dataclass
class Settings:
    """One bench configuration, shared by the runs of each transport."""

    alerts: int
    api_rate: float
    limiter: float
    config: Config
    target: float
    in_flight: int
    unlimited: bool
    loop: str


def parse_settings() -> tuple[Settings, list[str]]:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--alerts", type=int, help="alerts, each to its own chat (default 10000; 20000 unlimited)"
    )
    parser.add_argument(
        "--rate", type=float, help="the fake API's overall limit, messages/s (default 30; 0 = none)"
    )
    parser.add_argument(
        "--limiter-rate", type=float, help=f"AIORateLimiter overall_max_rate (default {DEFAULT_RATE:g})"
    )
    parser.add_argument(
        "--in-flight",
        type=int,
        help="sends in flight (default: bot.app.in_flight_limit, as newsalert run keeps)",
    )
    parser.add_argument(
        "--unlimited",
        action="store_true",
        help="no limit in the fake or the limiter, paid broadcasts at 1,000/s (the bot's 334 sends in flight)",
    )
    parser.add_argument(
        "--transport",
        choices=("aiohttp", "httpx", "both"),
        default="aiohttp",
        help="the HTTP transport of sends: the bot's (aiohttp, default), PTB's default (httpx), or both in turn",
    )
    parser.add_argument(
        "--loop",
        choices=("uvloop", "asyncio"),
        default="uvloop",
        help="the event loop: the one `newsalert run` uses (uvloop, default) or asyncio's own",
    )
    args = parser.parse_args()
    unlimited = args.unlimited
    limiter = args.limiter_rate or (UNLIMITED_LIMITER if unlimited else DEFAULT_RATE)
    configured = PAID_MESSAGES_PER_SECOND if unlimited else min(limiter, 30.0)
    config = Config(telegram=TelegramConfig(messages_per_second=configured, paid_broadcast=unlimited))
    settings = Settings(
        alerts=args.alerts or (20_000 if unlimited else 10_000),
        api_rate=args.rate if args.rate is not None else (0.0 if unlimited else 30.0),
        limiter=limiter,
        config=config,
        target=1000.0 if unlimited else 28.5,
        in_flight=args.in_flight or in_flight_limit(config),
        unlimited=unlimited,
        loop=args.loop,
    )
    transports = ["aiohttp", "httpx"] if args.transport == "both" else [args.transport]
    return settings, transports


def bench_one(settings: Settings, transport: str) -> bool:
    """Deliver ``settings.alerts`` through ``transport`` against a fresh fake; print the figures; True if the
    run met the target with nothing lost or doubled."""
    alerts, api_rate, unlimited = settings.alerts, settings.api_rate, settings.unlimited
    proc, port = start_fake(api_rate)
    stages = Stages()
    claim_due, mark_sent = outbox.claim_due, outbox.mark_sent
    outbox.claim_due = stages.timed("claim", claim_due)  # type: ignore[assignment]
    outbox.mark_sent = stages.timed("mark sent", mark_sent)  # type: ignore[assignment]
    try:
        fake_cpu_started = process_cpu_seconds(proc.pid)
        with tempfile.TemporaryDirectory() as tmp:
            db_path = Path(tmp) / "bench.db"
            seed(db_path, alerts)
            print(
                f"== {transport}, {settings.loop}: {alerts} alerts to {alerts} chats; fake API limit {api_rate:g}/s"
                f"{' (none)' if not api_rate else ''}, AIORateLimiter {settings.limiter:g}/s, "
                f"{settings.in_flight} sends in flight, paid broadcast {'on' if unlimited else 'off'}",
                flush=True,
            )
            with asyncio.Runner(loop_factory=new_event_loop if settings.loop == "uvloop" else None) as runner:
                run = runner.run(
                    deliver(
                        port,
                        db_path,
                        settings.config,
                        settings.limiter,
                        alerts,
                        settings.in_flight,
                        stages,
                        transport,
                    )
                )
            db = connect(db_path)
            db_states = dict(db.execute("SELECT state, count(*) FROM deliveries GROUP BY state").fetchall())
            outbox_bytes = db.execute(
                "SELECT sum(pgsize) FROM dbstat WHERE name IN "
                "(SELECT name FROM sqlite_master WHERE tbl_name = 'deliveries')"
            ).fetchone()[0]
            db.conn.close()
        fake = httpx.get(f"http://127.0.0.1:{port}/_fake/stats", timeout=10).json()
        fake_cpu = process_cpu_seconds(proc.pid) - fake_cpu_started
    finally:
        outbox.claim_due, outbox.mark_sent = claim_due, mark_sent  # type: ignore[assignment]
        proc.terminate()
        proc.wait(timeout=10)

    span = (fake["last_sent_at"] or 0) - (fake["first_sent_at"] or 0)
    sustained = (fake["sent"] - 1) / span if span > 0 else 0.0
    lost = alerts - fake["chats"]
    recorded = db_states.get("sent", 0)
    print(f"sent (API accepted)     {fake['sent']}   (paid broadcasts {fake['paid_broadcasts']})")
    print(f"recorded as sent        {recorded}")
    print(f"wall time               {run.elapsed:.1f} s")
    print(f"sustained messages/s    {sustained:.2f}   (target >= {settings.target:g})")
    print(f"overall messages/s      {fake['sent'] / run.elapsed:.2f}   (including start-up burst and tail)")
    print(
        f"429 answers seen        {fake['too_many']}   (rate-limited rows requeued: {run.stats.rate_limited})"
    )
    print(f"lost                    {lost}")
    print(f"duplicates              {fake['chats_with_duplicates']}")
    print(f"outbox states           {db_states}")
    print(
        f"outbox on disk          {outbox_bytes / max(alerts, 1):.0f} bytes a sent alert (table and indexes)"
    )
    print(
        f"worst event-loop stall  {run.stall * 1000:.1f} ms   (timer lateness: includes CPU shared with the fake and GC)"
    )
    print(f"bot peak RSS            {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")
    for line in where_the_time_goes(run, fake["sent"], fake_cpu):
        print(line)
    print(f"load average            {' '.join(f'{x:.1f}' for x in os.getloadavg())}   (2 cores, shared)")
    ok = (
        lost == 0
        and fake["chats_with_duplicates"] == 0
        and recorded == alerts
        and sustained >= settings.target
        and (not unlimited or fake["paid_broadcasts"] == fake["sent"])
    )
    return ok


def main() -> int:
    settings, transports = parse_settings()
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"
    results = [bench_one(settings, transport) for transport in transports]
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
