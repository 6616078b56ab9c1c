"""What revloop itself last wrote to each record of each system, field by field (echo suppression).

Every flow stage that writes a system records the values it sent, in the transaction that completes
the write. A flow that reads a record compares what it reads with these values: a field that holds
exactly what revloop last wrote there is revloop's own echo, not somebody's edit, so it is never carried
back (see :mod:`connector.mapping.echoes`). That is what keeps the handoff (MA → SFA) and the feedback
(SFA → MA) from ping-ponging.

The values are kept as sync-state rows of direction ``written:<system>:<object>``, keyed by the record's
id in that system: like every sync state they belong to the record's link, and the writes of every flow
merge into one row (the latest write of a field wins).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from connector.state import links


@dataclass(frozen=True)
class Written:
    """Values written to one record: its id in ``system``, the link it belongs to, field → value."""

    record_id: str
    link_id: int
    fields: Mapping[str, Any]


def direction(system: str, obj: str) -> str:
    """The sync-state direction under which the values written to ``system``'s ``obj`` records are kept."""
    return f"written:{system}:{obj}"


def values_written(
    connection: Connection, system: str, obj: str, record_ids: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """Field → value revloop last wrote, per record id (records revloop never wrote are absent)."""
    states = links.synced_states(connection, direction(system, obj), [str(i) for i in record_ids])
    return {record_id: dict(state.payload) for record_id, state in states.items()}


def remember_written(
    connection: Connection, system: str, obj: str, writes: Iterable[Written], *, run_id: int
) -> None:
    """Merge what each write sent into its record's row, in the transaction that records the write."""
    merged: dict[str, Written] = {}
    for write in writes:
        if not write.fields:
            continue
        known = merged.get(write.record_id)
        fields = {**known.fields, **write.fields} if known else dict(write.fields)
        merged[write.record_id] = Written(write.record_id, write.link_id, fields)
    if not merged:
        return
    before = values_written(connection, system, obj, list(merged))
    rows = []
    for record_id, write in merged.items():
        payload = {**before.get(record_id, {}), **write.fields}
        rows.append(
            {
                "record_key": record_id,
                "link_id": write.link_id,
                "payload": payload,
                "payload_hash": _hash(payload),
                "source_hash": None,
            }
        )
    links.save_states(connection, direction(system, obj), rows, run_id)


def _hash(payload: Mapping[str, Any]) -> str:
    text = json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
