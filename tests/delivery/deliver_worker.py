"""A bot process that only delivers: what ``newsalert run`` does with its outbox, for the kill -9 tests.

    python -m tests.delivery.deliver_worker DB_PATH BASE_URL TOKEN

Requeues what a previous run left in flight, then sends until the queue is empty and exits 0.
"""

from __future__ import annotations

import asyncio
import sys

from telegram.ext import ApplicationBuilder

from alerts.delivery import Deliverer, rate_limiter, recover
from bot.aiohttp_request import AiohttpRequest
from storage import outbox
from storage.db import connect


async def main(db_path: str, base_url: str, token: str) -> None:
    db = connect(db_path)
    recover(db)
    app = (
        ApplicationBuilder()
        .token(token)
        .base_url(base_url)
        .rate_limiter(rate_limiter(200))
        .request(AiohttpRequest())
        .build()
    )
    async with app:
        deliverer = Deliverer(app.bot, db, backoff_base=0.05)
        while outbox.queue_depth(db):
            await deliverer.run_until_idle()
            await asyncio.sleep(0.01)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
