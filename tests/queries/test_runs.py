"""Run rows newest first, a flow's last run, and the exit code of each run outcome."""

from __future__ import annotations

import pytest

from connector.errors import ExitCode
from connector.queries.runs import RunOutcome, last_run, recent_runs
from connector.state import runs


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
