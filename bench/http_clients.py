"""Where delivery's HTTP time goes: the same sendMessage POSTs to the fake Bot API through PTB (httpx, as the bot
sends), through httpx alone, and through aiohttp (the ``bench`` extra; skipped if it is not installed).

    python bench/http_clients.py                 # 2,000 requests each, 8 and 64 at once
    python bench/http_clients.py --requests 5000 --concurrency 8 64 334

Prints requests/s and the client's CPU per request (the fake runs in its own process, with no limit). It backs
the finding in bench/README.md that httpx's connection pool, not the outbox, is most of a send's CPU, and that
its cost grows with the requests in flight.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx
from telegram.ext import ApplicationBuilder

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from tests.support.fake_telegram import DEFAULT_TOKEN  # noqa: E402

TEXT = "<b>Clashes near Zvečan &amp; Leposavić</b>\nNATO-led KFOR peacekeepers were injured. " * 3


def start_fake() -> tuple[subprocess.Popen[str], int]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tests.support.fake_telegram", "--port", "0", "--rate", "0"],
        cwd=REPO,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    return proc, int(proc.stdout.readline().split()[1])


async def measure(
    send: Callable[[int], Awaitable[None]], requests: int, concurrency: int
) -> tuple[float, float]:
    """(requests/s, client CPU µs a request) for ``requests`` sends, ``concurrency`` at once."""
    gate = asyncio.Semaphore(concurrency)

    async def one(n: int) -> None:
        async with gate:
            await send(n)

    started, cpu = time.perf_counter(), time.process_time()
    await asyncio.gather(*(one(n) for n in range(requests)))
    return requests / (time.perf_counter() - started), 1e6 * (time.process_time() - cpu) / requests


async def ptb(port: int, requests: int, concurrency: int, first: int) -> tuple[float, float]:
    app = (
        ApplicationBuilder()
        .token(DEFAULT_TOKEN)
        .base_url(f"http://127.0.0.1:{port}/bot")
        .connection_pool_size(max(256, concurrency))
        .build()
    )
    async with app:

        async def send(n: int) -> None:
            await app.bot.send_message(first + n, TEXT, parse_mode="HTML")

        return await measure(send, requests, concurrency)


async def raw_httpx(port: int, requests: int, concurrency: int, first: int) -> tuple[float, float]:
    url = f"http://127.0.0.1:{port}/bot{DEFAULT_TOKEN}/sendMessage"
    async with httpx.AsyncClient(limits=httpx.Limits(max_connections=max(256, concurrency))) as client:

        async def send(n: int) -> None:
            data = {"chat_id": str(first + n), "text": TEXT, "parse_mode": "HTML"}
            json.loads((await client.post(url, data=data)).content)

        return await measure(send, requests, concurrency)


async def raw_aiohttp(port: int, requests: int, concurrency: int, first: int) -> tuple[float, float]:
    import aiohttp

    url = f"http://127.0.0.1:{port}/bot{DEFAULT_TOKEN}/sendMessage"
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=max(256, concurrency))) as session:

        async def send(n: int) -> None:
            data = {"chat_id": str(first + n), "text": TEXT, "parse_mode": "HTML"}
            async with session.post(url, data=data) as response:
                json.loads(await response.read())

        return await measure(send, requests, concurrency)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[8, 64])
    args = parser.parse_args()
    os.environ["NO_PROXY"] = os.environ["no_proxy"] = "127.0.0.1,localhost"
    clients = {"PTB (httpx)": ptb, "httpx": raw_httpx}
    try:
        import aiohttp  # noqa: F401

        clients["aiohttp"] = raw_aiohttp
    except ImportError:
        print("aiohttp not installed: measuring PTB and httpx only")
    proc, port = start_fake()
    first = 100_000
    try:
        for concurrency in args.concurrency:
            for name, client in clients.items():
                rate, cpu = asyncio.run(client(port, args.requests, concurrency, first))
                first += args.requests  # fresh chats: the fake keeps every message
                print(
                    f"{name:<12} {concurrency:>4} at once  {rate:7.0f} requests/s  {cpu:6.0f} µs CPU a request"
                )
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    print(f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())} (2 cores, shared)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
