"""Sync errors as admins see them: list, show, a summary by kind, and the retry or ignore of a selection.

An error row's stage is the outbox stage its record waits in (write, writeback, task), so retrying or
ignoring an error acts on the waiting record of that same stage. A stage with no outbox rows
(qualify: the record is decided again on its next read) changes only the error row.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
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


class ErrorAction(NamedTuple):
    """What retry or ignore does to an error: the status it sets, and the statuses it changes."""

    name: str
    status: str
    by_id: tuple[str, ...]
    """Statuses an error named by id may be in: retrying an ignored error by id undoes the ignore."""
    by_flow: tuple[str, ...]
    """Statuses of a flow's errors it selects: never the ones an admin ignored on purpose."""


RETRY = ErrorAction("retry", RETRYING, (*OPEN_STATUSES, IGNORED), OPEN_STATUSES)
IGNORE = ErrorAction("ignore", IGNORED, OPEN_STATUSES, OPEN_STATUSES)


@dataclass(frozen=True)
class Selection:
    """The errors an action would change, and the ids it was given that it leaves alone."""

    action: ErrorAction
    rows: list[dict[str, Any]]
    """The error rows the action changes, by id."""
    statuses: tuple[str, ...]
    """The statuses those rows may still be in when the change is applied."""
    unchanged: list[dict[str, Any]] = field(default_factory=list)
    """Rows named by id in a status the action does not change (resolved, already ignored)."""
    missing: list[int] = field(default_factory=list)
    """Ids with no error row."""

    @property
    def ids(self) -> list[int]:
        return [row["id"] for row in self.rows]


def select(connection: Connection, action: ErrorAction, ids: Sequence[int], flow: str | None) -> Selection:
    """What ``action`` would change: the errors of ``ids`` when given, else ``flow``'s open errors.

    An empty selection is a selection of nothing: it never widens to other flows or statuses.
    """
    if ids:
        found = sync_errors.query(connection, ids=sorted(set(ids)), statuses=(), limit=None)
        known = {row["id"] for row in found}
        return Selection(
            action,
            rows=sorted((row for row in found if row["status"] in action.by_id), key=lambda row: row["id"]),
            statuses=action.by_id,
            unchanged=[row for row in found if row["status"] not in action.by_id],
            missing=sorted(set(ids) - known),
        )
    if not flow:
        raise ValueError("select errors by id or by flow")
    rows = sync_errors.query(connection, flow=flow, statuses=action.by_flow, limit=None)
    return Selection(action, sorted(rows, key=lambda row: row["id"]), action.by_flow)


def preview(
    engine: Engine, action: ErrorAction, ids: Sequence[int] = (), flow: str | None = None
) -> Selection:
    """:func:`select` on a connection of its own, to show an admin before anything changes."""
    with engine.connect() as connection:
        return select(connection, action, ids, flow)


def apply(engine: Engine, selection: Selection) -> list[dict[str, Any]]:
    """Change the selected errors and their waiting records in one transaction; returns the rows changed.

    Only rows still in the statuses they were selected in change (an error resolved meanwhile stays
    resolved), and exactly those rows' records are parked (ignore) or made due (retry), so an error's
    status and its waiting record never disagree.
    """
    action = selection.action
    with engine.begin() as connection:
        rows = sync_errors.set_status(
            connection, selection.ids, action.status, from_statuses=selection.statuses
        )
        move = outbox.make_due if action is RETRY else outbox.park
        for row in rows:
            move(connection, row["flow"], row["stage"], [row["record_key"]])
    return rows
