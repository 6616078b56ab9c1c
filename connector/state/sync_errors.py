"""Sync-error rows: one per (flow, stage, record) that an admin can see, retry or ignore.

A record that fails again updates its row (attempts + 1, last seen, latest message); a record that
later succeeds resolves it. Messages and payload snapshots are redacted before they are stored, and
masked of personal data too when the config says not to store it (``[state] store_personal_data``).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, func, select, update

from connector.logs import redact
from connector.state import personal_data
from connector.state.db import utcnow
from connector.state.tables import sync_errors

OPEN_STATUSES = ("open", "retrying")
BACKOFF_BASE = timedelta(minutes=5)
BACKOFF_MAX = timedelta(hours=24)


@dataclass(frozen=True)
class ErrorReport:
    """What goes into a sync-error row."""

    flow: str
    stage: str
    record_key: str
    system: str
    object: str
    category: str
    code: str
    message: str
    fields: Sequence[str] = ()
    payload: Mapping[str, Any] | None = None


def backoff(attempts: int) -> timedelta:
    """When a record that failed ``attempts`` times is tried again: 5 min, 10, 20, ... capped at a day."""
    return min(BACKOFF_BASE * (2 ** max(attempts - 1, 0)), BACKOFF_MAX)


def record(
    connection: Connection, report: ErrorReport, *, run_id: int | None, store_personal_data: bool = True
) -> datetime:
    """Open or update the error row for ``report``; returns when the record should be tried again.

    Secrets are always redacted from the message and payload; with ``store_personal_data`` false,
    personal data is masked too (:mod:`connector.state.personal_data`) before anything is stored.
    """
    now = utcnow()
    key = _key(report.flow, report.stage, report.record_key)
    existing = connection.execute(select(sync_errors.c.attempts, sync_errors.c.status).where(*key)).first()
    # A record that failed again after it had synced starts a new episode: a fresh back-off.
    again = existing is not None and existing.status != "resolved"
    attempts = existing.attempts + 1 if again else 1
    next_attempt = now + backoff(attempts)
    values = {
        "system": report.system,
        "object": report.object,
        "category": report.category,
        "code": report.code,
        "message": _stored_message(report, store_personal_data),
        "fields": list(report.fields),
        "payload": _stored_payload(report.payload, store_personal_data),
        "attempts": attempts,
        "last_seen": now,
        "next_attempt_at": next_attempt,
        "run_id": run_id,
    }
    if existing is None:
        connection.execute(
            sync_errors.insert().values(
                flow=report.flow,
                stage=report.stage,
                record_key=report.record_key,
                first_seen=now,
                status="open",
                **values,
            )
        )
    else:
        status = "ignored" if existing.status == "ignored" else "open"
        restart = {} if again else {"first_seen": now}
        connection.execute(update(sync_errors).where(*key).values(status=status, **restart, **values))
    return next_attempt


def resolve(connection: Connection, flow: str, stage: str, record_keys: Sequence[str]) -> int:
    """Mark open or ignored errors of these records resolved (they synced, e.g. after a source fix)."""
    if not record_keys:
        return 0
    return connection.execute(
        update(sync_errors)
        .where(
            sync_errors.c.flow == flow,
            sync_errors.c.stage == stage,
            sync_errors.c.record_key.in_(list(record_keys)),
            sync_errors.c.status.in_((*OPEN_STATUSES, "ignored")),
        )
        .values(status="resolved", last_seen=utcnow(), next_attempt_at=None)
    ).rowcount


def due_keys(connection: Connection, flow: str, stages: Sequence[str], *, limit: int = 1000) -> list[str]:
    """Record keys whose open error is due for another try."""
    rows = connection.execute(
        select(sync_errors.c.record_key)
        .where(
            sync_errors.c.flow == flow,
            sync_errors.c.stage.in_(list(stages)),
            sync_errors.c.status.in_(OPEN_STATUSES),
            sync_errors.c.next_attempt_at <= utcnow(),
        )
        .order_by(sync_errors.c.next_attempt_at)
        .limit(limit)
    )
    return list(rows.scalars())


def query(
    connection: Connection,
    *,
    flow: str | None = None,
    statuses: Sequence[str] = OPEN_STATUSES,
    category: str | None = None,
    ids: Sequence[int] = (),
    limit: int | None = 200,
) -> list[dict[str, Any]]:
    """Error rows, newest first: of ``statuses`` (any when empty), ``flow``, ``category`` and ``ids``
    when given (an empty ``ids`` does not filter), at most ``limit`` (None: all)."""
    conditions = [sync_errors.c.status.in_(list(statuses))] if statuses else []
    if flow:
        conditions.append(sync_errors.c.flow == flow)
    if category:
        conditions.append(sync_errors.c.category == category)
    if ids:
        conditions.append(sync_errors.c.id.in_(list(ids)))
    rows = connection.execute(
        select(sync_errors).where(*conditions).order_by(sync_errors.c.last_seen.desc()).limit(limit)
    )
    return [dict(row._mapping) for row in rows]


def set_status(
    connection: Connection, ids: Sequence[int], status: str, *, from_statuses: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """Set ``status`` (retrying: due now; ignored: no more tries) and return the rows changed.

    Only rows whose status is in ``from_statuses`` change (any status when it is empty), checked by the
    UPDATE itself, so a row another process resolved or ignored meanwhile is left alone. No ids, no change.
    """
    if not ids:
        return []
    conditions = [sync_errors.c.id.in_(list(ids))]
    if from_statuses:
        conditions.append(sync_errors.c.status.in_(list(from_statuses)))
    values: dict[str, Any] = {"status": status}
    if status == "retrying":
        values["next_attempt_at"] = utcnow()
    elif status == "ignored":
        values["next_attempt_at"] = None
    changed = connection.execute(
        update(sync_errors).where(*conditions).values(**values).returning(*sync_errors.c)
    )
    return sorted((dict(row._mapping) for row in changed), key=lambda row: row["id"])


def summary(connection: Connection, flow: str | None = None) -> list[tuple[str, str, str, int]]:
    """(flow, stage, category, count) of open errors, for the admin report."""
    conditions = [sync_errors.c.status.in_(OPEN_STATUSES)]
    if flow:
        conditions.append(sync_errors.c.flow == flow)
    rows = connection.execute(
        select(sync_errors.c.flow, sync_errors.c.stage, sync_errors.c.category, func.count())
        .where(*conditions)
        .group_by(sync_errors.c.flow, sync_errors.c.stage, sync_errors.c.category)
        .order_by(func.count().desc())
    )
    return [tuple(row) for row in rows]


def _key(flow: str, stage: str, record_key: str):
    return (sync_errors.c.flow == flow, sync_errors.c.stage == stage, sync_errors.c.record_key == record_key)


def _stored_message(report: ErrorReport, store_personal_data: bool) -> str:
    message = redact(report.message)
    return message if store_personal_data else personal_data.mask_text(message, report.payload)


def _stored_payload(payload: Mapping[str, Any] | None, store_personal_data: bool) -> dict[str, Any] | None:
    if payload is None:
        return None
    redacted = {key: redact(value) if isinstance(value, str) else value for key, value in payload.items()}
    return redacted if store_personal_data else personal_data.mask_payload(redacted)
