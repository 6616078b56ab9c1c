"""The review queue: identity matches an admin decides (link, create, reject), and the rejected pairs.

A case is about one source record of one flow: the target records the identity engine found plausible,
why (reason codes and texts that name record ids and evidence kinds, never personal data), and the
decision. A record has at most one open case; the engine re-deciding it (its source changed) refreshes
that case. A decision is written by the next run (``applied_at``); a rejection also stores every
proposed (source, target) pair so the engine never proposes it again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, func, insert, select, update

from connector.state.db import utcnow
from connector.state.tables import review_cases, review_rejections

OPEN, LINKED, CREATED, REJECTED = "open", "linked", "created", "rejected"
BY_REVLOOP = "revloop"
"""``decided_by`` of a case the engine settled itself: the record changed and is no longer in doubt."""


@dataclass(frozen=True)
class SourceRef:
    flow: str
    stage: str
    system: str
    object: str
    key: str


@dataclass(frozen=True)
class Proposed:
    """A target record proposed for a source record, and why: ``code`` for machines, ``reason`` for people."""

    object: str
    record_id: str
    code: str
    reason: str


@dataclass(frozen=True)
class CaseDraft:
    source: SourceRef
    target_system: str
    code: str
    reason: str
    candidates: tuple[Proposed, ...]


@dataclass(frozen=True)
class Decision:
    """An admin's decision not yet written: ``linked`` to ``target``, or ``created``."""

    case_id: int
    status: str
    target_object: str | None = None
    target_id: str | None = None


def open_cases(connection: Connection, drafts: Sequence[CaseDraft]) -> list[int]:
    """Open one case per draft, or refresh the open case its source record already has; returns the ids."""
    now, ids = utcnow(), []
    for draft in drafts:
        values = {
            "stage": draft.source.stage,  # where the record waits now
            "target_system": draft.target_system,
            "candidates": [vars(candidate) for candidate in draft.candidates],
            "code": draft.code,
            "reason": draft.reason,
            "updated_at": now,
        }
        existing = connection.execute(
            select(review_cases.c.id).where(*_of(draft.source), review_cases.c.status == OPEN)
        ).scalar()
        if existing is not None:
            connection.execute(update(review_cases).where(review_cases.c.id == existing).values(**values))
            ids.append(existing)
            continue
        row = {**_columns(draft.source), **values, "status": OPEN, "created_at": now}
        ids.append(
            connection.execute(insert(review_cases).values(**row).returning(review_cases.c.id)).scalar_one()
        )
    return ids


def decisions(connection: Connection, flow: str, keys: Sequence[str]) -> dict[str, Decision]:
    """Decisions (linked or created) not yet written for these source records, the latest per record."""
    if not keys:
        return {}
    rows = connection.execute(
        select(review_cases)
        .where(
            review_cases.c.flow == flow,
            review_cases.c.source_key.in_(list(keys)),
            review_cases.c.status.in_((LINKED, CREATED)),
            review_cases.c.applied_at.is_(None),
        )
        .order_by(review_cases.c.id)
    )
    return {row.source_key: Decision(row.id, row.status, row.target_object, row.target_id) for row in rows}


def rejected_targets(
    connection: Connection, source_system: str, source_object: str, keys: Sequence[str], target_system: str
) -> dict[str, set[str]]:
    """Target record ids an admin rejected for each source record: never to be proposed again."""
    if not keys:
        return {}
    rows = connection.execute(
        select(review_rejections.c.source_key, review_rejections.c.target_id).where(
            review_rejections.c.source_system == source_system,
            review_rejections.c.source_object == source_object,
            review_rejections.c.source_key.in_(list(keys)),
            review_rejections.c.target_system == target_system,
        )
    )
    rejected: dict[str, set[str]] = {}
    for key, target_id in rows:
        rejected.setdefault(key, set()).add(target_id)
    return rejected


def settle(connection: Connection, flow: str, outcomes: Mapping[str, str]) -> None:
    """After source records were written (``outcomes``: key → linked or created): their decided cases
    are applied, and an open case (the engine decided without doubt once the record changed) is closed
    as what happened, by revloop."""
    if not outcomes:
        return
    now, keys = utcnow(), list(outcomes)
    mine = (review_cases.c.flow == flow, review_cases.c.source_key.in_(keys))
    waiting = (review_cases.c.status.in_((LINKED, CREATED)), review_cases.c.applied_at.is_(None))
    connection.execute(update(review_cases).where(*mine, *waiting).values(applied_at=now, updated_at=now))
    still_open = connection.execute(
        select(review_cases.c.id, review_cases.c.source_key).where(*mine, review_cases.c.status == OPEN)
    ).all()
    for case_id, key in still_open:  # rare: a record changed while its case was open
        connection.execute(
            update(review_cases)
            .where(review_cases.c.id == case_id)
            .values(
                status=outcomes[key], decided_by=BY_REVLOOP, decided_at=now, applied_at=now, updated_at=now
            )
        )


def decide(
    connection: Connection, case_id: int, status: str, *, by: str, target: tuple[str, str] | None = None
) -> dict[str, Any] | None:
    """Record a decision on an open case: ``linked`` (to ``target``: object, id), ``created`` or
    ``rejected`` (every proposed pair is stored as rejected). Returns the case as it is now, or None when
    it was no longer open (decided meanwhile): nothing changed then."""
    if status not in (LINKED, CREATED, REJECTED):
        raise ValueError(f"not a decision: {status!r}")
    now = utcnow()
    target_object, target_id = target or (None, None)
    values = {"status": status, "target_object": target_object, "target_id": target_id,
              "decided_by": by, "decided_at": now, "updated_at": now}  # fmt: skip
    still_open = (review_cases.c.id == case_id, review_cases.c.status == OPEN)
    changed = connection.execute(update(review_cases).where(*still_open).values(**values)).rowcount
    if not changed:
        return None
    (case,) = query(connection, ids=[case_id], statuses=())
    if status == REJECTED:
        _reject(connection, case, now)
    return case


def _reject(connection: Connection, case: Mapping[str, Any], now) -> None:
    pairs = {candidate["record_id"] for candidate in case["candidates"]}
    known = rejected_targets(connection, case["source_system"], case["source_object"], [case["source_key"]],
                             case["target_system"]).get(case["source_key"], set())  # fmt: skip
    rows = [
        {"source_system": case["source_system"], "source_object": case["source_object"],
         "source_key": case["source_key"], "target_system": case["target_system"], "target_id": target_id,
         "case_id": case["id"], "rejected_at": now}
        for target_id in sorted(pairs - known)
    ]  # fmt: skip
    if rows:
        connection.execute(insert(review_rejections), rows)


def query(
    connection: Connection,
    *,
    ids: Sequence[int] | None = None,
    flow: str | None = None,
    statuses: Sequence[str] = (OPEN,),
    limit: int | None = None,
) -> list[dict[str, Any]]:
    """Cases as plain dicts, newest first; ``statuses=()`` means every status."""
    conditions = []
    if ids is not None:
        conditions.append(review_cases.c.id.in_(list(ids)))
    if flow is not None:
        conditions.append(review_cases.c.flow == flow)
    if statuses:
        conditions.append(review_cases.c.status.in_(list(statuses)))
    statement = select(review_cases).where(and_(True, *conditions)).order_by(review_cases.c.id.desc())
    if limit is not None:
        statement = statement.limit(limit)
    return [dict(row._mapping) for row in connection.execute(statement)]


def unsettled_case_of(
    connection: Connection, system: str, object_name: str, keys: Sequence[str]
) -> dict[str, int]:
    """The case (id) of each of these records whose identity is not settled, in any flow: open (waiting
    for an admin) or decided and not yet written by its flow's next run."""
    if not keys:
        return {}
    rows = connection.execute(
        select(review_cases.c.source_key, review_cases.c.id).where(
            review_cases.c.source_system == system,
            review_cases.c.source_object == object_name,
            review_cases.c.source_key.in_(list(keys)),
            (review_cases.c.status == OPEN)
            | (review_cases.c.status.in_((LINKED, CREATED)) & review_cases.c.applied_at.is_(None)),
        )
    )
    return {key: case_id for key, case_id in rows}


def open_counts(connection: Connection) -> dict[str, int]:
    """Open cases per flow (flows without any are absent)."""
    rows = connection.execute(
        select(review_cases.c.flow, func.count())
        .where(review_cases.c.status == OPEN)
        .group_by(review_cases.c.flow)
    )
    return {flow: count for flow, count in rows}


def _columns(source: SourceRef) -> dict[str, str]:
    return {"flow": source.flow, "stage": source.stage, "source_system": source.system,
            "source_object": source.object, "source_key": source.key}  # fmt: skip


def _of(source: SourceRef):
    """The cases of this source record in its flow, whatever stage it waits in."""
    return (review_cases.c.flow == source.flow, review_cases.c.source_key == source.key)
