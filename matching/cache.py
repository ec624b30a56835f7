"""Where newsalert keeps what it builds once and reuses: the user's cache directory, never the package.

Two things live there: the gazetteer's tables (:mod:`matching.gazetteer_store`), and the installation's secret
token-hash seed (:func:`hash_seed`), which those tables depend on.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path


def cache_dir() -> Path:
    """``NEWSALERT_CACHE_DIR``, else ``$XDG_CACHE_HOME/newsalert``, else ``~/.cache/newsalert``."""
    explicit = os.environ.get("NEWSALERT_CACHE_DIR")
    if explicit:
        return Path(explicit)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "newsalert"


def hash_seed() -> int:
    """The seed of token hashes: random, secret, and the same for every process of this installation.

    Random so that nobody can craft words whose hashes collide (the hash tables and the phrase matching trust
    hashes); the same across processes so that tables of hashes built once (the gazetteer's trie) stay valid.
    Kept in the cache folder, readable by its owner only; a fresh random seed, not saved, when the folder
    cannot be written (then nothing that depends on it is cached either)."""
    path = cache_dir() / "hash-seed"
    try:
        return int(path.read_text(encoding="ascii").strip(), 16)
    except (OSError, ValueError):
        pass
    seed = secrets.randbits(64)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(f"{seed:016x}\n")
    except FileExistsError:
        return int(path.read_text(encoding="ascii").strip(), 16)  # another process wrote it first
    except OSError:
        pass
    return seed
