"""Ingest benchmark: N copies of the real feeds served from loopback, three poll cycles, figures printed.

    python bench/ingest.py [--feeds 10000] [--gzip] [--concurrency 50]

Copy i of a feed has its item links made unique (``?copy=i``), so copies stand for different feeds rather
than 10,000 reports of the same story, and the items a copy gains are its own stories. Cycles: *first* (every item
new), *changed* (every feed gained 2 items; the rest is already stored, as a busy
5-minute cycle looks), *unchanged* (every feed answers 304). For each: wall time, feeds/s, new items/s, and the
peak RSS of the bot's side (this process plus its parse workers; the feed server runs in its own process and is
not counted, though it shares the machine's cores). Targets on a 2-core machine: changed ≤ 90 s, unchanged
≤ 15 s, peak RSS ≤ 1 GB.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from bot.config import Config, PollingConfig  # noqa: E402
from feeds import ingest  # noqa: E402
from feeds.ingest import poll_once, shutdown_parse_pool  # noqa: E402
from storage.db import connect  # noqa: E402

SHARED = REPO_ROOT.parent / "shared"


def rss_kb(pid: int) -> int:
    """Resident memory of process ``pid`` in kB (Linux), 0 once it is gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            for line in status:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def _cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            found.append(int(entry))
    return found


class PeakRss:
    """Samples the RSS of this process and its children (minus the feed server) every 100 ms; keeps the peak sum.

    Also counts the CPU seconds those processes used, which (unlike wall time) does not depend on what else the
    machine is running.
    """

    def __init__(self, exclude: set[int]) -> None:
        self.exclude = exclude
        self.peak_kb = 0
        self.cpu_start: dict[int, float] = {}
        self.cpu_seconds = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        me = os.getpid()
        while not self._stop.is_set():
            pids = [me, *(p for p in _children(me) if p not in self.exclude)]
            self.peak_kb = max(self.peak_kb, sum(rss_kb(p) for p in pids))
            self._stop.wait(0.1)

    def _pids(self) -> list[int]:
        me = os.getpid()
        return [me, *(p for p in _children(me) if p not in self.exclude)]

    def __enter__(self) -> PeakRss:
        self.cpu_start = {pid: _cpu_seconds(pid) for pid in self._pids()}
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join()
        self.cpu_seconds = sum(_cpu_seconds(pid) - self.cpu_start.get(pid, 0.0) for pid in self._pids())


class StoryClock:
    """Time spent in storage.stories.assign_stories (the stories helper's grouping), reported on its own line."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._real = ingest.stories.assign_stories

    def install(self) -> None:
        real = self._real

        def timed(db, article_ids, now=None):  # type: ignore[no-untyped-def]
            started = time.perf_counter()
            try:
                return real(db, article_ids, now)
            finally:
                self.seconds += time.perf_counter() - started

        ingest.stories.assign_stories = timed  # type: ignore[assignment]


STORY_CLOCK = StoryClock()


def start_server(gzip: bool) -> tuple[subprocess.Popen[str], str]:
    command = [sys.executable, "-m", "tests.support.feed_server", "--mirror", str(SHARED / "feeds" / "real")]
    if gzip:
        command.append("--gzip")
    server = subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    base_url = server.stdout.readline().strip()
    if not base_url.startswith("http://"):
        server.kill()
        raise SystemExit("feed server did not start")
    return server, base_url


def progress_printer(label: str):  # type: ignore[no-untyped-def]
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if sys.stderr.isatty() and (now - last[0] > 0.5 or done == total):
            last[0] = now
            sys.stderr.write(f"\r  {label}: {done}/{total} feeds")
            if done == total:
                sys.stderr.write("\r\033[K")
            sys.stderr.flush()

    return progress


async def run_cycle(label: str, db, config: Config, server_pid: int) -> dict[str, float]:  # type: ignore[no-untyped-def]
    STORY_CLOCK.seconds = 0.0
    with PeakRss(exclude={server_pid}) as peak:
        started = time.perf_counter()
        result = await poll_once(db, config, only_due=False, progress=progress_printer(label))
        elapsed = time.perf_counter() - started
    figures = {
        "seconds": elapsed,
        "feeds": result.feeds_polled,
        "new": len(result.new_article_ids),
        "unchanged": result.feeds_not_modified,
        "failed": result.feeds_failed,
        "peak_mb": peak.peak_kb / 1024,
        "cpu": peak.cpu_seconds,
    }
    print(
        f"{label:10} {elapsed:7.1f} s  {result.feeds_polled / elapsed:8.0f} feeds/s  "
        f"{len(result.new_article_ids) / elapsed:8.0f} new items/s  ({len(result.new_article_ids)} new, "
        f"{result.feeds_not_modified} unchanged, {result.feeds_failed} failed)  peak RSS {peak.peak_kb / 1024:.0f} MB"
        f"  CPU {peak.cpu_seconds:.1f} s",
        flush=True,
    )
    print(
        f"{'':10} of which story grouping (storage.stories.assign_stories): {STORY_CLOCK.seconds:.1f} s",
        flush=True,
    )
    if result.errors:
        sample = sorted(set(result.errors.values()))[:3]
        print(f"           errors, e.g.: {sample}", flush=True)
    return figures


async def main_async(args: argparse.Namespace) -> int:
    os.environ.setdefault("NO_PROXY", "127.0.0.1,localhost")
    STORY_CLOCK.install()
    server, base_url = start_server(args.gzip)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            db = connect(Path(tmp) / "bench.db")
            now = time.time()
            with db.conn:
                db.conn.executemany(
                    "INSERT INTO feeds (url, name, next_check_at, added_at) VALUES (?, ?, 0, ?)",
                    [(f"{base_url}/mirror/{i}.xml", f"copy {i}", now) for i in range(args.feeds)],
                )
            config = Config(
                polling=PollingConfig(
                    timeout_seconds=args.timeout, max_body_bytes=5_000_000, max_concurrency=args.concurrency
                )
            )
            print(
                f"{args.feeds} feeds (copies of {len(list((SHARED / 'feeds' / 'real').glob('*.xml')))} real feeds), "
                f"gzip={'on' if args.gzip else 'off'}, concurrency {args.concurrency}, {os.cpu_count()} CPUs",
                flush=True,
            )
            await run_cycle("first", db, config, server.pid)
            urllib.request.urlopen(urllib.request.Request(f"{base_url}/_control/bump", method="POST")).read()
            await run_cycle("changed", db, config, server.pid)
            await run_cycle("unchanged", db, config, server.pid)
            articles = db.execute("SELECT count(*) FROM articles").fetchone()[0]
            size = sum(f.stat().st_size for f in Path(tmp).iterdir()) / 1e6
            print(f"stored {articles} articles, database {size:.0f} MB", flush=True)
            print(
                f"load average at the end: {os.getloadavg()[0]:.1f} (others' work on this machine slows wall times)"
            )
    finally:
        shutdown_parse_pool()
        server.terminate()
        server.wait(timeout=10)
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--feeds", type=int, default=10_000)
    parser.add_argument("--gzip", action="store_true", help="the server gzips its answers")
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--timeout", type=int, default=60)
    return asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    sys.exit(main())
