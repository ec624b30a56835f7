"""``newsalert chat`` as a process: typed lines in, readable answers out, exit 0 when input ends."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_chat_answers_piped_lines_then_exits(tmp_path: Path):
    (tmp_path / "config.toml").write_text('[storage]\npath = "bot.db"\n')
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    env["PYTHONPATH"] = str(REPO)
    result = subprocess.run(
        [sys.executable, "-m", "bot", "chat"],
        cwd=tmp_path,
        env=env,
        input="/start\n/subscribe kosovo\n/list\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    out = result.stdout
    assert "Hi! I watch the news" in out
    assert "Subscribed to kosovo" in out and "Kosovo" in out
    assert "1. kosovo" in out and "[1] ✖ 1" in out
    assert out.index("Subscribed to kosovo") < out.index("1. kosovo")
    assert (tmp_path / "bot.chat.db").exists() and not (tmp_path / "bot.db").exists(), "chat keeps its own db"


def _chat(tmp_path: Path, lines: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run(
        [sys.executable, "-m", "bot", "chat"],
        cwd=tmp_path,
        env=env,
        input=lines,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_chat_restarted_on_the_same_database_answers_at_once(tmp_path: Path):
    """The bot skips update ids it has handled (for a day): a second session must not reuse the first's."""
    (tmp_path / "config.toml").write_text('[storage]\npath = "bot.db"\n')
    first = _chat(tmp_path, "/subscribe kosovo\n/start\n")
    assert first.returncode == 0, first.stderr
    assert "Subscribed to kosovo" in first.stdout
    second = _chat(tmp_path, "/list\n/subscribe ukraine\n")
    assert second.returncode == 0, second.stderr
    assert "1. kosovo" in second.stdout, "the first line of the second session is answered"
    assert "Subscribed to ukraine" in second.stdout


def test_piped_input_is_echoed_before_each_answer(tmp_path: Path):
    (tmp_path / "config.toml").write_text('[storage]\npath = "bot.db"\n')
    result = _chat(tmp_path, "/subscribe kosovo\n/list\n1\n")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    marks = [
        "> /subscribe kosovo",
        "Subscribed to kosovo",
        "> /list",
        "1. kosovo",
        "> 1 (✖ 1)",
        "── answer: Removed",
    ]
    positions = [out.find(mark) for mark in marks]
    assert -1 not in positions and positions == sorted(positions), out


def test_chat_shows_an_export_file(tmp_path: Path):
    """/export sends a file: the terminal prints its name and what it holds rather than refusing it."""
    (tmp_path / "config.toml").write_text('[storage]\npath = "bot.db"\n')
    result = _chat(tmp_path, '/subscribe "tear gas"\n/silent 1 on\n/export\n')
    assert result.returncode == 0, result.stderr
    assert "[file newsalert-subscriptions.txt]" in result.stdout
    assert '[silent] "tear gas"' in result.stdout and "/import" in result.stdout
    assert "not available in newsalert chat" not in result.stdout + result.stderr
