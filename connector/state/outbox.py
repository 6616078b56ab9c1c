"""The outbox: records accepted from a source and not yet written (reliability.md, intent then commit).

A page's records are enqueued in the same transaction that moves the source cursor, so the cursor is
never ahead of what is durable. Writers claim a batch (pending → in flight, attempt + 1, lease), call the
system, then complete each row guarded by ``lease_owner = me AND attempt = n`` so a stale worker changes
nothing. A row enqueued again before it is written simply takes the newer payload (latest change wins).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, Engine, and_, delete, func, select, update

from connector.state.db import upsert, utcnow
from connector.state.tables import outbox

LEASE = timedelta(minutes=10)
PARKED = "ignored"
"""The state of a row an admin ignored: never claimed, replaced (and due) when its source changes."""
IN_REVIEW = "review"
"""The state of a row whose identity match waits for an admin (a review case): pending but never due, so
never claimed, until a decision makes it due (:func:`make_due`) or its source changes (:func:`enqueue`)."""


@dataclass(frozen=True)
class OutboxRow:
    id: int
    record_key: str
    payload: dict[str, Any]
    source_hash: str
    attempt: int


def enqueue(
    connection: Connection, flow: str, stage: str, rows: Iterable[tuple[str, dict[str, Any], str]]
) -> int:
    """Add or replace pending rows (record_key, payload, source_hash); due now, attempt count kept."""
    now = utcnow()
    values = [
        {
            "flow": flow,
            "stage": stage,
            "record_key": key,
            "payload": payload,
            "source_hash": source_hash,
            "state": "pending",
            "attempt": 0,
            "lease_owner": None,
            "lease_expires_at": None,
            "next_attempt_at": now,
            "created_at": now,
        }
        for key, payload, source_hash in rows
    ]
    # Replacing a row also drops any lease on it, so a writer still holding the old payload cannot
    # complete (and delete) the newer one.
    upsert(
        connection,
        outbox,
        values,
        keys=("flow", "stage", "record_key"),
        update=("payload", "source_hash", "state", "lease_owner", "lease_expires_at", "next_attempt_at"),
    )
    return len(values)


def pending_hashes(connection: Connection, flow: str, stage: str, keys: Sequence[str]) -> dict[str, str]:
    """The source hash of rows already waiting for ``keys``, so an unchanged re-read is not re-queued."""
    if not keys:
        return {}
    rows = connection.execute(
        select(outbox.c.record_key, outbox.c.source_hash).where(
            outbox.c.flow == flow, outbox.c.stage == stage, outbox.c.record_key.in_(list(keys))
        )
    )
    return {key: value for key, value in rows}


def recover_orphans(connection: Connection, flow: str) -> int:
    """Return in-flight rows of ``flow`` to pending. Call only while holding the flow lock."""
    return connection.execute(
        update(outbox)
        .where(outbox.c.flow == flow, outbox.c.state == "in_flight")
        .values(state="pending", lease_owner=None, lease_expires_at=None, next_attempt_at=utcnow())
    ).rowcount


def claim(engine: Engine, flow: str, stage: str, *, limit: int, owner: str) -> list[OutboxRow]:
    """Move up to ``limit`` due pending rows to in flight under ``owner``'s lease, oldest first."""
    now = utcnow()
    with engine.begin() as connection:
        query = (
            select(outbox.c.id)
            .where(
                outbox.c.flow == flow,
                outbox.c.stage == stage,
                outbox.c.state == "pending",
                outbox.c.next_attempt_at <= now,
            )
            .order_by(outbox.c.id)
            .limit(limit)
        )
        if connection.dialect.name == "postgresql":
            query = query.with_for_update(skip_locked=True)
        ids = list(connection.execute(query).scalars())
        if not ids:
            return []
        connection.execute(
            update(outbox)
            .where(outbox.c.id.in_(ids))
            .values(
                state="in_flight",
                attempt=outbox.c.attempt + 1,
                lease_owner=owner,
                lease_expires_at=now + LEASE,
            )
        )
        rows = connection.execute(select(outbox).where(outbox.c.id.in_(ids)).order_by(outbox.c.id))
        return [OutboxRow(r.id, r.record_key, r.payload, r.source_hash, r.attempt) for r in rows]


def _guard(row: OutboxRow, owner: str):
    return and_(outbox.c.id == row.id, outbox.c.lease_owner == owner, outbox.c.attempt == row.attempt)


def done(connection: Connection, rows: Iterable[OutboxRow], owner: str) -> int:
    """Remove rows that reached a terminal state. Returns how many this owner still held."""
    removed = 0
    for row in rows:
        removed += connection.execute(delete(outbox).where(_guard(row, owner))).rowcount
    return removed


def release(
    connection: Connection,
    rows: Iterable[OutboxRow],
    owner: str,
    *,
    retry_at: datetime | None = None,
    undo_attempt: bool = False,
) -> None:
    """Return rows to pending, due at ``retry_at`` (now if None). ``undo_attempt`` when nothing was sent."""
    for row in rows:
        values: dict[str, Any] = {
            "state": "pending",
            "lease_owner": None,
            "lease_expires_at": None,
            "next_attempt_at": retry_at or utcnow(),
        }
        if undo_attempt:
            values["attempt"] = outbox.c.attempt - 1
        connection.execute(update(outbox).where(_guard(row, owner)).values(**values))


def hold_for_review(connection: Connection, rows: Iterable[OutboxRow], owner: str) -> None:
    """Keep claimed rows waiting for a review decision; nothing was sent, so their attempt is undone."""
    for row in rows:
        connection.execute(
            update(outbox)
            .where(_guard(row, owner))
            .values(state=IN_REVIEW, lease_owner=None, lease_expires_at=None, attempt=outbox.c.attempt - 1)
        )


def hand_on(connection: Connection, flow: str, rows: Iterable[OutboxRow], owner: str, stage: str) -> None:
    """Move claimed rows to another ``stage`` of ``flow``, due now; nothing was sent, so their attempt is
    undone. A row of the same record already waiting there is replaced (the newer payload wins)."""
    values = {"stage": stage, "state": "pending", "lease_owner": None, "lease_expires_at": None,
              "attempt": outbox.c.attempt - 1}  # fmt: skip
    for row in rows:
        held = connection.execute(select(outbox.c.id).where(_guard(row, owner))).first()
        if held is None:
            continue
        there = (outbox.c.flow == flow, outbox.c.stage == stage, outbox.c.record_key == row.record_key)
        connection.execute(delete(outbox).where(*there))
        connection.execute(
            update(outbox).where(_guard(row, owner)).values(**values, next_attempt_at=utcnow())
        )


def park(connection: Connection, flow: str, stage: str, keys: Sequence[str]) -> int:
    """Stop trying the waiting rows of ``keys`` (an admin ignored their errors) until their source changes.

    The rows stay, parked: a re-read of an unchanged record (read lag, the cursor's boundary) matches
    its hash and is not queued again, while a changed record replaces the row and is due at once.
    """
    return connection.execute(
        update(outbox)
        .where(
            outbox.c.flow == flow,
            outbox.c.stage == stage,
            outbox.c.record_key.in_(list(keys)),
            outbox.c.state == "pending",
        )
        .values(state=PARKED)
    ).rowcount


def make_due(connection: Connection, flow: str, stage: str, keys: Sequence[str]) -> int:
    """Make waiting rows due now, parked ones too (an admin asked for a retry); in-flight rows stay."""
    return connection.execute(
        update(outbox)
        .where(
            outbox.c.flow == flow,
            outbox.c.stage == stage,
            outbox.c.record_key.in_(list(keys)),
            outbox.c.state != "in_flight",
        )
        .values(state="pending", next_attempt_at=utcnow())
    ).rowcount


def due_count(connection: Connection, flow: str, stage: str) -> int:
    """Pending rows of ``stage`` that are due now (what a writer could claim)."""
    return connection.execute(
        select(func.count()).where(
            outbox.c.flow == flow,
            outbox.c.stage == stage,
            outbox.c.state == "pending",
            outbox.c.next_attempt_at <= utcnow(),
        )
    ).scalar_one()


def counts(connection: Connection, flow: str) -> dict[str, int]:
    """Waiting rows per stage (pending, in flight or in review; not parked), for status output."""
    rows = connection.execute(
        select(outbox.c.stage, func.count())
        .where(outbox.c.flow == flow, outbox.c.state != PARKED)
        .group_by(outbox.c.stage)
    )
    return {key: value for key, value in rows}
