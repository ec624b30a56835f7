"""Telegram answering slowly must not let a chat's next alert arrive early, nor two at once.

The sender paces each chat (one alert per ``per_chat_interval``); Telegram counts a message when it gets it. A send
that waits on the network or in the rate limiter must not eat into the next one's interval: paced from the start
of a slow send, the next alert reached the fake less than the interval later and drew a 429, and once the wait
outlasted the interval the next alert went while the first was still in flight and overtook it.
"""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import pytest

from alerts.delivery import Deliverer
from storage import outbox
from storage.db import connect
from tests.delivery.conftest import build_app, seed
from tests.support.fake_telegram import FakeTelegram

CHAT = 2001
INTERVAL = 0.3


@pytest.mark.parametrize("delay", [0.15, 0.6], ids=["slower-than-half", "slower-than-the-interval"])
async def test_a_slow_answer_does_not_let_the_next_alert_to_that_chat_arrive_early(
    delay: float, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    db = connect(tmp_path / "bot.db")
    with FakeTelegram(chat_burst=1, chat_rate=1 / INTERVAL) as fake:
        titles = ["First alert", "Second alert", "Third alert"]
        for title in titles:
            seed(db, [CHAT], title=title)
        # Telegram takes the first message after `delay` and answers (within the client's 1 s read timeout).
        fake.delay_next(1, delay, process=True, methods=["sendMessage"])
        async with build_app(fake) as app:
            deliverer = Deliverer(app.bot, db, per_chat_interval=INTERVAL, backoff_base=0.05)
            deadline = time.monotonic() + 20
            while outbox.queue_depth(db):
                assert time.monotonic() < deadline, "queue not drained"
                await deliverer.run_until_idle()
                await asyncio.sleep(0.02)
        answered = [c for c in fake.calls("sendMessage") if c.status == 200]
        assert fake.stats.too_many == 0, [(c.status, c.description) for c in fake.calls("sendMessage")]
        assert [m.text.split("\n")[0] for m in fake.messages(CHAT)] == titles
        gaps = [b.at - a.at for a, b in zip(answered, answered[1:], strict=False)]
        assert min(gaps) >= INTERVAL, gaps
    db.conn.close()
