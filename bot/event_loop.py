"""The event loop ``newsalert run`` runs on: uvloop where it installs (Linux, macOS), asyncio's own elsewhere.

Why: at paid-broadcast rates the bot's CPU per message is the ceiling, and asyncio's pure-Python loop (callbacks,
transports, timers) is about a sixth of it; uvloop does the same work in libuv (``bench/delivery.py --unlimited``
prints both). PTB's ``run_polling`` runs on the loop it finds set, so setting one is all it takes.
"""

from __future__ import annotations

import asyncio

try:
    import uvloop
except ImportError:  # Windows: uvloop has no build there (pyproject installs it elsewhere)
    uvloop = None  # type: ignore[assignment]


def new_event_loop() -> asyncio.AbstractEventLoop:
    """A new loop of the fastest kind available."""
    return uvloop.new_event_loop() if uvloop is not None else asyncio.new_event_loop()


def use_fast_loop() -> None:
    """Make the current thread's event loop a new fast one, for ``Application.run_polling`` to run on."""
    asyncio.set_event_loop(new_event_loop())
