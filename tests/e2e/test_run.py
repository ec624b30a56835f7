"""``newsalert run`` as a real process against the fake Bot API and a loopback feed server.

One bot process (restarted once with ``kill -9``) goes through a user's whole story: subscribe, get an alert for an
article naming only towns in the region, not get one for an unrelated article, ask /why, survive a crash without
sending anything twice, stop writing to a user who blocked it, and exit 0 on SIGTERM.
"""

from __future__ import annotations

import email.utils
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from storage.db import connect
from tests.support.fake_telegram import FakeTelegram
from tests.support.feed_server import FeedServer

REPO = Path(__file__).resolve().parents[2]
USER = 7001
INTERVAL = 2

ZVECAN = (
    "Clashes in Zvecan and Leposavic",
    "Protesters gathered outside the municipal building in Zvecan on Monday, and police in Leposavic reported "
    "injuries after the crowd was dispersed. Peacekeepers stayed in the area overnight.",
)
UNRELATED = (
    "Wheat prices rise in Kansas",
    "Farmers in Kansas expect a smaller harvest this year after a dry spring, and wheat futures rose again.",
)
MITROVICA = (
    "Barricades near Mitrovica bridge",
    "Residents of Mitrovica put up barricades near the main bridge on Tuesday, local officials said.",
)
LEPOSAVIC = (
    "Leposavic mayor's office reopens",
    "The municipal office in Leposavic reopened on Wednesday after a week of protests.",
)


def rss(items: list[tuple[str, str, float]]) -> bytes:
    entries = "".join(
        f"<item><title>{escape(title)}</title><link>https://news.example/{abs(hash(title))}</link>"
        f"<guid>{abs(hash(title))}</guid><pubDate>{email.utils.formatdate(published)}</pubDate>"
        f"<description>{escape(text)}</description></item>"
        for title, text, published in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Loopback Wire</title>'
        f"<link>https://news.example/</link><description>test</description>{entries}</channel></rss>"
    ).encode()


class Feed:
    """The loopback feed, whose items the test adds one by one."""

    def __init__(self, server: FeedServer) -> None:
        self.server = server
        self.items: list[tuple[str, str, float]] = [
            ("Old news about harbours", "Nothing to see.", time.time() - 3600)
        ]
        self.publish()

    def add(self, item: tuple[str, str]) -> None:
        self.items.append((item[0], item[1], time.time()))
        self.publish()

    def publish(self) -> None:
        self.server.set("/wire.xml", rss(self.items))

    @property
    def url(self) -> str:
        return self.server.url("/wire.xml")


class BotProcess:
    def __init__(self, config: Path, env: dict[str, str], log: Path) -> None:
        self.config, self.env, self.log = config, env, log
        self.proc: subprocess.Popen | None = None

    def start(self) -> None:
        self.log_file = self.log.open("ab")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--config", str(self.config)],
            cwd=self.config.parent,
            env=self.env,
            stdout=self.log_file,
            stderr=subprocess.STDOUT,
        )

    def stop(self, sig: int) -> int:
        assert self.proc is not None
        self.proc.send_signal(sig)
        code = self.proc.wait(timeout=20)
        self.log_file.close()
        return code


def wait_until(predicate, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


@pytest.fixture
def world(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    with FakeTelegram(chat_burst=50) as fake, FeedServer() as server:
        feed = Feed(server)
        db_path = tmp_path / "bot.db"
        config = tmp_path / "config.toml"
        config.write_text(
            f'[telegram]\nbase_url = "{fake.base_url}"\n\n[storage]\npath = "{db_path}"\n\n'
            f"[polling]\ninterval_seconds = {INTERVAL}\ntimeout_seconds = 5\n\n"
            f'[[feeds]]\nurl = "{feed.url}"\nname = "Loopback Wire"\ninterval_seconds = {INTERVAL}\n'
        )
        env = dict(
            os.environ, TELEGRAM_BOT_TOKEN=fake.token, NO_PROXY="127.0.0.1,localhost", PYTHONPATH=str(REPO)
        )
        bot = BotProcess(config, env, tmp_path / "bot.log")
        yield fake, feed, bot, db_path
        if bot.proc is not None and bot.proc.poll() is None:
            bot.proc.kill()
            bot.proc.wait()


def alerts(fake: FakeTelegram, chat_id: int) -> list:
    return [
        m for m in fake.messages(chat_id) if any(b["callback_data"].startswith("why:") for b in m.buttons)
    ]


def matched(db_path: Path, title: str) -> bool:
    db = connect(db_path)
    try:
        row = db.execute("SELECT matched FROM articles WHERE title = ?", [title]).fetchone()
        return bool(row and row[0])
    finally:
        db.conn.close()


def subscriber_active(db_path: Path, chat_id: int) -> int:
    """The subscriber's `active` flag as the bot last stored it."""
    db = connect(db_path)
    try:
        return db.execute("SELECT active FROM subscribers WHERE chat_id = ?", [chat_id]).fetchone()[0]
    finally:
        db.conn.close()


def test_newsalert_run_end_to_end(world):
    fake, feed, bot, db_path = world
    bot.start()
    fake.wait_for_call("setmycommands", timeout=20)

    started = time.monotonic()
    fake.inject_message(USER, "/subscribe kosovo")
    [reply] = fake.wait_for_messages(USER, 1, timeout=5)
    assert time.monotonic() - started < 1.0, "/subscribe answers within a second"
    assert "Kosovo" in reply.text and "keyword:kosovo" in reply.text

    # An article naming only towns in Kosovo reaches the subscriber within the poll interval + 2 s.
    feed.add(ZVECAN)
    feed.add(UNRELATED)
    added = time.monotonic()
    wait_until(lambda: alerts(fake, USER), INTERVAL + 2, "the Zvecan alert")
    assert time.monotonic() - added <= INTERVAL + 2
    [alert] = alerts(fake, USER)
    assert ZVECAN[0] in alert.text and "Loopback Wire" in alert.text

    # The unrelated article was matched (by the same poll) and alerted nobody.
    wait_until(lambda: matched(db_path, UNRELATED[0]), 10, "the unrelated article to be matched")
    assert len(alerts(fake, USER)) == 1

    # /why in reply to the alert explains it.
    before = len(fake.messages(USER))
    fake.inject_message(USER, "/why", reply_to_message_id=alert.message_id)
    why = fake.wait_for_messages(USER, before + 1, timeout=5)[-1]
    assert "Your subscription kosovo matched" in why.text
    assert "Zve" in why.text or "Lepos" in why.text

    # kill -9, restart: the alert already sent is not sent again; a new article still arrives, once.
    bot.proc.kill()
    bot.proc.wait()
    bot.log_file.close()
    polls_before = len(feed.server.requests("/wire.xml"))
    bot.start()
    wait_until(
        lambda: len(feed.server.requests("/wire.xml")) >= polls_before + 2, 20, "two polls after restart"
    )
    assert len(alerts(fake, USER)) == 1
    feed.add(MITROVICA)
    wait_until(lambda: len(alerts(fake, USER)) == 2, INTERVAL + 4, "the Mitrovica alert")
    titles = [a.text.splitlines()[0] for a in alerts(fake, USER)]
    assert titles == [ZVECAN[0], MITROVICA[0]]

    # A user who blocked the bot gets one failed attempt, becomes inactive, and is not tried again.
    fake.block(USER)
    feed.add(LEPOSAVIC)
    wait_until(lambda: [c for c in fake.calls("sendMessage") if c.status == 403], 10, "the 403")
    # The 403 reaches the fake before the bot records it: wait for the record, not a fixed moment.
    wait_until(lambda: subscriber_active(db_path, USER) == 0, 10, "the blocked user to become inactive")
    feed.add(("Leposavic: roads reopen", "Roads around Leposavic reopened on Thursday."))
    wait_until(lambda: matched(db_path, "Leposavic: roads reopen"), 10, "the last article to be matched")
    attempts = [
        c for c in fake.calls("sendMessage") if str(c.params.get("chat_id")) == str(USER) and c.status == 403
    ]
    assert len(attempts) == 1

    # SIGTERM: clean exit 0, no traceback.
    assert bot.stop(signal.SIGTERM) == 0
    log = bot.log.read_text()
    assert "Traceback" not in log
    assert fake.token.split(":")[1] not in log, "the token never reaches the log"


def test_missing_token_is_one_line(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    env["PYTHONPATH"] = str(REPO)
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1
    assert "TELEGRAM_BOT_TOKEN" in result.stderr and "newsalert chat" in result.stderr


def test_refused_token_is_one_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    with FakeTelegram() as fake:
        config = tmp_path / "config.toml"
        config.write_text(
            f'[telegram]\nbase_url = "{fake.base_url}"\n[storage]\npath = "{tmp_path / "b.db"}"\n'
        )
        wrong = "42:AAWrongTokenWrongTokenWrongToken"
        env = dict(os.environ, TELEGRAM_BOT_TOKEN=wrong, NO_PROXY="127.0.0.1,localhost", PYTHONPATH=str(REPO))
        result = subprocess.run(
            [sys.executable, "-m", "bot", "run", "--config", str(config)],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert "AAWrongToken" not in result.stderr
    assert result.stderr.splitlines() == [
        "newsalert: Telegram refused the bot token in TELEGRAM_BOT_TOKEN; check it with @BotFather"
    ], "one line, as the README promises: no log line before it"


def test_sigint_stops_cleanly(world):
    fake, _feed, bot, _db_path = world
    bot.start()
    fake.wait_for_call("setmycommands", timeout=30)
    fake.inject_message(USER, "/start")
    fake.wait_for_messages(USER, 1, timeout=5)
    assert bot.stop(signal.SIGINT) == 0
    assert "Traceback" not in bot.log.read_text()
