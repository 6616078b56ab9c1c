"""`revloop mappings preview`: what the next feedback run would do, without writing to any system.

It reads Salesforce from the flow's cursors like a run does, and plans with the same planner (matching
and the MA's current values are reads) inside a state-store transaction that is rolled back: nothing is
queued, no cursor moves, no system is written.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from connector.flows.base import Preview, PreviewItem, RunContext
from connector.flows.feedback.plan import FeedbackPlan, Planned
from connector.flows.feedback.source import STREAMS
from connector.state.outbox import OutboxRow

if TYPE_CHECKING:
    from connector.flows.feedback.flow import Feedback

SKIPPED = {"unlinked": 'not linked to the MA ([match] unlinked = "skip")', "not_in_ma": "not in the MA"}


def preview(feedback: Feedback, limit: int) -> Preview:
    ctx, reader = feedback.ctx, feedback.reader
    rows: list[OutboxRow] = []
    more = False
    with ctx.engine.connect() as connection:
        transaction = connection.begin()
        try:
            for stream in STREAMS:
                for page in reader.read_pages(connection, stream, dry_run=True):
                    people = reader.assemble(stream, page.records)
                    for key, item, source_hash in reader.accept(connection, stream, page, people):
                        rows.append(OutboxRow(-(len(rows) + 1), key, item, source_hash, attempt=1))
                    more = more or len(rows) > limit
                    if more:
                        break
                if more:
                    break
        finally:
            transaction.rollback()
    plan = feedback.writer.planner.plan(rows[:limit])
    return Preview(_items(plan), _calls(ctx), _estimate(feedback, plan), more)


def _items(plan: FeedbackPlan) -> list[PreviewItem]:
    items = [_describe(write) for write in plan.writes]
    items += [
        PreviewItem(w.row.record_key, "unchanged", note=f"MA record {w.target.record_id}") for w in plan.quiet
    ]
    items += [PreviewItem(row.record_key, "error", note=f"{e.code}: {e.message}") for row, e in plan.failures]
    items += [PreviewItem(row.record_key, "skip", note=SKIPPED.get(why, why)) for row, why in plan.skipped]
    items += [PreviewItem(row.record_key, "waits for the next batch", note="same MA record as another person")
              for row in plan.deferred]  # fmt: skip
    return items


def _describe(write: Planned) -> PreviewItem:
    verb = "link and update" if write.target.link_id is None else "update"
    before = write.last_written or {}
    changes = {
        name: (before.get(name), value)
        for name, value in write.mapped.fields.items()
        if before.get(name) != value
    }
    held = "; ".join(f"{name}: {why}" for name, why in write.mapped.withheld.items())
    note = "; ".join(part for part in (write.target.explanation, held) if part)
    return PreviewItem(
        write.row.record_key, f"{verb} {write.mapped.object} {write.target.record_id}", changes, note
    )


def _calls(ctx: RunContext) -> dict[str, int]:
    return {name: sum(calls.values()) for name, calls in ctx.api_calls().items()}


def _estimate(feedback: Feedback, plan: FeedbackPlan) -> dict[str, int]:
    """API calls a run would spend on these records: reads done so far plus batched writes."""
    ctx = feedback.ctx
    estimate = _calls(ctx)
    batch = ctx.target.max_write_batch
    batches = [plan.writes[start : start + batch] for start in range(0, len(plan.writes), batch)]
    writes = len(batches) + sum(1 for part in batches if any(w.clears for w in part))  # a clear call first
    if feedback.nurture.enabled:
        writes += math.ceil(
            sum(1 for w in plan.writes if w.row.payload["values"].get("disqualified")) / batch
        )
    if writes:
        estimate[ctx.target.name] = estimate.get(ctx.target.name, 0) + writes
    return estimate
