"""`revloop daemon` as a user starts it: its heartbeat beside its own store, found by `revloop health`,
and nothing written outside the state folder and the temporary folder (a read-only container)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from connector.demo.sandbox_config import write_sandbox_config
from connector.heartbeat import HEARTBEAT_ENV

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_the_daemon_beats_beside_its_store_and_announces_its_next_runs(sqlite_env) -> None:
    env = {key: value for key, value in os.environ.items() if key != HEARTBEAT_ENV}
    config = str(sqlite_env.config_path)
    beat_file = sqlite_env.config_path.parent / "state.db.heartbeat"
    revloop = [sys.executable, "-m", "connector"]

    def health() -> int:
        command = [*revloop, "health", "-c", config, "--max-age", "60"]
        return subprocess.run(command, env=env, capture_output=True, timeout=60, check=False).returncode

    assert health() == 1
    daemon = subprocess.Popen(
        [*revloop, "--config", config, "daemon"],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not beat_file.exists():
            assert time.monotonic() < deadline and daemon.poll() is None, "no heartbeat beside the store"
            time.sleep(0.05)
        assert health() == 0
    finally:
        daemon.send_signal(signal.SIGTERM)
        _, stderr = daemon.communicate(timeout=60)

    assert daemon.returncode == 0, stderr[-3000:]
    started = next(line for line in stderr.splitlines() if "daemon started" in line)
    assert "handoff (every 5m): next run 20" in started and " UTC" in started and str(beat_file) in started


def files(*folders: Path) -> dict[Path, float]:
    return {path: path.stat().st_mtime for folder in folders for path in folder.rglob("*") if path.is_file()}


@pytest.mark.slow
def test_nothing_is_written_outside_the_state_folder_and_tmp(flow_sandbox, tmp_path) -> None:
    """What `docker run --read-only --tmpfs /tmp` needs: config, code and mappings are never written."""
    etc, state, tmp = (tmp_path / name for name in ("etc", "state", "tmp"))
    for folder in (etc, state, tmp):
        folder.mkdir()
    config = str(write_sandbox_config(flow_sandbox, etc / "config.toml", state_url="sqlite:///revloop.db"))
    env = {key: value for key, value in os.environ.items() if key != HEARTBEAT_ENV}
    env.update(HOME=str(state), TMPDIR=str(tmp), PYTHONDONTWRITEBYTECODE="1", REVLOOP_CONFIG=config)
    revloop = [sys.executable, "-m", "connector"]
    read_only = (etc, REPO / "connector", REPO / "mappings")
    before = files(*read_only)

    for args in (("db", "upgrade"), ("run", "handoff"), ("status",), ("errors", "list"), ("health",)):
        subprocess.run([*revloop, *args], env=env, cwd=state, capture_output=True, timeout=120, check=False)
    daemon = subprocess.Popen([*revloop, "daemon"], env=env, cwd=state, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not (state / "revloop.db.heartbeat").exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    daemon.send_signal(signal.SIGTERM)
    _, stderr = daemon.communicate(timeout=60)

    assert daemon.returncode == 0, stderr[-3000:]
    assert files(*read_only) == before
    written = {path.name for path in state.iterdir()}
    assert {"revloop.db", "revloop.db.heartbeat", "revloop.db.handoff.lock"} <= written


def test_a_refused_run_is_logged_by_its_reason_without_a_traceback(sqlite_env, tmp_path, caplog) -> None:
    from connector.config import load_config
    from connector.daemon import RunWatch, _tick

    broken = tmp_path / "broken.toml"
    broken.write_text("version = 2\nkind = [\n", encoding="utf-8")
    text = sqlite_env.config_path.read_text(encoding="utf-8")
    mapping = str(sqlite_env.config.flow("handoff").mapping)
    sqlite_env.config_path.write_text(text.replace(mapping, str(broken)), encoding="utf-8")
    config = load_config(sqlite_env.config_path)

    _tick(config, "handoff", sqlite_env.engine, RunWatch(max_run_s=60))

    (record,) = [r for r in caplog.records if r.name == "connector.daemon"]
    assert record.levelname == "ERROR" and record.exc_info is None
    assert "flow handoff window" in record.getMessage() and "TOML syntax error" in record.getMessage()
