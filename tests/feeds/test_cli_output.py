"""What the CLI prints when its output goes to a reader that stops early, and when its input is not text."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from storage import feeds as feed_store
from storage.db import connect
from tests.feeds.conftest import REAL_FEEDS, REPO_ROOT
from tests.feeds.test_cli import run_cli, write_config
from tests.support.feed_server import FeedServer

ENV = dict(os.environ, NO_PROXY="127.0.0.1,localhost", PYTHONPATH=str(REPO_ROOT))


def run_into_closed_pipe(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run ``python -m bot ARGS`` with stdout a pipe whose reader is gone before the first byte is written."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return subprocess.run(
            [sys.executable, "-m", "bot", *args],
            cwd=cwd,
            env=ENV,
            stdout=write_end,
            stderr=subprocess.PIPE,
            text=True,
            timeout=120,
        )
    finally:
        os.close(write_end)


def many_feeds(tmp_path: Path, count: int) -> None:
    """``count`` feeds in write_config's database (never polled: they are only listed)."""
    db = connect(tmp_path / "news.db")
    for n in range(count):
        feed_store.add_feed(db, f"https://feeds{n}.example.org/rss.xml", name=f"Feed number {n}")
    db.conn.close()


def test_feeds_list_into_head_ends_quietly(tmp_path: Path) -> None:
    config = write_config(tmp_path)
    many_feeds(tmp_path, 3000)  # far more than a pipe holds, so `head` is gone before the end
    result = subprocess.run(
        f"{sys.executable} -m bot feeds list --config {config} | head -1; echo status=${{PIPESTATUS[0]}}",
        shell=True,
        executable="/bin/bash",
        cwd=tmp_path,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.stdout.startswith("  ID  STATUS") and result.stdout.count("\n") == 2
    assert result.stdout.rstrip().rsplit("\n", 1)[-1] in ("status=0", "status=141")
    assert "Traceback" not in result.stderr and "BrokenPipeError" not in result.stderr, result.stderr


@pytest.mark.parametrize(
    "args",
    [
        ("feeds", "list", "--config", "config.toml"),
        ("feeds", "export", "--config", "config.toml"),
        ("match", "kosovo", "--text", "Protests in Zvečan."),
        ("poll", "--once", "--json", "--config", "config.toml"),
    ],
    ids=["feeds-list", "feeds-export", "match", "poll-json"],
)
def test_output_into_a_closed_pipe_ends_quietly(
    tmp_path: Path, feed_server: FeedServer, args: tuple[str, ...]
) -> None:
    url = feed_server.set_file("/npr.xml", REAL_FEEDS / "kagi_npr_world.xml")
    write_config(tmp_path, (url, "NPR World"))
    many_feeds(tmp_path, 50)
    result = run_into_closed_pipe(*args, cwd=tmp_path)
    assert result.returncode in (0, 141), result.stderr
    assert "Traceback" not in result.stderr and "BrokenPipeError" not in result.stderr, result.stderr


@pytest.mark.parametrize(
    ("content", "reason"),
    [(bytes(range(256)) * 4, "holds binary data"), ("Café au lait.".encode("latin-1"), "is not UTF-8 text")],
    ids=["binary", "latin-1"],
)
@pytest.mark.parametrize("command", [("summarize",), ("match", "kosovo")])
def test_a_file_that_is_not_text_is_refused_in_one_line(
    tmp_path: Path, content: bytes, reason: str, command: tuple[str, ...]
) -> None:
    binary = tmp_path / "picture.jpg"
    binary.write_bytes(content)
    result = run_cli(*command, "--file", str(binary), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == f"newsalert: {binary} is not a text file (it {reason})\n"


def test_summarize_still_reads_utf8_text_from_a_file_and_stdin(tmp_path: Path) -> None:
    text = tmp_path / "article.txt"
    text.write_text("Protesters gathered in Zvečan on Monday. Police dispersed them.", "utf-8")
    from_file = run_cli("summarize", "--file", str(text), cwd=tmp_path)
    assert from_file.returncode == 0 and "Zvečan" in from_file.stdout
    from_stdin = subprocess.run(
        [sys.executable, "-m", "bot", "summarize", "--file", "-"],
        input=text.read_bytes(),
        cwd=tmp_path,
        env=ENV,
        capture_output=True,
        timeout=60,
    )
    assert from_stdin.returncode == 0 and "Zvečan" in from_stdin.stdout.decode()
