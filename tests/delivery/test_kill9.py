"""kill -9 of a delivering process at random moments: nothing lost, duplicates only of messages in flight."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
from pathlib import Path

from storage.db import connect
from tests.delivery.conftest import seed

REPO = Path(__file__).resolve().parents[2]


def spawn(db_path: Path, fake) -> subprocess.Popen:
    env = dict(
        os.environ, NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost", PYTHONPATH=str(REPO)
    )
    return subprocess.Popen(
        [sys.executable, "-m", "tests.delivery.deliver_worker", str(db_path), fake.base_url, fake.token],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def test_repeated_kill9_loses_nothing_and_repeats_only_in_flight(fake, tmp_path):
    fake.rate = 100.0
    fake._reset_state()
    db_path = tmp_path / "kill.db"
    db = connect(db_path)
    chats = list(range(20_001, 20_301))
    seed(db, chats)
    rng = random.Random(4)
    in_flight_at_kills = 0
    kills = 0
    while True:
        proc = spawn(db_path, fake)
        if kills >= 6:
            assert proc.wait(timeout=60) == 0, proc.stderr.read().decode()
            break
        # Let it send for a while (it needs ~0.5 s to start), then kill it mid-burst.
        target = fake.stats.sent + rng.randint(10, 40)
        try:
            fake.wait_for(lambda t=target: fake.stats.sent >= t, timeout=20)
        except TimeoutError:
            proc.kill()
            raise AssertionError(f"worker stopped sending: {proc.stderr.read().decode()[-2000:]}") from None
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        kills += 1
        in_flight_at_kills += db.execute(
            "SELECT count(*) FROM deliveries WHERE state = 'sending'"
        ).fetchone()[0]
    assert in_flight_at_kills > 0  # the kills did land mid-burst
    counts = [len(fake.messages(chat)) for chat in chats]
    assert min(counts) == 1, "an alert was lost"
    duplicates = sum(c - 1 for c in counts)
    assert duplicates <= in_flight_at_kills
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert dict(db.execute("SELECT state, count(*) FROM deliveries GROUP BY state").fetchall()) == {
        "sent": 300
    }
