"""`revloop daemon` as a user starts it: its heartbeat beside its own store, found by `revloop health`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from connector.heartbeat import HEARTBEAT_ENV


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
