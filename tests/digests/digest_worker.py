"""A bot process that only sends digests, as ``newsalert run`` does, for the kill -9 test.

    python -m tests.digests.digest_worker DB_PATH BASE_URL TOKEN

Requeues what a previous run left in flight, then sends every due digest until none is waiting, and exits 0.
"""

from __future__ import annotations

import asyncio
import sys

from telegram.ext import ApplicationBuilder

from alerts.delivery import Deliverer, rate_limiter, recover
from alerts.digests import DigestSender
from storage import digests as digest_store
from storage.db import connect


async def main(db_path: str, base_url: str, token: str) -> None:
    db = connect(db_path)
    recover(db)
    app = ApplicationBuilder().token(token).base_url(base_url).rate_limiter(rate_limiter(200)).build()
    async with app:
        digests = DigestSender(Deliverer(app.bot, db, backoff_base=0.05), part_interval=0.02)
        while digest_store.next_due_at(db) is not None:
            await digests.send_due()
            await asyncio.sleep(0.01)


if __name__ == "__main__":
    asyncio.run(main(*sys.argv[1:4]))
