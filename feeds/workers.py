"""The parse pool's worker processes die with the process that started them, and leave Ctrl-C to it.

The pool's workers are separate processes ("spawn"). When the bot is killed (``kill -9``, the OOM killer, a test
harness) nothing tells them, and they lived on as orphans, one set per kill. A daemon thread in each worker
watches its parent's pid and ends the worker once the parent is gone (its orphan is re-parented, so ``getppid``
changes). That works wherever the pool is started from, unlike ``PR_SET_PDEATHSIG``, which fires when the
*thread* that spawned the worker exits.

Ctrl-C sends SIGINT to the whole foreground process group: the parent shuts the pool down itself, so a worker
ignores it rather than printing a ``KeyboardInterrupt`` traceback of its own. Ignoring it from the worker's
initializer alone leaves the worker's start-up (an interpreter starting, imports) exposed, so :class:`ParsePool`
spawns workers with SIGINT blocked (a blocked signal stays blocked across ``exec``), and the initializer unblocks
it only once it is ignored.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, TypeVar

WATCH_INTERVAL = 0.25  # seconds between looks at the parent: how long an orphan may outlive it
T = TypeVar("T")
_CAN_MASK = hasattr(signal, "pthread_sigmask")


@contextlib.contextmanager
def _sigint_blocked() -> Iterator[None]:
    """SIGINT held back in this thread meanwhile (delivered right after, or to another thread of the process)."""
    if not _CAN_MASK:
        yield
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGINT})
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)


class ParsePool(ProcessPoolExecutor):
    """A process pool whose workers never see Ctrl-C and end with this process (give it ``os.getpid()``)."""

    def __init__(self, max_workers: int, mp_context: Any, parent_pid: int) -> None:
        super().__init__(
            max_workers=max_workers, mp_context=mp_context, initializer=start_worker, initargs=(parent_pid,)
        )

    def submit(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> Future[T]:
        # Workers are spawned on demand, from inside submit: this is where they are born.
        with _sigint_blocked():
            return super().submit(fn, *args, **kwargs)


def start_worker(parent_pid: int) -> None:
    """The pool's initializer: ignore SIGINT and end this worker when ``parent_pid`` is no longer its parent."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if _CAN_MASK:
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT})  # a Ctrl-C during start-up is dropped here
    threading.Thread(target=_watch_parent, args=(parent_pid,), name="watch-parent", daemon=True).start()


def _watch_parent(parent_pid: int) -> None:
    while os.getppid() == parent_pid:
        time.sleep(WATCH_INTERVAL)
    os._exit(0)  # no cleanup to do: the work in hand was for a parent that can no longer take it
