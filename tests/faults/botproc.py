"""``newsalert run`` as a real process for the fault suites: a config pointing at loopback servers, start, kill.

The bot is exactly what an operator runs (``python -m bot run --config ...``); only its Bot API (the fake) and its
feeds (the loopback feed server) are test doubles, and both are real HTTP servers on 127.0.0.1.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

REPO = Path(__file__).resolve().parents[2]
T = TypeVar("T")


def write_config(
    path: Path,
    *,
    base_url: str,
    db_path: Path,
    feeds: list[tuple[str, str]] = (),  # type: ignore[assignment]
    interval: int = 1,
    timeout: int = 5,
    messages_per_second: float = 25.0,
    admins: tuple[int, ...] = (),
    extra_telegram: str = "",
) -> Path:
    """A config.toml for a loopback bot; ``feeds`` is a list of (url, name)."""
    lines = [
        "[telegram]",
        f'base_url = "{base_url}"',
        f"messages_per_second = {messages_per_second}",
        f"admins = [{', '.join(str(a) for a in admins)}]",
        extra_telegram,
        "[storage]",
        f'path = "{db_path}"',
        "[polling]",
        f"interval_seconds = {interval}",
        f"timeout_seconds = {timeout}",
    ]
    for url, name in feeds:
        lines += ["[[feeds]]", f'url = "{url}"', f'name = "{name}"', f"interval_seconds = {interval}"]
    path.write_text("\n".join(lines) + "\n")
    return path


class BotProcess:
    """One ``newsalert run`` at a time, its output appended to ``log``."""

    def __init__(self, config: Path, token: str, log: Path) -> None:
        self.config = config
        self.log = log
        self.env = dict(
            os.environ,
            TELEGRAM_BOT_TOKEN=token,
            NO_PROXY="127.0.0.1,localhost",
            no_proxy="127.0.0.1,localhost",
            PYTHONPATH=str(REPO),
        )
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "bot", "run", "--config", str(self.config)],
                cwd=self.config.parent,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )

    def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=20)

    def terminate(self) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=30)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def cleanup(self) -> None:
        if self.alive():
            assert self.proc is not None
            self.proc.kill()
            self.proc.wait()


def wait_until(predicate: Callable[[], T], timeout: float, what: str, *, bot: BotProcess | None = None) -> T:
    """Poll ``predicate`` until truthy; fail naming ``what`` (and the bot's log tail) at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        result = predicate()
        if result:
            return result
        if bot is not None and not bot.alive() and bot.proc is not None:
            raise AssertionError(
                f"the bot exited ({bot.proc.returncode}) while waiting for {what}: {tail(bot)}"
            )
        if time.monotonic() > deadline:
            raise AssertionError(
                f"timed out after {timeout} s waiting for {what}" + (f": {tail(bot)}" if bot else "")
            )
        time.sleep(0.05)


def tail(bot: BotProcess, chars: int = 3000) -> str:
    return bot.log.read_text(errors="replace")[-chars:] if bot.log.exists() else ""


def delivery_ids(messages: list[Any]) -> list[int]:
    """The outbox row each alert came from, read from its Why button (``why:<delivery id>``)."""
    ids = []
    for message in messages:
        for button in message.buttons:
            data = button.get("callback_data", "")
            if data.startswith("why:"):
                ids.append(int(data[4:]))
    return ids
