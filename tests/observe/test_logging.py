"""The log of ``newsalert run``: one line per event, with its level, whatever the event carries."""

from __future__ import annotations

import logging
import sys

from bot.cli.running import OneLineFormatter, setup_logging


def test_a_traceback_and_a_multi_line_message_stay_on_one_line() -> None:
    formatter = OneLineFormatter("%(levelname)s %(name)s: %(message)s")
    try:
        raise ValueError("bad\nvalue")
    except ValueError:
        record = logging.getLogger("x").makeRecord(
            "x", logging.ERROR, __file__, 1, "two\r\nlines", (), sys.exc_info()
        )
    line = formatter.format(record)
    assert "\n" not in line and "\r" not in line
    assert line.startswith("ERROR x: two\\nlines\\nTraceback (most recent call last):")
    assert line.endswith("ValueError: bad\\nvalue")


def test_the_run_command_logs_through_it() -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        setup_logging(logging.INFO)
        assert [type(h.formatter) for h in root.handlers] == [OneLineFormatter]
    finally:
        root.handlers[:], level = saved
        root.setLevel(level)
