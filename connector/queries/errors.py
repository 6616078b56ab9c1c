"""Sync errors as admins see them: list, show, a summary by kind, and the retry or ignore of a selection.

An error row's stage is the outbox stage its record waits in (write, writeback, task), so retrying or
ignoring an error acts on the waiting record of that same stage. A stage with no outbox rows
(qualify: the record is decided again on its next read) changes only the error row.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from sqlalchemy import Connection, Engine

from connector.state import outbox, sync_errors

OPEN_STATUSES = sync_errors.OPEN_STATUSES
RETRYING, IGNORED = "retrying", "ignored"


class ErrorGroup(NamedTuple):
    """How many records have open errors of one kind (flow, stage, category)."""

    flow: str
    stage: str
    category: str
    records: int


def list_errors(
    engine: Engine,
    *,
    flow: str | None = None,
    category: str | None = None,
    include_closed: bool = False,
    limit: int = 200,
) -> list[dict[str, Any]]:
    """Error rows, newest first: open and retrying ones, or every status with ``include_closed``."""
    statuses = () if include_closed else OPEN_STATUSES
    with engine.connect() as connection:
        return sync_errors.query(connection, flow=flow, statuses=statuses, category=category, limit=limit)


def get_error(engine: Engine, error_id: int) -> dict[str, Any] | None:
    """One error row whatever its status (its payload snapshot is redacted), or None."""
    with engine.connect() as connection:
        rows = sync_errors.query(connection, ids=[error_id], statuses=())
    return rows[0] if rows else None


def summary(engine: Engine, flow: str | None = None) -> list[ErrorGroup]:
    """Open errors grouped by flow, stage and category, the largest group first."""
    with engine.connect() as connection:
        return [ErrorGroup(*row) for row in sync_errors.summary(connection, flow)]


def open_counts(engine: Engine) -> dict[str, int]:
    """Records with open errors, per flow (flows without any are absent)."""
    counts: dict[str, int] = {}
    for group in summary(engine):
        counts[group.flow] = counts.get(group.flow, 0) + group.records
    return counts


def select_errors(connection: Connection, ids: Sequence[int], flow: str | None) -> list[int]:
    """The error ids a retry or ignore acts on: ``ids`` when given, else every open error of ``flow``."""
    if ids:
        return list(ids)
    if not flow:
        raise ValueError("select errors by id or by flow")
    return [row["id"] for row in sync_errors.query(connection, flow=flow, limit=100_000)]


def retry_errors(engine: Engine, ids: Sequence[int] = (), flow: str | None = None) -> list[dict[str, Any]]:
    """Make the selected errors and their waiting records due now; returns the error rows changed."""
    return _change(engine, ids, flow, RETRYING)


def ignore_errors(engine: Engine, ids: Sequence[int] = (), flow: str | None = None) -> list[dict[str, Any]]:
    """Stop trying the selected records until their source changes; returns the error rows changed."""
    return _change(engine, ids, flow, IGNORED)


def _change(engine: Engine, ids: Sequence[int], flow: str | None, status: str) -> list[dict[str, Any]]:
    with engine.begin() as connection:
        rows = sync_errors.set_status(connection, select_errors(connection, ids, flow), status)
        for row in rows:
            if status == RETRYING:
                outbox.make_due(connection, row["flow"], row["stage"], [row["record_key"]])
            else:
                outbox.park(connection, row["flow"], row["stage"], [row["record_key"]])
    return rows
