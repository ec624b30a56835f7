"""Fixtures for the bad-input suites: the real bot in this process against the fake Bot API (from tests/handlers)."""

from __future__ import annotations

from tests.handlers.conftest import fake, start_bot  # noqa: F401 - fixtures shared with tests/handlers
