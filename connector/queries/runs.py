"""Runs: the outcome of one run as the runner returns it, and the run rows the store keeps."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from connector.errors import ExitCode
from connector.state import runs


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


def recent_runs(engine: Engine, flow: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
    """Run rows, newest first (every column of the runs table); only ``flow``'s when given."""
    return runs.recent_runs(engine, flow, limit)


def last_run(engine: Engine, flow: str) -> dict[str, Any] | None:
    """``flow``'s newest run row, or None when it never ran."""
    rows = runs.recent_runs(engine, flow, limit=1)
    return rows[0] if rows else None
