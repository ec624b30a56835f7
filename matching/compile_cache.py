"""Where numba keeps the compiled matching loops: a user cache directory, never the installed package.

numba's default (``cache=True``) writes ``*.nbi``/``*.nbc`` files into ``matching/__pycache__``. In a
site-packages install that folder outlives ``pip uninstall``, and once ``pip install -e .`` replaces the install
the leftover ``matching/`` folder is imported as an empty namespace package ahead of the editable checkout: every
``newsalert`` command then dies with ``cannot import name 'Document' from 'matching'``. So, unless the user chose a
place with ``NUMBA_CACHE_DIR``, the cache goes to ``$XDG_CACHE_HOME/newsalert/numba`` (``~/.cache/...``).

:mod:`matching` imports this module before anything that imports numba, which reads the variable on import (and
again before each compile). An unwritable directory is not fatal: numba then falls back to its own locations.
"""

from __future__ import annotations

import os
from pathlib import Path


def user_cache_dir() -> Path:
    """``$XDG_CACHE_HOME/newsalert/numba``, or ``~/.cache/newsalert/numba`` when XDG_CACHE_HOME is unset."""
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "newsalert" / "numba"


def use_user_cache_dir() -> None:
    """Point numba at :func:`user_cache_dir` unless ``NUMBA_CACHE_DIR`` is already set (also for spawned workers,
    which inherit the environment)."""
    if not os.environ.get("NUMBA_CACHE_DIR"):
        os.environ["NUMBA_CACHE_DIR"] = str(user_cache_dir())


use_user_cache_dir()
