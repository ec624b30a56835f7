"""What every parse-pool worker does first: die with the process that started it, and leave Ctrl-C to it.

The pool's workers are separate processes ("spawn"). When the bot is killed (``kill -9``, the OOM killer, a test
harness) nothing tells them, and they lived on as orphans, one set per kill. A daemon thread in each worker
watches its parent's pid and ends the worker once the parent is gone (its orphan is re-parented, so ``getppid``
changes). That works wherever the pool is started from, unlike ``PR_SET_PDEATHSIG``, which fires when the
*thread* that spawned the worker exits.

Ctrl-C sends SIGINT to the whole foreground process group: the parent shuts the pool down itself, so a worker
ignores it rather than printing a ``KeyboardInterrupt`` traceback of its own.
"""

from __future__ import annotations

import os
import signal
import threading
import time

WATCH_INTERVAL = 0.25  # seconds between looks at the parent: how long an orphan may outlive it


def start_worker(parent_pid: int) -> None:
    """The pool's initializer: ignore SIGINT and end this worker when ``parent_pid`` is no longer its parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    threading.Thread(target=_watch_parent, args=(parent_pid,), name="watch-parent", daemon=True).start()


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(WATCH_INTERVAL)
    os._exit(0)  # no cleanup to do: the work in hand was for a parent that can no longer take it
