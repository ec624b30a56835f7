"""Fixtures for the fault suites: the real bot in this process (``start_bot``, ``fake``) from the handler tests."""

from __future__ import annotations

from tests.handlers.conftest import fake, start_bot  # noqa: F401 - fixtures shared with tests/handlers
