"""Runs, cursors, paused flows and daily API usage."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Engine, select, update

from connector.state.db import insert_if_absent, upsert, utcnow
from connector.state.tables import api_usage, cursors, flow_states, runs


def start_run(engine: Engine, flow: str, window: str, owner: str) -> int | None:
    """Claim the (flow, window) slot; None when another replica already ran or runs it."""
    with engine.begin() as connection:
        row = {
            "flow": flow,
            "window": window,
            "owner": owner,
            "status": "running",
            "started_at": utcnow(),
            "counts": {},
            "api_calls": {},
        }
        inserted = insert_if_absent(connection, runs, row, keys=("flow", "window"))
        return inserted.id if inserted is not None else None


def close_abandoned(engine: Engine, flow: str, current_run: int) -> int:
    """Mark ``flow``'s other runs still 'running' as crashed; returns how many.

    Call only while holding the flow lock: no other process runs the flow then, so a 'running' row is
    one whose process died (SIGKILL, power cut) before it could record how its run ended.
    """
    message = f"the process ended before this run finished; run {current_run} resumed its work"
    with engine.begin() as connection:
        return connection.execute(
            update(runs)
            .where(runs.c.flow == flow, runs.c.status == "running", runs.c.id != current_run)
            .values(status="crashed", message=message)
        ).rowcount


def finish_run(
    engine: Engine,
    run_id: int,
    *,
    status: str,
    counts: Mapping[str, int],
    api_calls: Mapping[str, Mapping[str, int]],
    message: str | None = None,
) -> None:
    with engine.begin() as connection:
        connection.execute(
            update(runs)
            .where(runs.c.id == run_id)
            .values(
                status=status,
                finished_at=utcnow(),
                counts=dict(counts),
                api_calls={system: dict(calls) for system, calls in api_calls.items()},
                message=message,
            )
        )
        for system, calls in api_calls.items():
            add_api_usage(connection, system, sum(calls.values()))


def recent_runs(engine: Engine, flow: str | None = None, limit: int = 20) -> list[dict[str, Any]]:
    query = select(runs).order_by(runs.c.id.desc()).limit(limit)
    if flow:
        query = query.where(runs.c.flow == flow)
    with engine.connect() as connection:
        return [dict(row._mapping) for row in connection.execute(query)]


def runs_by_id(engine: Engine, ids: Sequence[int]) -> dict[int, dict[str, Any]]:
    """The run rows of ``ids`` as they are now."""
    if not ids:
        return {}
    with engine.connect() as connection:
        rows = connection.execute(select(runs).where(runs.c.id.in_(list(ids))))
        return {row.id: dict(row._mapping) for row in rows}


def get_cursor(connection: Connection, flow: str, stream: str) -> dict[str, Any] | None:
    return connection.execute(
        select(cursors.c.value).where(cursors.c.flow == flow, cursors.c.stream == stream)
    ).scalar_one_or_none()


def set_cursor(connection: Connection, flow: str, stream: str, value: Mapping[str, Any]) -> None:
    upsert(
        connection,
        cursors,
        [{"flow": flow, "stream": stream, "value": dict(value), "updated_at": utcnow()}],
        keys=("flow", "stream"),
        update=("value", "updated_at"),
    )


def reset_cursors(connection: Connection, flow: str) -> int:
    return connection.execute(cursors.delete().where(cursors.c.flow == flow)).rowcount


def pause_reason(connection: Connection, flow: str) -> str | None:
    row = connection.execute(select(flow_states).where(flow_states.c.flow == flow)).first()
    return row.reason if row is not None and row.paused else None


def set_paused(connection: Connection, flow: str, reason: str | None) -> None:
    """Pause ``flow`` with ``reason`` (schema drift needs a person), or resume it when reason is None."""
    upsert(
        connection,
        flow_states,
        [{"flow": flow, "paused": reason is not None, "reason": reason, "changed_at": utcnow()}],
        keys=("flow",),
        update=("paused", "reason", "changed_at"),
    )


def calls_today(connection: Connection, system: str, today: datetime | None = None) -> int:
    day = (today or utcnow()).strftime("%Y-%m-%d")
    value = connection.execute(
        select(api_usage.c.calls).where(api_usage.c.system == system, api_usage.c.day == day)
    ).scalar_one_or_none()
    return value or 0


def add_api_usage(connection: Connection, system: str, calls: int) -> None:
    if calls <= 0:
        return
    day = utcnow().strftime("%Y-%m-%d")
    upsert(
        connection,
        api_usage,
        [{"system": system, "day": day, "calls": calls}],
        keys=("system", "day"),
        update=(),
        increment=("calls",),
    )
