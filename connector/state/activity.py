"""Per source record: activity tallies (metric counts), recent engagement and why it qualified."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from sqlalchemy import Connection, func, select

from connector.state.db import upsert, utcnow
from connector.state.tables import activity_tallies, source_context

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
    current = contexts_for(connection, flow, list(seen))
    rows = []
    for record_id, values in seen.items():
        merged = list(current[record_id].recent) if record_id in current else []
        for value in values:
            if value in merged:
                merged.remove(value)
            merged.insert(0, value)
        rows.append(
            {"flow": flow, "record_id": record_id, "recent": merged[:RECENT_LIMIT], "updated_at": utcnow()}
        )
    upsert(connection, source_context, rows, keys=("flow", "record_id"), update=("recent", "updated_at"))


def remember_qualifications(connection: Connection, flow: str, reasons: Mapping[str, str]) -> None:
    """Keep the first reason each record qualified for; later reasons never replace it."""
    if not reasons:
        return
    now = utcnow()
    rows = [
        {
            "flow": flow,
            "record_id": record_id,
            "recent": [],
            "qualification": reason,
            "qualified_at": now,
            "updated_at": now,
        }
        for record_id, reason in reasons.items()
    ]
    if connection.dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    statement = insert(source_context)
    statement = statement.on_conflict_do_update(
        index_elements=["flow", "record_id"],
        set_={
            "qualification": func.coalesce(source_context.c.qualification, statement.excluded.qualification),
            "qualified_at": func.coalesce(source_context.c.qualified_at, statement.excluded.qualified_at),
        },
    )
    connection.execute(statement, rows)


@dataclass(frozen=True)
class SourceContext:
    recent: tuple[str, ...]
    qualification: str | None


def contexts_for(connection: Connection, flow: str, record_ids: Sequence[str]) -> dict[str, SourceContext]:
    if not record_ids:
        return {}
    rows = connection.execute(
        select(source_context.c.record_id, source_context.c.recent, source_context.c.qualification).where(
            source_context.c.flow == flow, source_context.c.record_id.in_(list(record_ids))
        )
    )
    return {row.record_id: SourceContext(tuple(row.recent or ()), row.qualification) for row in rows}
