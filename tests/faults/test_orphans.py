"""The parse pool's worker processes end with the bot, however it ends, and Ctrl-C prints no traceback from them.

They used to outlive every ``kill -9`` of ``newsalert run`` (and every test run that killed one) as orphans.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from tests.faults.botproc import REPO, BotProcess, wait_until, write_config
from tests.support.fake_telegram import FakeTelegram
from tests.support.feed_server import FeedServer

pytestmark = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")

FEED = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title><item><guid>1</guid>'
    b"<title>Harbour closed</title><description>The harbour is closed.</description></item></channel></rss>"
)


def alive(pid: int) -> bool:
    """The process exists and is not a zombie waiting to be reaped."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def pool_workers(parent: int) -> list[int]:
    """The pids of ``parent``'s parse-pool workers (spawned multiprocessing children)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
            cmdline = (entry / "cmdline").read_bytes()
        except OSError:
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == parent and b"spawn_main" in cmdline:
            found.append(int(entry.name))
    return found


def test_kill9_of_newsalert_run_leaves_no_parse_workers(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    with FakeTelegram() as fake, FeedServer() as server:
        config = write_config(
            tmp_path / "config.toml",
            base_url=fake.base_url,
            db_path=tmp_path / "bot.db",
            feeds=[(server.set("/wire.xml", FEED), "Wire")],
        )
        bot = BotProcess(config, fake.token, tmp_path / "bot.log")
        bot.start()
        try:
            assert bot.proc is not None
            workers = wait_until(lambda: pool_workers(bot.proc.pid), 60, "the parse pool to start", bot=bot)
            bot.kill9()
            wait_until(lambda: not any(map(alive, workers)), 10, f"workers {workers} to end after kill -9")
        finally:
            bot.cleanup()


def test_ctrl_c_of_newsalert_chat_is_quiet(tmp_path: Path) -> None:
    with FeedServer() as server:
        (tmp_path / "config.toml").write_text(
            '[storage]\npath = "bot.db"\n[polling]\ninterval_seconds = 1\n'
            f'[[feeds]]\nurl = "{server.set("/wire.xml", FEED)}"\nname = "Wire"\n'
        )
        env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
        env.update(PYTHONPATH=str(REPO), NO_PROXY="127.0.0.1,localhost", no_proxy="127.0.0.1,localhost")
        log = tmp_path / "chat.log"
        with log.open("wb") as out:
            chat = subprocess.Popen(
                [sys.executable, "-m", "bot", "chat"],
                cwd=tmp_path,
                env=env,
                stdin=subprocess.PIPE,  # kept open: the user has not pressed Ctrl-D
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group, as a terminal's foreground job has
            )
        try:
            workers = wait_until(lambda: pool_workers(chat.pid), 60, "the parse pool to start")
            os.killpg(chat.pid, signal.SIGINT)  # what Ctrl-C does: the whole group gets it, workers included
            assert chat.wait(timeout=30) == 0, log.read_text()
            wait_until(lambda: not any(map(alive, workers)), 10, f"workers {workers} to end")
        finally:
            if chat.poll() is None:
                chat.kill()
                chat.wait()
            assert chat.stdin is not None
            chat.stdin.close()
        output = log.read_text()
        assert "Traceback" not in output and "KeyboardInterrupt" not in output, output
