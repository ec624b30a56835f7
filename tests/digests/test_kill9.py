"""kill -9 of a process sending digests at random moments: nothing lost, and only rows that were being sent at a
kill (the message in flight) can arrive twice."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import sqlite_utils

from storage import outbox
from storage.db import connect

REPO = Path(__file__).resolve().parents[2]
CHATS = list(range(30_001, 30_101))
STORIES = 12


def _insert(db: sqlite_utils.Database, table: str, row: dict) -> int:
    pk = db.table(table).insert(row).last_pk
    assert pk is not None
    return int(pk)


def seed(db_path: Path) -> None:
    """100 hourly-digest chats, each with the same 12 due stories (three messages' worth)."""
    db = connect(db_path)
    now = time.time()
    feed = _insert(db, "feeds", {"url": "https://news.example.org/rss", "name": "Example", "added_at": now})
    for chat in CHATS:
        _insert(db, "subscribers", {"chat_id": chat, "created_at": now - 86400, "digest": "hourly"})
    for n in range(STORIES):
        title = f"Story {n} " + "words " * 20
        story = _insert(db, "stories", {"first_seen": now, "last_seen": now, "title": title})
        article = _insert(
            db,
            "articles",
            {
                "feed_id": feed,
                "guid_hash": f"g{n}",
                "url": f"https://news.example.org/{n}?" + "&".join(f"k{i}=value{i}" for i in range(40)),
                "title": title,
                "published": now - n,
                "first_seen": now,
                "story_id": story,
            },
        )
        for chat in CHATS:
            outbox.enqueue(
                db,
                chat,
                story,
                article,
                explanation=json.dumps({"subscription": "story"}),
                mode="digest",
                next_attempt_at=now - 1,
                now=now - 600,
            )
    db.conn.close()


def spawn(db_path: Path, fake) -> subprocess.Popen:
    env = dict(
        os.environ, NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost", PYTHONPATH=str(REPO)
    )
    return subprocess.Popen(
        [sys.executable, "-m", "tests.digests.digest_worker", str(db_path), fake.base_url, fake.token],
        cwd=REPO,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def stories_seen(fake, chat: int) -> Counter:
    """Story numbers in the chat's messages, counted (a story shown twice counts 2)."""
    return Counter(
        int(line.split()[2])
        for m in fake.messages(chat)
        for line in m.text.splitlines()
        if line.startswith("• Story ")
    )


def test_repeated_kill9_loses_no_digest_story_and_repeats_only_rows_in_flight(fake, tmp_path):
    fake.rate = 300.0
    fake._reset_state()
    db_path = tmp_path / "kill.db"
    seed(db_path)
    db = connect(db_path)
    rng = random.Random(9)
    in_flight: set[tuple[int, int]] = set()  # (chat, story number) of rows left 'sending' by a kill
    kills = 0
    caught: Counter = Counter()  # chat -> kills that found its digest being sent
    while True:
        proc = spawn(db_path, fake)
        if kills >= 5:
            assert proc.wait(timeout=60) == 0, proc.stderr.read().decode()
            break
        target = fake.stats.sent + rng.randint(5, 30)
        try:
            fake.wait_for(lambda t=target: fake.stats.sent >= t, timeout=20)
        except TimeoutError:
            proc.kill()
            raise AssertionError(f"worker stopped sending: {proc.stderr.read().decode()[-2000:]}") from None
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
        kills += 1
        sending = {
            (chat, int(title.split()[1]))
            for chat, title in db.execute(
                "SELECT d.chat_id, a.title FROM deliveries d JOIN articles a ON a.id = d.article_id "
                "WHERE d.state = 'sending'"
            )
        }
        in_flight |= sending
        caught.update({chat for chat, _ in sending})
    assert in_flight, "the kills did land mid-digest"
    repeated = set()
    for chat in CHATS:
        seen = stories_seen(fake, chat)
        assert set(seen) == set(range(STORIES)), f"chat {chat} lost a story"
        repeated |= {(chat, story) for story, count in seen.items() if count > 1}
    assert repeated <= in_flight, "only stories that were in flight at a kill may arrive twice"
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert dict(db.execute("SELECT state, count(*) FROM deliveries GROUP BY state").fetchall()) == {
        "sent": len(CHATS) * STORIES
    }
    # A digest is three messages; each kill that caught a chat's digest mid-way may have cost it one more.
    whole = Counter(len(fake.messages(chat)) for chat in CHATS if not caught[chat])
    assert set(whole) == {3}
    assert all(len(fake.messages(chat)) <= 3 + caught[chat] for chat in CHATS)
