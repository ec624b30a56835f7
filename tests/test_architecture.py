"""The shape of the house: which package may import which, read from every module's imports (ast).

Data flows feeds → storage → matching/stories → alerts → Telegram; an import may only point down that flow.
``handlers/`` never imports ``bot/``; the alert path imports neither; the domain and I/O packages import none of
the three and no ``telegram``; ``observe/`` (the HTTP endpoint) imports no project package; and no module imports
itself back through others.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("bot", "handlers", "alerts", "feeds", "storage", "matching", "stories", "observe", "i18n")
LOWER = ("feeds", "storage", "matching", "stories")

# package -> the top-level names its modules must never import
FORBIDDEN: dict[str, tuple[str, ...]] = {
    "handlers": ("bot",),
    "alerts": ("bot", "handlers"),
    **{package: ("bot", "handlers", "alerts", "telegram") for package in LOWER},
    # the HTTP endpoint knows nothing of the bot: it is handed a registry and a health check
    "observe": ("bot", "handlers", "alerts", "telegram", *LOWER),
    # the message catalog is a leaf: every layer that speaks to people may use it, it uses none of them
    "i18n": ("bot", "handlers", "alerts", "telegram", "observe", *LOWER),
}


def _modules() -> dict[str, Path]:
    found = {}
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(path: Path) -> set[str]:
    """Every module name an ``import`` or ``from ... import`` anywhere in the file names (relative ones resolved)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = path.relative_to(ROOT).parent.parts
                package = package[: len(package) - node.level + 1]
                base = ".".join((*package, base) if base else package)
            names.add(base)
            # ``from alerts import timing`` imports the module alerts.timing
            names.update(f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in MODULES)
    return names


IMPORTS = {module: _imports(path) for module, path in MODULES.items()}


def test_the_packages_are_found() -> None:
    assert {"bot.app", "handlers.context", "alerts.delivery", "feeds.ingest", "matching.matcher"} <= set(MODULES)


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_no_import_runs_back_up(package: str) -> None:
    wrong = sorted(
        f"{module} imports {name}"
        for module, names in IMPORTS.items()
        if module.split(".")[0] == package
        for name in names
        if name.split(".")[0] in FORBIDDEN[package]
    )
    assert wrong == []


def _project_edges(module: str) -> set[str]:
    """The project modules ``module`` imports (a package import counts as its ``__init__``)."""
    return {name for name in IMPORTS[module] if name in MODULES and name != module}


def test_no_import_circle() -> None:
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    circles: list[list[str]] = []

    def visit(module: str, path: list[str]) -> None:
        state[module] = 1
        for target in sorted(_project_edges(module)):
            if state.get(target) == 1:
                circles.append([*path[path.index(target) :], target])
            elif target not in state:
                visit(target, [*path, target])
        state[module] = 2

    for module in sorted(MODULES):
        if module not in state:
            visit(module, [module])
    assert circles == []


def test_the_checker_sees_a_forbidden_import(tmp_path: Path) -> None:
    """The import reader itself: a module that imports bot/ inside a function is caught."""
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from bot.config import Config\n    import telegram.ext\n")
    assert {"bot.config", "telegram.ext"} <= _imports(sample)


MAX_LINES = 450  # "about 400": a module past this is several rooms in one; split it by what the parts do


def test_no_module_is_several_rooms_in_one() -> None:
    long = {module: n for module, path in MODULES.items() if (n := len(path.read_text().splitlines())) > MAX_LINES}
    assert long == {}
