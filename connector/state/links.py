"""Record links across systems and the last payload synced per source record and direction."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, and_, insert, select, update
from sqlalchemy.orm import aliased

from connector.state.db import upsert, utcnow
from connector.state.tables import link_keys, links, sync_states

_CHUNK = 500


@dataclass(frozen=True)
class RecordRef:
    system: str
    object: str
    record_id: str


@dataclass(frozen=True)
class LinkedTarget:
    link_id: int
    object: str
    record_id: str
    status: str


@dataclass(frozen=True)
class SyncedState:
    payload: dict[str, Any]
    payload_hash: str
    source_hash: str | None


def targets_of(
    connection: Connection, source_system: str, source_object: str, keys: Sequence[str], target_system: str
) -> dict[str, LinkedTarget]:
    """The active target record linked to each source key (a converted Lead resolves to its Contact)."""
    if not keys:
        return {}
    src, tgt = aliased(link_keys), aliased(link_keys)
    rows = connection.execute(
        select(
            src.c.record_id, tgt.c.link_id, tgt.c.object, tgt.c.record_id.label("target_id"), links.c.status
        )
        .join(tgt, and_(tgt.c.link_id == src.c.link_id, tgt.c.system == target_system))
        .join(links, links.c.id == src.c.link_id)
        .where(
            src.c.system == source_system,
            src.c.object == source_object,
            src.c.record_id.in_(list(keys)),
            tgt.c.status == "active",
        )
    )
    return {row.record_id: LinkedTarget(row.link_id, row.object, row.target_id, row.status) for row in rows}


def sources_of(
    connection: Connection,
    target_system: str,
    target_ids: Sequence[str],
    source_system: str,
    source_object: str,
) -> dict[str, set[str]]:
    """The source records each of ``target_ids`` is linked to (a converted Lead's too), by target id."""
    if not target_ids:
        return {}
    src, tgt = aliased(link_keys), aliased(link_keys)
    found: dict[str, set[str]] = {}
    wanted = sorted(set(target_ids))
    for start in range(0, len(wanted), _CHUNK):
        rows = connection.execute(
            select(tgt.c.record_id, src.c.record_id.label("source_key"))
            .join(src, and_(src.c.link_id == tgt.c.link_id, src.c.system == source_system))
            .where(
                tgt.c.system == target_system,
                tgt.c.record_id.in_(wanted[start : start + _CHUNK]),
                tgt.c.status != "deleted",
                src.c.object == source_object,
            )
        )
        for target_id, source_key in rows:
            found.setdefault(target_id, set()).add(source_key)
    return found


def connect(
    connection: Connection,
    pairs: Iterable[tuple[RecordRef, RecordRef]],
    entity: str,
    *,
    status: str = "created",
    made_by: str | None = None,
) -> dict[str, int]:
    """Link each (source, target) pair as one real-world ``entity``; returns link ids by source record id.

    ``status`` says how new links came about (``created``: revloop created the target; ``linked``: it
    matched an existing one) and ``made_by`` which flow made them. An existing link of either side is
    reused, so a second source record matched to an already linked target joins that target's link.
    """
    pairs = list(pairs)
    if not pairs:
        return {}
    stored = _link_ids(connection, [ref for pair in pairs for ref in pair])
    now = utcnow()
    assigned = dict(stored)
    needing_link: list[tuple[RecordRef, RecordRef]] = []
    claimed: set[RecordRef] = set()
    for source, target in pairs:
        if not ({source, target} & (assigned.keys() | claimed)):
            needing_link.append((source, target))
        claimed.update((source, target))
    if needing_link:
        created = connection.execute(
            insert(links).returning(links.c.id, sort_by_parameter_order=True),
            [
                {"entity": entity, "status": status, "made_by": made_by, "created_at": now, "updated_at": now}
                for _ in needing_link
            ],
        ).scalars()
        for (source, _target), link_id in zip(needing_link, created, strict=True):
            assigned[source] = link_id
    result: dict[str, int] = {}
    new_keys = []
    for source, target in pairs:
        link_id = assigned.get(source) or assigned[target]
        for ref in (source, target):
            assigned[ref] = link_id
            if stored.get(ref) != link_id:
                stored[ref] = link_id
                new_keys.append(_key_row(ref, link_id, now))
        result[source.record_id] = link_id
    upsert(
        connection,
        link_keys,
        new_keys,
        keys=("system", "object", "record_id"),
        update=("link_id", "status", "updated_at"),
    )
    return result


def follow_conversion(connection: Connection, lead: RecordRef, contact: RecordRef) -> None:
    """A converted Lead is never written again: its link continues with the Contact it became."""
    link_id = _link_ids(connection, [lead]).get(lead)
    if link_id is None:
        return
    now = utcnow()
    connection.execute(update(link_keys).where(*_ref_match(lead)).values(status="converted", updated_at=now))
    connection.execute(update(links).where(links.c.id == link_id).values(status="converted", updated_at=now))
    upsert(
        connection,
        link_keys,
        [_key_row(contact, link_id, now)],
        keys=("system", "object", "record_id"),
        update=("link_id", "status", "updated_at"),
    )


def retire(connection: Connection, refs: Iterable[RecordRef]) -> None:
    """Records removed from their system (a line item archived because its source was deleted): their keys
    stay, marked ``deleted``, so lookups of active links no longer find them."""
    now = utcnow()
    for ref in refs:
        connection.execute(update(link_keys).where(*_ref_match(ref)).values(status="deleted", updated_at=now))


def synced_states(connection: Connection, direction: str, keys: Sequence[str]) -> dict[str, SyncedState]:
    if not keys:
        return {}
    rows = connection.execute(
        select(
            sync_states.c.record_key,
            sync_states.c.payload,
            sync_states.c.payload_hash,
            sync_states.c.source_hash,
        ).where(sync_states.c.direction == direction, sync_states.c.record_key.in_(list(keys)))
    )
    return {row.record_key: SyncedState(row.payload, row.payload_hash, row.source_hash) for row in rows}


def save_states(
    connection: Connection, direction: str, rows: Sequence[Mapping[str, Any]], run_id: int
) -> None:
    """Store what was written: rows of record_key, link_id, payload, payload_hash, source_hash.

    The payload it replaces is kept as ``previous_payload`` so a bad run can be shown and undone.
    """
    if not rows:
        return
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as dialect_insert
    else:
        from sqlalchemy.dialects.sqlite import insert as dialect_insert
    now = utcnow()
    statement = dialect_insert(sync_states)
    statement = statement.on_conflict_do_update(
        index_elements=["direction", "record_key"],
        set_={
            "previous_payload": sync_states.c.payload,
            "payload": statement.excluded.payload,
            "payload_hash": statement.excluded.payload_hash,
            "source_hash": statement.excluded.source_hash,
            "link_id": statement.excluded.link_id,
            "run_id": statement.excluded.run_id,
            "synced_at": statement.excluded.synced_at,
        },
    )
    connection.execute(
        statement,
        [{**row, "direction": direction, "run_id": run_id, "synced_at": now} for row in rows],
    )


def _link_ids(connection: Connection, refs: Sequence[RecordRef]) -> dict[RecordRef, int]:
    found: dict[RecordRef, int] = {}
    by_kind: dict[tuple[str, str], list[str]] = {}
    for ref in refs:
        by_kind.setdefault((ref.system, ref.object), []).append(ref.record_id)
    for (system, obj), ids in by_kind.items():
        rows = connection.execute(
            select(link_keys.c.record_id, link_keys.c.link_id).where(
                link_keys.c.system == system, link_keys.c.object == obj, link_keys.c.record_id.in_(ids)
            )
        )
        for record_id, link_id in rows:
            found[RecordRef(system, obj, record_id)] = link_id
    return found


def _ref_match(ref: RecordRef):
    return (
        link_keys.c.system == ref.system,
        link_keys.c.object == ref.object,
        link_keys.c.record_id == ref.record_id,
    )


def _key_row(ref: RecordRef, link_id: int, now) -> dict[str, Any]:
    return {
        "link_id": link_id,
        "system": ref.system,
        "object": ref.object,
        "record_id": ref.record_id,
        "status": "active",
        "updated_at": now,
    }
