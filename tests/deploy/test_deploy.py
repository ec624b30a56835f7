"""The Dockerfile, compose.yaml and the systemd unit, tested as far as a machine without Docker allows.

No image is built here (no Docker daemon). Instead the image's own commands are read from the Dockerfile and run
in this venv with the image's paths mapped to temporary folders: the build's numba warm-up, the entry command
(the bot, against the fake Bot API) and the health command, which must pass while the bot runs and fail before
it starts and after it stops. The systemd unit is checked with ``systemd-analyze verify`` when it is installed.
"""

from __future__ import annotations

import configparser
import os
import shlex
import shutil
import signal
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
import yaml

from bot.cli import build_parser
from tests.deploy.dockerfile import env, exec_form, healthcheck, instructions, last, shell_commands
from tests.support.fake_telegram import FakeTelegram

REPO = Path(__file__).resolve().parents[2]
DOCKERFILE = instructions(REPO / "Dockerfile")
BIN = Path(sys.executable).parent


def test_the_image_runs_as_a_user_with_the_database_on_a_volume() -> None:
    assert last(DOCKERFILE, "FROM") == "python:3.11-slim"
    keywords = [i.keyword for i in DOCKERFILE]
    user = last(DOCKERFILE, "USER")
    assert user not in ("root", "0") and keywords.index("USER") < keywords.index("ENTRYPOINT")
    assert "useradd --system --uid 10001 --gid newsalert" in " ".join(i.argument for i in DOCKERFILE)
    assert last(DOCKERFILE, "VOLUME") == '["/data"]' and last(DOCKERFILE, "WORKDIR") == "/data"
    assert env(DOCKERFILE)["NEWSALERT_CACHE_DIR"].startswith("/data/"), (
        "each deployment's own seed and tables"
    )
    numba = env(DOCKERFILE)["NUMBA_CACHE_DIR"]
    assert not numba.startswith("/data"), "the cache warmed at build must not be hidden by the volume"
    assert any(numba in i.argument and "chown" in i.argument for i in DOCKERFILE if i.keyword == "RUN")


def test_the_image_copies_every_package_and_nothing_secret() -> None:
    packages = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"]
    copied = {i.argument.split()[0].rstrip("/") for i in DOCKERFILE if i.keyword == "COPY"}
    assert {p for p in packages if "." not in p} <= copied
    ignored = (REPO / ".dockerignore").read_text().split()
    assert {"*.env", "*.db", ".venv", ".git"} <= set(ignored)


def test_compose_uses_the_image_s_health_command_and_mounts() -> None:
    compose = yaml.safe_load((REPO / "compose.yaml").read_text())
    service = compose["services"]["newsalert"]
    options, command = healthcheck(DOCKERFILE)
    assert service["healthcheck"]["test"] == ["CMD", *command]
    assert service["healthcheck"]["start_period"] == options["start-period"]
    assert service["env_file"] == "newsalert.env" and service["restart"] == "unless-stopped"
    config_path = exec_form(last(DOCKERFILE, "CMD"))[-1]
    assert "newsalert-data:/data" in service["volumes"]
    assert f"./config.toml:{config_path}:ro" in service["volumes"]
    assert "newsalert-data" in compose["volumes"]


def adapt(value: str, paths: dict[str, Path]) -> str:
    """An image path mapped to this test's folders (the longest image path that prefixes it)."""
    for image_path in sorted(paths, key=len, reverse=True):
        if value == image_path or value.startswith(image_path + "/"):
            return str(paths[image_path]) + value[len(image_path) :]
    return value


def command(words: list[str], paths: dict[str, Path]) -> list[str]:
    """The image's command for this venv: its programs from here, its paths mapped."""
    program = sys.executable if words[0] == "python" else str(BIN / words[0])
    return [program, *(adapt(word, paths) for word in words[1:])]


def health(
    words: list[str], paths: dict[str, Path], environment: dict[str, str]
) -> subprocess.CompletedProcess:
    return subprocess.run(
        command(words, paths), cwd=paths["/data"], env=environment, capture_output=True, text=True, timeout=60
    )


def test_the_image_s_commands_warm_the_cache_run_the_bot_and_tell_its_health(tmp_path: Path) -> None:
    config_path = exec_form(last(DOCKERFILE, "CMD"))[-1]
    paths = {
        "/data": tmp_path / "data",
        "/config": tmp_path / "config",
        env(DOCKERFILE)["NUMBA_CACHE_DIR"]: tmp_path / "numba-cache",
        "/tmp": tmp_path / "tmp",
    }
    for folder in paths.values():
        folder.mkdir()
    environment = {**os.environ, "NO_PROXY": "127.0.0.1,localhost"}
    environment.update({name: adapt(value, paths) for name, value in env(DOCKERFILE).items()})

    # The build's warm-up: matching compiles into NUMBA_CACHE_DIR; nothing of the seed stays behind.
    warm_ups = [
        (assignments, words)
        for instruction in DOCKERFILE
        if instruction.keyword == "RUN" and "newsalert match" in instruction.argument
        for assignments, words in shell_commands(instruction.argument)
        if words[0] == "newsalert"
    ]
    assert len(warm_ups) >= 1
    for assignments, words in warm_ups:
        run_env = {**environment, **{k: adapt(v, paths) for k, v in assignments.items()}}
        done = subprocess.run(command(words, paths), env=run_env, capture_output=True, text=True, timeout=600)
        assert done.returncode == 0, done.stderr  # "Zvečan" matches kosovo
    assert list((tmp_path / "numba-cache").rglob("*.nbi")), "the numba cache exists after the build"
    assert not (tmp_path / "data" / "cache").exists(), "no seed baked into the image"

    with FakeTelegram() as fake:
        config = adapt(config_path, paths)
        Path(config).write_text(f'[telegram]\nbase_url = "{fake.base_url}"\n')  # storage.path: the default
        environment["TELEGRAM_BOT_TOKEN"] = fake.token
        _, check = healthcheck(DOCKERFILE)
        before = health(check, paths, environment)
        assert before.returncode == 1 and "NOT HEALTHY" in before.stdout

        entry = exec_form(last(DOCKERFILE, "ENTRYPOINT")) + exec_form(last(DOCKERFILE, "CMD"))
        log = (tmp_path / "bot.log").open("w")
        bot = subprocess.Popen(
            command(entry, paths), cwd=paths["/data"], env=environment, stdout=log, stderr=log
        )
        try:
            deadline = time.monotonic() + 180
            while (running := health(check, paths, environment)).returncode != 0:
                assert bot.poll() is None, (tmp_path / "bot.log").read_text()
                assert time.monotonic() < deadline, running.stdout
                time.sleep(0.5)
            assert running.stdout.startswith("newsalert: healthy\n")
            assert (paths["/data"] / "newsalert.db").exists(), "the database is on the volume"
            assert (paths["/data"] / "cache" / "hash-seed").exists(), (
                "this deployment's own seed, on the volume"
            )
            bot.send_signal(signal.SIGTERM)
            assert bot.wait(timeout=60) == 0
        finally:
            if bot.poll() is None:
                bot.kill()
            log.close()
        after = health(check, paths, environment)
        assert after.returncode == 1 and "the bot is not running (stopped" in after.stdout
    assert "Traceback" not in (tmp_path / "bot.log").read_text()


UNIT = REPO / "deploy" / "newsalert.service"


def unit() -> configparser.ConfigParser:
    parser = configparser.ConfigParser(interpolation=None, strict=True)
    parser.optionxform = str  # type: ignore[assignment,method-assign]  # systemd keys are case-sensitive
    parser.read(UNIT)
    return parser


def test_the_systemd_unit_restarts_on_failure_reads_the_token_from_a_file_and_is_hardened() -> None:
    service = unit()["Service"]
    assert service["Restart"] == "on-failure"
    assert service["EnvironmentFile"] == "/etc/newsalert/newsalert.env"
    for key, value in {
        "NoNewPrivileges": "yes",
        "ProtectSystem": "strict",
        "PrivateTmp": "yes",
        "ProtectHome": "yes",
        "PrivateDevices": "yes",
        "CapabilityBoundingSet": "",
    }.items():
        assert service[key] == value, key
    writable = service["ReadWritePaths"].split()
    assert service["WorkingDirectory"] in writable and "/var/cache/newsalert" in writable
    program, *arguments = shlex.split(service["ExecStart"])
    assert program.endswith("/bin/newsalert")
    args = build_parser().parse_args(arguments)
    assert args.command == "run" and args.config == "/etc/newsalert/config.toml"


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="systemd-analyze is not installed")
def test_systemd_accepts_the_unit(tmp_path: Path) -> None:
    """``systemd-analyze verify`` on the unit, with ExecStart pointing at this venv (it checks the program exists)
    and root as the user (no newsalert user here)."""
    text = UNIT.read_text()
    program = shlex.split(unit()["Service"]["ExecStart"])[0]
    text = text.replace(program, str(BIN / "newsalert"))
    text = text.replace("User=newsalert", "User=root").replace("Group=newsalert", "Group=root")
    copy = tmp_path / "newsalert.service"
    copy.write_text(text)
    done = subprocess.run(
        ["systemd-analyze", "verify", str(copy)], capture_output=True, text=True, timeout=60
    )
    assert (done.returncode, done.stderr) == (0, "")
