"""The README's two quick-start commands, run in order in a fresh virtual environment (the slow test).

The first installs the package (not editable) and runs it, which compiles the matching loops; the second installs
the checkout editable. numba used to cache those loops in ``site-packages/matching/__pycache__``, which the
uninstall left behind as an empty namespace package shadowing the editable install: every command then died with
``cannot import name 'Document' from 'matching'``. ``uv pip`` stands in for ``pip`` (same install, much faster);
where uv is installed; ``newsalert match`` stands in for ``newsalert run``, which needs Telegram, and compiles the same loops.

Deselect with ``-m "not slow"``.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
PACKAGES = ("bot", "handlers", "alerts", "feeds", "storage", "matching")
_LEFT_OUT = shutil.ignore_patterns(
    ".venv", "venv", ".git", "__pycache__", "*.egg-info", "build", ".*_cache", ".hypothesis", "*.db*", "tests"
)

pytestmark = pytest.mark.slow


def run(*command: str | Path, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command], cwd=cwd, env=env, capture_output=True, text=True, timeout=600
    )


def numba_files(site_packages: Path) -> list[Path]:
    return [
        path
        for package in PACKAGES
        for pattern in ("*.nbi", "*.nbc")
        for path in (site_packages / package).rglob(pattern)
    ]


def test_the_readme_install_commands_in_order_leave_a_working_newsalert(tmp_path: Path) -> None:
    checkout = tmp_path / "newsalert"
    shutil.copytree(REPO, checkout, ignore=_LEFT_OUT)
    cache_home = tmp_path / "cache"
    env = {k: v for k, v in os.environ.items() if k not in ("NUMBA_CACHE_DIR", "PYTHONPATH", "VIRTUAL_ENV")}
    env["XDG_CACHE_HOME"] = str(cache_home)
    python = shutil.which("python3.11") or sys.executable
    venv = checkout / ".venv"
    made = run(python, "-m", "venv", venv, env=env, cwd=checkout)
    assert made.returncode == 0, made.stderr
    newsalert = venv / "bin" / "newsalert"
    site_packages = next((venv / "lib").glob("python3*/site-packages"))

    uv = shutil.which("uv")
    install = (
        ("uv", "pip", "install", "-q", "-p", venv / "bin" / "python")
        if uv
        else (venv / "bin" / "pip", "install", "-q")
    )
    installed = run(*install, ".", env=env, cwd=checkout)
    assert installed.returncode == 0, installed.stderr
    compiled = run(newsalert, "match", "--compiled", "kosovo", "--text", "Protests in Zvečan.", env=env, cwd=tmp_path)
    assert compiled.returncode == 0, compiled.stdout + compiled.stderr
    assert list((cache_home / "newsalert" / "numba").rglob("*.nbi")), (
        "the loops were cached in the user cache"
    )
    assert numba_files(site_packages) == []

    editable = run(*install, "-e", ".[test]", env=env, cwd=checkout)
    assert editable.returncode == 0, editable.stderr

    helped = run(newsalert, "--help", env=env, cwd=tmp_path)
    assert helped.returncode == 0 and "Telegram news alert bot" in helped.stdout, helped.stderr
    matched = run(newsalert, "match", "kosovo", "--text", "Protests in Zvečan.", env=env, cwd=tmp_path)
    assert matched.returncode == 0, matched.stdout + matched.stderr
    assert "Match:" in matched.stdout and "Traceback" not in matched.stderr
    assert not (site_packages / "matching").exists(), "nothing of the first install shadows the checkout"
    assert numba_files(checkout) == [], "the editable install does not cache into the checkout either"
