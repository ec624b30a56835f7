"""Read the Dockerfile's instructions the way ``docker build`` does, as far as the deploy tests need."""

from __future__ import annotations

import json
import shlex
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Instruction:
    keyword: str
    argument: str


def instructions(path: Path) -> list[Instruction]:
    """Each instruction with its continuation lines joined and comments dropped."""
    found: list[Instruction] = []
    pending = ""
    for line in path.read_text().splitlines():
        stripped = line.strip()
        if stripped.startswith("#") or (not stripped and not pending):
            continue
        if stripped.endswith("\\"):
            pending += stripped[:-1] + " "
            continue
        text = pending + stripped
        pending = ""
        keyword, _, argument = text.partition(" ")
        found.append(Instruction(keyword.upper(), " ".join(argument.split())))
    return found


def exec_form(argument: str) -> list[str]:
    """``["a", "b"]`` (the exec form docker runs without a shell)."""
    value = json.loads(argument)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), argument
    return value


def env(found: list[Instruction]) -> dict[str, str]:
    values: dict[str, str] = {}
    for instruction in found:
        if instruction.keyword == "ENV":
            values.update(pair.split("=", 1) for pair in shlex.split(instruction.argument))
    return values


def healthcheck(found: list[Instruction]) -> tuple[dict[str, str], list[str]]:
    """(options such as ``interval``, the command) of the HEALTHCHECK."""
    [argument] = [i.argument for i in found if i.keyword == "HEALTHCHECK"]
    options, _, command = argument.partition(" CMD ")
    parsed = dict(option.lstrip("-").split("=", 1) for option in options.split())
    return parsed, exec_form(command)


def last(found: list[Instruction], keyword: str) -> str:
    return [i.argument for i in found if i.keyword == keyword][-1]


def shell_commands(argument: str) -> list[tuple[dict[str, str], list[str]]]:
    """A RUN line's ``&&``-joined commands, each as (its leading VAR=value assignments, its words)."""
    commands = []
    for part in argument.split("&&"):
        words = shlex.split(part)
        assignments = {}
        while words and "=" in words[0] and not words[0].startswith("-"):
            name, value = words.pop(0).split("=", 1)
            assignments[name] = value
        commands.append((assignments, words))
    return commands
