"""Replicas (reliability.md G5): one execution per flow window, one writer per flow, on a shared store.

Replicas are real processes (``replica_worker.py``) released together by a file, so they overlap. The
store tests run on SQLite and PostgreSQL (the ``store_url`` fixture); the two-daemon test needs
PostgreSQL, the documented way to run several replicas.
"""

from __future__ import annotations

import json
import math
import os
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from crash_world import CrashWorld
from sqlalchemy import create_engine, select, text

from connector.config import load_config
from connector.daemon import window_for
from connector.errors import FlowLockedError
from connector.flows.runner import run_flow
from connector.state import open_store
from connector.state.db import flow_lock
from connector.state.tables import runs

pytest_plugins = ("conftest_crash",)

WORKER = Path(__file__).with_name("replica_worker.py")
WINDOW = "2026-11-25T07:00:00Z"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


# ---- window alignment: every replica names a firing's slot the same way -----------------------------
def test_an_interval_window_is_the_epoch_aligned_slot_the_firing_falls_in():
    assert window_for("every 10m", at("2026-11-25 12:34:56")) == "2026-11-25T12:30:00Z"
    assert window_for("every 10m", at("2026-11-25 12:39:59.999")) == "2026-11-25T12:30:00Z"
    assert window_for("every 10m", at("2026-11-25 12:40:00")) == "2026-11-25T12:40:00Z"
    assert window_for("every 90s", at("2026-11-25 00:01:29")) == "2026-11-25T00:00:00Z"
    assert window_for("every 90s", at("2026-11-25 00:01:30")) == "2026-11-25T00:01:30Z"


def test_replicas_whose_clocks_or_ticks_differ_within_a_slot_name_the_same_window():
    fired = at("2026-11-25 12:00:00.004")
    late = [fired + timedelta(seconds=s) for s in (0.5, 3, 59, 299)]
    assert {window_for("every 5m", moment) for moment in [fired, *late]} == {"2026-11-25T12:00:00Z"}


def test_a_cron_window_is_the_minute_it_fired_in():
    assert window_for("*/15 * * * *", at("2026-11-25 12:15:00.3")) == "2026-11-25T12:15Z"
    assert window_for("*/15 * * * *", at("2026-11-25 12:15:59")) == "2026-11-25T12:15Z"


def test_every_firing_of_an_interval_schedule_gets_its_own_window():
    """Intervals that do not divide the scheduler's start date fire mid-slot, but still once per slot."""
    from connector.daemon import _trigger

    for schedule in ("every 10s", "every 7m", "every 90s", "every 5h"):
        trigger, moment, windows = _trigger(schedule), at("2026-11-25 11:58:00"), []
        for _ in range(6):
            moment = trigger.get_next_fire_time(None, moment + timedelta(microseconds=1))
            windows.append(window_for(schedule, moment))
        assert len(set(windows)) == 6, (schedule, windows)


# ---- the flow lock on PostgreSQL ---------------------------------------------------------------------
@pytest.mark.parametrize("store_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_the_flow_lock_outlives_a_server_that_ends_idle_transactions(store_url):
    """Managed PostgreSQL often sets idle_in_transaction_session_timeout: the lock must not depend on an
    open transaction, or the server kills its session (and the lock) in the middle of a run."""
    admin = create_engine(store_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        name = connection.execute(text("SELECT current_database()")).scalar()
        connection.execute(text(f'ALTER DATABASE "{name}" SET idle_in_transaction_session_timeout = 300'))
    admin.dispose()
    holder, rival = open_store(store_url), open_store(store_url, migrate=False)

    with flow_lock(holder, "handoff"):
        time.sleep(0.6)  # twice the server's patience with an idle transaction
        with pytest.raises(FlowLockedError), flow_lock(rival, "handoff"):
            pass
    with flow_lock(rival, "handoff"):  # released on the way out, and nothing raised there
        pass


# ---- processes released together -------------------------------------------------------------------
def release_together(commands: list[list[str]], go: Path, *, timeout: float = 120) -> list[dict]:
    """Start the worker processes, let them get ready, release them at once; their JSON answers."""
    processes = [
        subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for command in commands
    ]

    def all_ready() -> bool:  # imports, config and engine done: released together, the runs overlap
        return len(list(go.parent.glob(f"{go.name}.ready.*"))) == len(commands)

    wait_for(all_ready, 60, "the workers to get ready")
    go.touch()
    answers = []
    for process in processes:
        stdout, stderr = process.communicate(timeout=timeout)
        assert process.returncode == 0, stderr[-3000:]
        answers.append(json.loads(stdout.strip().splitlines()[-1]))
    return answers


@pytest.mark.slow
def test_replicas_starting_together_on_a_fresh_store_all_migrate_it(store_url, tmp_path):
    go = tmp_path / "go"
    answers = release_together([[sys.executable, str(WORKER), "migrate", store_url, str(go)]] * 4, go)
    assert [a["status"] for a in answers] == ["migrated"] * 4, answers


@pytest.fixture
def world(crash_sandbox, store_url, tmp_path) -> CrashWorld:
    """A world without invalid records (a clean run is "ok"), slow enough that two runs overlap."""
    world = CrashWorld(crash_sandbox, tmp_path, seed=31, contacts=260, invalid=False, state_url=store_url)
    world.set_latency(100)
    return world


def run_replicas(world: CrashWorld, window: str, count: int = 2) -> list[dict]:
    go = world.directory / f"go-{window.replace(':', '')}"
    command = [sys.executable, str(WORKER), "run", str(world.config_path), "handoff", window, str(go)]
    return release_together([command] * count, go)


@pytest.mark.slow
def test_a_window_runs_once_however_many_replicas_fire_it(world):
    answers = run_replicas(world, WINDOW)

    statuses = sorted(answer["status"] for answer in answers)
    assert statuses in (["locked", "ok"], ["ok", "skipped"]), answers
    with world.engine.connect() as connection:
        rows = connection.execute(select(runs.c.status).where(runs.c.window == WINDOW)).scalars().all()
    assert rows == ["ok"]
    late = run_flow(load_config(world.config_path), "handoff", window=WINDOW, engine=world.engine)
    assert late.status == "skipped"  # the slot's run row exists: a replica that fires late does nothing
    report = world.check()
    assert report.ok, str(report)
    assert report.synced == set(world.source.qualifying)


@pytest.mark.slow
def test_concurrent_manual_runs_never_write_one_record_twice(world):
    answers = run_replicas(world, "-")

    assert sorted(answer["status"] for answer in answers) == ["locked", "ok"], answers
    report = world.check()
    assert report.ok, str(report)
    assert all(count == 1 for count in world.observed().creates["Lead"].values())
    sent = world.write_calls()["salesforce"]
    # one writer, so no batch went out twice: per batch of 200, Lead, Contact, Task upserts and updates
    assert sent <= 4 * math.ceil(len(world.source.qualifying) / 200)


# ---- the daemon -------------------------------------------------------------------------------------
def start_daemon(world: CrashWorld, heartbeat: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "REVLOOP_HEARTBEAT_FILE": str(heartbeat)}
    command = [sys.executable, "-m", "connector", "--config", str(world.config_path), "daemon"]
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def health(heartbeat: Path) -> int:
    env = {**os.environ, "REVLOOP_HEARTBEAT_FILE": str(heartbeat)}
    command = [sys.executable, "-m", "connector", "health", "--max-age", "60"]
    return subprocess.run(command, env=env, capture_output=True, timeout=60, check=False).returncode


def wait_for(condition, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def stop(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert process.returncode == 0, stderr[-3000:]
    return stderr


def every_10s(world: CrashWorld) -> None:
    """The handoff every 10 seconds (the shortest schedule); the Marketo flow off."""
    text = world.config_path.read_text()
    text = text.replace('schedule = "every 5m"', 'schedule = "every 10s"', 1)
    text = text.replace('kind = "handoff"', 'kind = "handoff"\nenabled = false')
    world.config_path.write_text(text)


@pytest.mark.slow
def test_the_daemon_beats_its_heart_and_stops_on_sigterm(crash_sandbox, tmp_path):
    world = CrashWorld(crash_sandbox, tmp_path, seed=31, contacts=40, invalid=False)
    heartbeat = tmp_path / "heartbeat"
    assert health(heartbeat) == 1  # no daemon yet

    daemon = start_daemon(world, heartbeat)
    try:
        wait_for(heartbeat.exists, 30, "the first heartbeat")
        assert health(heartbeat) == 0
    finally:
        stderr = stop(daemon)
    assert "daemon started" in stderr and "daemon stopped" in stderr


@pytest.mark.slow
@pytest.mark.parametrize("store_url", [pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True)
def test_two_daemons_on_postgresql_run_each_window_once(crash_sandbox, store_url, tmp_path):
    world = CrashWorld(crash_sandbox, tmp_path, seed=32, contacts=120, invalid=False, state_url=store_url)
    every_10s(world)
    beats = [tmp_path / f"heartbeat-{n}" for n in (1, 2)]
    daemons = [start_daemon(world, beat) for beat in beats]
    try:
        wait_for(lambda: all(beat.exists() for beat in beats), 30, "both daemons to start")
        both_up = datetime.now(UTC).replace(tzinfo=None)
        wait_for(lambda: _windows_run_since(world, both_up), 40, "a scheduled window to run")
    finally:
        logs = [stop(daemon) for daemon in daemons]

    window = _windows_run_since(world, both_up)[0]
    with world.engine.connect() as connection:
        rows = (
            connection.execute(select(runs.c.status).where(runs.c.flow == "handoff", runs.c.window == window))
            .scalars()
            .all()
        )
    assert rows == ["ok"]
    deferred = [log for log in logs if f"flow handoff window {window}:" in log]  # already ran / running
    assert len(deferred) == 1, "the other daemon did not fire the same window, or ran it too"
    report = world.check()
    assert report.ok, str(report)


def _windows_run_since(world: CrashWorld, moment: datetime) -> list[str]:
    """Windows of the handoff whose run started after ``moment`` and finished ok, oldest first (the other
    flows run every 5 minutes, so their windows can fall on the same slot)."""
    query = (
        select(runs.c.window)
        .where(runs.c.flow == "handoff", runs.c.started_at > moment, runs.c.status == "ok")
        .order_by(runs.c.id)
    )
    with world.engine.connect() as connection:
        return list(connection.execute(query).scalars())
