"""`revloop mappings preview`: what the next handoff run would do, without writing to any system.

It reads the MA from the flow's cursor like a run does and plans the writes with the same planner,
inside a state-store transaction that is rolled back: nothing is queued, no cursor moves, no system is
written. (The identity mirror it refreshes first is a cache of the SFA and is kept.)
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from connector.flows.base import Preview, PreviewItem, RunContext
from connector.flows.handoff.plan import PlannedWrite
from connector.state import links
from connector.state.outbox import OutboxRow

if TYPE_CHECKING:
    from connector.flows.handoff.flow import Handoff


def preview(handoff: Handoff, limit: int) -> Preview:
    ctx = handoff.ctx
    handoff.writer.ensure_mirror()
    items: list[PreviewItem] = []
    more = False
    with ctx.engine.connect() as connection:
        transaction = connection.begin()
        try:
            rows: list[OutboxRow] = []
            for page in handoff.reader.read_pages(connection, dry_run=True):
                for key, snapshot, source_hash in handoff.reader.accept(connection, page):
                    rows.append(OutboxRow(-(len(rows) + 1), key, snapshot, source_hash, attempt=1))
                if len(rows) >= limit:
                    more = True
                    break
            rows = rows[:limit]
            plan = handoff.writer.planner.plan(connection, rows)
            states = links.synced_states(
                connection, handoff.writer.direction, [row.record_key for row in rows]
            )
        finally:
            transaction.rollback()
    for write in plan.writes:
        state = states.get(write.row.record_key)
        items.append(_describe(write, state.payload if state else {}))
    items += [PreviewItem(w.row.record_key, "unchanged") for w in plan.unchanged]
    items += [PreviewItem(row.record_key, "error", note=f"{e.code}: {e.message}") for row, e in plan.failures]
    items += [PreviewItem(row.record_key, "waits for the next batch", note="same person as another record")
              for row in plan.deferred]  # fmt: skip
    items += [PreviewItem(row.record_key, "review", note=why.explanation) for row, why in plan.reviews]
    return Preview(items, _calls(ctx), _estimate(handoff, plan), more)


def _describe(write: PlannedWrite, before: dict[str, Any]) -> PreviewItem:
    destination = write.destination
    if destination.target_id is None:
        action = f"create {destination.object}"
        changes = {name: (None, value) for name, value in write.mapped.fields.items() if value is not None}
    else:
        verb = "link" if destination.new_link else "update"
        action = f"{verb} {destination.object} {destination.target_id}"
        changes = {
            name: (before.get(name), value)
            for name, value in write.mapped.fields.items()
            if before.get(name) != value
        }
    return PreviewItem(write.row.record_key, action, changes, destination.explanation)


def _calls(ctx: RunContext) -> dict[str, int]:
    return {kind: sum(calls.values()) for kind, calls in ctx.api_calls().items()}


def _estimate(handoff: Handoff, plan) -> dict[str, int]:
    """API calls a run would spend on these records: reads done so far plus batched writes."""
    ctx = handoff.ctx
    estimate = _calls(ctx)
    groups: dict[tuple[str, str], int] = {}
    for write in plan.writes:
        key = (write.mapped.object, write.key_field)
        groups[key] = groups.get(key, 0) + 1
    writes = sum(math.ceil(count / ctx.target.max_write_batch) for count in groups.values())
    estimate[ctx.target.name] = estimate.get(ctx.target.name, 0) + writes
    if handoff.writeback.enabled and plan.writes:
        writebacks = math.ceil(len(plan.writes) / ctx.source.max_write_batch)
        estimate[ctx.source.name] = estimate.get(ctx.source.name, 0) + writebacks
    return estimate
