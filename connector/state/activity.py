"""Activity tallies (metric counts per record) and the latest pages and assets each record engaged with."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from sqlalchemy import Connection, select

from connector.state.db import upsert, utcnow
from connector.state.tables import activity_tallies, engagements

RECENT_LIMIT = 10


def add_counts(
    connection: Connection, flow: str, increments: Mapping[tuple[str, str], tuple[int, str]]
) -> None:
    """Add ``count`` to each (record_id, metric) and remember the latest activity time."""
    rows = [
        {"flow": flow, "record_id": record_id, "metric": metric, "count": count, "last_at": last_at}
        for (record_id, metric), (count, last_at) in increments.items()
    ]
    upsert(
        connection,
        activity_tallies,
        rows,
        keys=("flow", "record_id", "metric"),
        update=("last_at",),
        increment=("count",),
    )


def counts_for(connection: Connection, flow: str, record_ids: Sequence[str]) -> dict[str, dict[str, int]]:
    if not record_ids:
        return {}
    rows = connection.execute(
        select(activity_tallies.c.record_id, activity_tallies.c.metric, activity_tallies.c.count).where(
            activity_tallies.c.flow == flow, activity_tallies.c.record_id.in_(list(record_ids))
        )
    )
    result: dict[str, dict[str, int]] = {}
    for record_id, metric, count in rows:
        result.setdefault(record_id, {})[metric] = count
    return result


def add_engagement(connection: Connection, flow: str, seen: Mapping[str, Sequence[str]]) -> None:
    """Prepend newly seen values (oldest first in ``seen``) to each record's recent list, deduplicated."""
    if not seen:
        return
    current = recent_for(connection, flow, list(seen))
    rows = []
    for record_id, values in seen.items():
        merged = list(current.get(record_id, []))
        for value in values:
            if value in merged:
                merged.remove(value)
            merged.insert(0, value)
        rows.append(
            {"flow": flow, "record_id": record_id, "recent": merged[:RECENT_LIMIT], "updated_at": utcnow()}
        )
    upsert(connection, engagements, rows, keys=("flow", "record_id"), update=("recent", "updated_at"))


def recent_for(connection: Connection, flow: str, record_ids: Sequence[str]) -> dict[str, list[str]]:
    if not record_ids:
        return {}
    rows = connection.execute(
        select(engagements.c.record_id, engagements.c.recent).where(
            engagements.c.flow == flow, engagements.c.record_id.in_(list(record_ids))
        )
    )
    return {key: value for key, value in rows}
