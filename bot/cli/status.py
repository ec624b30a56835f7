"""``newsalert status``: is the bot healthy, read from its database, as a table (or one JSON object).

It runs in its own process beside the bot (an operator at the terminal, a container's health command), so it
reads what the bot leaves in the database: its heartbeat row (the verdict ``/healthz`` gives, written every few
seconds) and the counts ``/metrics`` shows. It opens the database read-only: looking never creates, migrates or
locks anything. Exit status 0 when healthy, 1 when not.

``python -m bot.cli.status`` is the same command without loading the rest of the command line (the bot, numba):
it answers in a fraction of a second instead of seconds, which matters for a health command with a timeout on a
busy host. The Dockerfile's HEALTHCHECK uses it.
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import time
import unicodedata
from pathlib import Path
from typing import Any

from bot.cli.common import add_config_option
from bot.config import ConfigError, load_config
from bot.health import ago, judge_heartbeat
from storage import health as db_health


def register(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    status = sub.add_parser("status", help="the bot's health from its database; exit 0 healthy, 1 not")
    add_config_option(status)
    status.add_argument("--json", action="store_true", help="one JSON object instead of the table")
    status.set_defaults(func=cmd_status)


def gather(path: str, now: float | None = None) -> dict[str, Any]:
    """Everything the status shows, with ``healthy`` and ``reason``; never raises for an unusable database."""
    now = time.time() if now is None else now
    report: dict[str, Any] = {"database": path, "healthy": False}
    if not Path(path).exists():
        report["reason"] = f"no database at {path}"
        return report
    try:
        db = db_health.open_read_only(path)
        try:
            heartbeat = db_health.read_heartbeat(db)
            report.update(db_health.snapshot(db))
        finally:
            db.close()
    except sqlite3.Error as error:
        report["reason"] = f"cannot read the database {path}: {error}"
        return report
    report["database_bytes"] = db_health.database_bytes(path)
    report["heartbeat"] = heartbeat
    report["healthy"], report["reason"] = judge_heartbeat(heartbeat, now)
    return report


def cmd_status(args: argparse.Namespace) -> int:
    config = load_config(args.config)
    report = gather(config.storage.path)
    print(json.dumps(report, ensure_ascii=False) if args.json else render(report))
    return 0 if report["healthy"] else 1


def render(report: dict[str, Any], now: float | None = None) -> str:
    """The table for a person at the terminal."""
    verdict = "healthy" if report["healthy"] else f"NOT HEALTHY: {report['reason']}"
    lines = [f"newsalert: {verdict}", ""]
    rows: list[tuple[str, str]] = []
    beat = report.get("heartbeat")
    if beat is not None:
        state = "stopped" if beat["stopped_at"] is not None else "running"
        rows.append(
            (
                "bot",
                f"{state}, pid {beat['pid']}, started {ago(beat['started_at'], now)}, "
                f"heartbeat {ago(beat['written_at'], now)}",
            )
        )
        rows.append(("telegram", f"last answer {ago(beat['telegram_ok_at'], now)}"))
        rows.append(("feed loop", f"last ran {ago(beat['poll_ran_at'], now)}"))
    if "feeds_ok" in report:
        rows.append(
            (
                "feeds",
                f"{report['feeds_ok']:,} ok, {report['feeds_failing']:,} failing; "
                f"last poll {ago(report['last_polled'], now)}",
            )
        )
        for feed in report["worst_feeds"]:
            rows.append(
                (
                    "  failing",
                    _clean(
                        f"{feed['name']}: {feed['error_count']} errors in a row, "
                        f"last: {feed['last_error'] or '?'}"
                    ),
                )
            )
        rows.append(("articles", f"{report['articles']:,}"))
        rows.append(("outbox", ", ".join(f"{state} {n:,}" for state, n in report["outbox"].items())))
        subs = report["subscribers"]
        rows.append(
            (
                "subscribers",
                f"{subs['active']:,} active ({subs['paused']:,} paused), {subs['inactive']:,} inactive",
            )
        )
        rows.append(("subscriptions", f"{report['subscriptions']:,}"))
    size = report.get("database_bytes")
    rows.append(("database", report["database"] + (f" ({size / 1e6:.1f} MB)" if size is not None else "")))
    lines += [f"{name:<14} {value}" for name, value in rows]
    return "\n".join(lines)


def _clean(text: str, limit: int = 160) -> str:
    """Feed names and errors come from outside: no control characters (terminal escapes) and one short line."""
    text = "".join(c if unicodedata.category(c)[0] != "C" else " " for c in text)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def main(argv: list[str] | None = None) -> int:
    """``python -m bot.cli.status [--config PATH] [--json]``: ``newsalert status``, quick to start."""
    parser = argparse.ArgumentParser(
        prog="newsalert status", description="The bot's health from its database."
    )
    add_config_option(parser)
    parser.add_argument("--json", action="store_true", help="one JSON object instead of the table")
    args = parser.parse_args(argv)
    try:
        return cmd_status(args)
    except ConfigError as error:
        print(f"newsalert: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
