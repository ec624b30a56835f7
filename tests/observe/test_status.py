"""``newsalert status``: the health a person (or a container's health command) reads from the database."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from pathlib import Path
from types import SimpleNamespace

import pytest

from bot.cli import main
from bot.config import Config, StorageConfig
from bot.monitoring import Monitoring
from handlers.context import DbWorker
from storage import feeds as feed_store
from storage import health as db_health
from storage.db import _v7, connect


def config_for(tmp_path: Path, db_path: Path) -> str:
    config = tmp_path / "status.toml"
    config.write_text(f'[storage]\npath = "{db_path}"\n')
    return str(config)


def status(config: str, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str]:
    code = main(["status", "--config", config, *extra])
    return code, capsys.readouterr().out


def test_no_database_is_unhealthy_and_creates_nothing(tmp_path: Path, capsys) -> None:
    db_path = tmp_path / "missing.db"
    code, out = status(config_for(tmp_path, db_path), capsys)
    assert code == 1
    assert out.startswith(f"newsalert: NOT HEALTHY: no database at {db_path}")
    assert not db_path.exists()


def test_a_database_no_bot_ever_ran_on_is_unhealthy(tmp_path: Path, capsys) -> None:
    db_path = tmp_path / "bot.db"
    connect(db_path).conn.close()
    code, out = status(config_for(tmp_path, db_path), capsys)
    assert (code, out.splitlines()[0]) == (
        1,
        "newsalert: NOT HEALTHY: the bot has never run on this database",
    )


def beat(db_path: Path, *, age: float = 0.0, healthy: bool = True, reason: str = "ok") -> None:
    db = connect(db_path)
    now = time.time()
    db_health.write_heartbeat(
        db,
        pid=1234,
        started_at=now - 3600,
        now=now - age,
        healthy=healthy,
        reason=reason,
        telegram_ok_at=now - age - 2,
        poll_ran_at=now - age - 1,
    )
    db.conn.close()


def test_a_stale_heartbeat_means_the_bot_stopped_or_hangs(tmp_path: Path, capsys) -> None:
    db_path = tmp_path / "bot.db"
    beat(db_path, age=180)
    code, out = status(config_for(tmp_path, db_path), capsys)
    assert code == 1
    assert (
        out.splitlines()[0]
        == "newsalert: NOT HEALTHY: no heartbeat from the bot for 3 min: it stopped or hangs"
    )


def test_the_bot_s_own_verdict_and_a_clean_stop_are_reported(tmp_path: Path, capsys) -> None:
    db_path = tmp_path / "bot.db"
    config = config_for(tmp_path, db_path)
    beat(db_path, healthy=False, reason="no answer from Telegram for 120 s")
    assert (
        status(config, capsys)[1].splitlines()[0]
        == "newsalert: NOT HEALTHY: no answer from Telegram for 120 s"
    )
    beat(db_path)
    assert status(config, capsys)[0] == 0
    db = connect(db_path)
    db_health.mark_stopped(db, pid=1234, now=time.time() - 5)
    db.conn.close()
    code, out = status(config, capsys)
    assert (code, out.splitlines()[0]) == (
        1,
        "newsalert: NOT HEALTHY: the bot is not running (stopped 5 s ago)",
    )


def test_the_table_shows_feeds_outbox_subscribers_and_the_worst_feeds(tmp_path: Path, capsys) -> None:
    db_path = tmp_path / "bot.db"
    beat(db_path)
    db = connect(db_path)
    feed_store.add_feed(db, "http://127.0.0.1:9/ok.xml", name="Fine")
    bad = feed_store.add_feed(db, "http://127.0.0.1:9/bad.xml", name="Bad\x1b[31m feed")
    for _ in range(4):
        feed_store.record_failure(db, bad, now=time.time(), error="HTTP 500", next_check_at=time.time() + 60)
    db.conn.close()
    code, out = status(config_for(tmp_path, db_path), capsys)
    assert code == 0
    lines = out.splitlines()
    assert lines[0] == "newsalert: healthy"
    assert any(line.startswith("bot            running, pid 1234, started 60 min ago") for line in lines)
    assert "feeds          1 ok, 1 failing; last poll " in out
    assert "  failing      Bad [31m feed: 4 errors in a row, last: HTTP 500" in out, "no terminal escapes"
    assert "outbox         pending 0, sending 0, sent 0, failed 0, dropped 0" in out
    assert "subscribers    0 active (0 paused), 0 inactive" in out
    assert f"database       {db_path} (" in out
    code, out = status(config_for(tmp_path, db_path), capsys, "--json")
    report = json.loads(out)
    assert code == 0 and report["healthy"] is True and report["reason"] == "ok"
    assert report["feeds_failing"] == 1 and report["worst_feeds"][0]["error_count"] == 4
    assert report["outbox"] == {"pending": 0, "sending": 0, "sent": 0, "failed": 0, "dropped": 0}
    assert report["database_bytes"] > 0 and report["heartbeat"]["pid"] == 1234


async def test_status_of_a_running_bot_is_healthy(start_bot, tmp_path: Path, capsys) -> None:
    bot = await start_bot()
    config = config_for(tmp_path, Path(bot.app.bot_data["config"].storage.path))
    deadline = time.monotonic() + 30
    while await asyncio.to_thread(main, ["status", "--config", config]) != 0:
        assert time.monotonic() < deadline, capsys.readouterr().out
        await asyncio.sleep(0.2)
    out = capsys.readouterr().out.split("newsalert: ")[-1]
    assert out.startswith("healthy\n")
    assert "telegram       last answer " in out and "feed loop      last ran " in out


async def test_a_heartbeat_that_cannot_be_written_is_said_once_and_recovers(tmp_path: Path, caplog) -> None:
    db_path = tmp_path / "bot.db"
    monitoring = Monitoring.for_config(Config(storage=StorageConfig(path=str(db_path))))
    worker = DbWorker(db_path)
    context = SimpleNamespace(application=SimpleNamespace(bot_data={"services": SimpleNamespace(db=worker)}))
    try:
        await worker.run(lambda db: db.execute("DROP TABLE heartbeat"))
        caplog.set_level(logging.INFO, logger="bot.monitoring")
        for _ in range(3):
            await monitoring.beat(context)  # type: ignore[arg-type]
        await worker.run(_v7)
        await monitoring.beat(context)  # type: ignore[arg-type]
        assert [(r.levelname, r.getMessage().split(":")[0]) for r in caplog.records] == [
            ("WARNING", "cannot write the heartbeat (newsalert status will say the bot hangs)"),
            ("INFO", "the heartbeat is written again"),
        ]
        row = await worker.run(db_health.read_heartbeat)
        assert row is not None and row["pid"] == os.getpid()
    finally:
        worker.close()
