"""Runs: the outcome of one run as the runner returns it, and the run rows the store keeps."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from connector.errors import ExitCode
from connector.state import runs
from connector.state.db import flow_lock_held


@dataclass(frozen=True)
class RunOutcome:
    """How one run of a flow ended: its status, counters, API calls per system and endpoint."""

    flow: str
    status: str  # ok, record_errors, stopped, paused, skipped, locked, failed
    counts: dict[str, int]
    api_calls: dict[str, dict[str, int]]
    message: str = ""
    run_id: int | None = None

    @property
    def exit_code(self) -> int:
        return {
            "ok": ExitCode.OK,
            "skipped": ExitCode.OK,
            "locked": ExitCode.OK,
            "record_errors": ExitCode.RECORD_ERRORS,
            "paused": ExitCode.RECORD_ERRORS,
            "stopped": ExitCode.UNAVAILABLE,
        }.get(self.status, ExitCode.RECORD_ERRORS)


CRASHED = "crashed"
CRASHED_MESSAGE = "its process is gone (the flow lock is free); the next run of the flow resumes its work"


def recent_runs(engine: Engine, flow: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
    """Run rows, newest first (every column of the runs table); only ``flow``'s when given.

    A run still 'running' whose process is gone shows as crashed: see :func:`with_crashes`.
    """
    return with_crashes(engine, runs.recent_runs(engine, flow, limit))


def last_run(engine: Engine, flow: str) -> dict[str, Any] | None:
    """``flow``'s newest run row (a dead run shown as crashed), or None when it never ran."""
    rows = recent_runs(engine, flow, limit=1)
    return rows[0] if rows else None


def with_crashes(engine: Engine, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """``rows`` with each 'running' run whose process died shown as crashed (the store is not changed:
    the flow's next run records it, see ``state.runs.close_abandoned``).

    A run holds its flow's lock from before its row is written until after its end is recorded, so a
    row still 'running' once the lock is seen free belongs to a process that is gone. The row is read
    again after looking at the lock, so a run that ended meanwhile shows how it ended.
    """
    running = [row for row in rows if row["status"] == "running"]
    free = {flow for flow in {row["flow"] for row in running} if not flow_lock_held(engine, flow)}
    now = runs.runs_by_id(engine, [row["id"] for row in running if row["flow"] in free])
    return [_crashed(now[row["id"]]) if row["id"] in now else row for row in rows]


def _crashed(row: dict[str, Any]) -> dict[str, Any]:
    if row["status"] != "running":
        return row
    return {**row, "status": CRASHED, "message": row["message"] or CRASHED_MESSAGE}
