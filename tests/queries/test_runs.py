"""Run rows newest first (a dead run shown as crashed), a flow's last run, the exit code of each outcome."""

from __future__ import annotations

import fcntl
import threading

import pytest

from connector.errors import ExitCode
from connector.queries.runs import RunOutcome, last_run, recent_runs
from connector.state import open_store, runs
from connector.state.db import flow_lock, flow_lock_held


def _run(engine, flow: str, window: str, status: str, counts: dict[str, int]) -> int:
    run_id = runs.start_run(engine, flow, window, owner="test")
    assert run_id is not None
    runs.finish_run(engine, run_id, status=status, counts=counts, api_calls={"hubspot": {"search": 1}})
    return run_id


def test_recent_runs_are_newest_first_and_filter_by_flow(engine) -> None:
    first = _run(engine, "handoff", "w1", "ok", {"created": 2})
    other = _run(engine, "marketo_handoff", "w1", "record_errors", {"failed": 1})
    latest = _run(engine, "handoff", "w2", "ok", {"unchanged": 2})

    assert [row["id"] for row in recent_runs(engine)] == [latest, other, first]
    assert [row["id"] for row in recent_runs(engine, "handoff")] == [latest, first]
    assert [row["id"] for row in recent_runs(engine, limit=1)] == [latest]
    row = recent_runs(engine, "marketo_handoff")[0]
    assert (row["status"], row["counts"], row["api_calls"]) == (
        "record_errors",
        {"failed": 1},
        {"hubspot": {"search": 1}},
    )
    assert row["finished_at"] >= row["started_at"]


def test_last_run_is_the_newest_or_none(engine) -> None:
    assert last_run(engine, "handoff") is None
    _run(engine, "handoff", "w1", "record_errors", {})
    latest = _run(engine, "handoff", "w2", "ok", {})

    assert last_run(engine, "handoff")["id"] == latest
    assert last_run(engine, "marketo_handoff") is None


@pytest.mark.parametrize(
    ("status", "code"),
    [
        ("ok", ExitCode.OK),
        ("skipped", ExitCode.OK),
        ("locked", ExitCode.OK),
        ("record_errors", ExitCode.RECORD_ERRORS),
        ("paused", ExitCode.RECORD_ERRORS),
        ("failed", ExitCode.RECORD_ERRORS),
        ("stopped", ExitCode.UNAVAILABLE),
    ],
)
def test_run_outcome_exit_code(status: str, code: int) -> None:
    assert RunOutcome("handoff", status, {}, {}).exit_code == code


def test_a_running_run_whose_process_is_gone_shows_as_crashed(engine) -> None:
    finished = _run(engine, "handoff", "w1", "ok", {})
    dead = runs.start_run(engine, "handoff", "w2", owner="a process that was killed")

    rows = recent_runs(engine)

    assert [(row["id"], row["status"]) for row in rows] == [(dead, "crashed"), (finished, "ok")]
    assert "process is gone" in rows[0]["message"]
    assert last_run(engine, "handoff")["status"] == "crashed"
    assert runs.recent_runs(engine)[0]["status"] == "running"  # shown, not written: the next run records it


def test_a_run_holding_its_flow_lock_is_running(engine) -> None:
    live = runs.start_run(engine, "handoff", "w1", owner="this test")

    with flow_lock(engine, "handoff"):
        rows = recent_runs(engine)
        other = runs.start_run(engine, "marketo_handoff", "w1", owner="gone")
        mixed = {row["id"]: row["status"] for row in recent_runs(engine)}

    assert [(row["id"], row["status"]) for row in rows] == [(live, "running")]
    assert mixed == {live: "running", other: "crashed"}
    assert last_run(engine, "handoff")["status"] == "crashed"  # the lock is free again


def test_looking_at_a_sqlite_flow_lock_never_makes_a_run_give_up(tmp_path) -> None:
    """flow_lock_held takes a shared flock for an instant; a run starting then waits, it is not 'locked'."""
    engine = open_store(f"sqlite:///{tmp_path / 'state.db'}")
    lock_file = tmp_path / "state.db.handoff.lock"
    lock_file.touch()
    with open(lock_file) as handle:
        fcntl.flock(handle.fileno(), fcntl.LOCK_SH)
        threading.Timer(0.05, fcntl.flock, (handle.fileno(), fcntl.LOCK_UN)).start()
        with flow_lock(engine, "handoff"):
            assert flow_lock_held(engine, "handoff")
    assert not flow_lock_held(engine, "handoff")
