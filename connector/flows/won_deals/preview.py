"""`revloop mappings preview won_deals`: what the next run would do, without writing to any system.

It reads changed opportunities from the flow's cursor like a run does (line items and contact roles of
those opportunities included; the child streams' own changes are left to the run) and plans them with
the same planner from a read-only view of the store: nothing is queued, no cursor moves, no system is
written. (The company mirror it refreshes first is a cache of the CRM and is kept.)
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from connector.flows.base import Preview, PreviewItem
from connector.flows.won_deals.source import OPPORTUNITIES
from connector.flows.won_deals.writes import BatchPlan, DealWrite
from connector.state import runs
from connector.state.outbox import OutboxRow

if TYPE_CHECKING:
    from connector.flows.won_deals.flow import WonDeals


def preview(flow: WonDeals, limit: int) -> Preview:
    ctx = flow.ctx
    flow.deals.ensure_mirror()
    with ctx.engine.connect() as connection:
        cursor = runs.get_cursor(connection, ctx.flow, OPPORTUNITIES)
    rows: list[OutboxRow] = []
    more = False
    for page in flow.reader.opportunity_stream(cursor, dry_run=True):
        for key, snapshot, digest in flow.reader.changed(flow.reader.snapshots(page.records)):
            rows.append(OutboxRow(-(len(rows) + 1), key, snapshot, digest, attempt=1))
        if len(rows) >= limit:
            more = len(rows) > limit
            break
    rows = rows[:limit]
    deal_current = flow.deals.deal_current(rows)
    with ctx.engine.connect() as connection:
        plan = flow.deals.planner.plan(connection, rows, deal_current)
    items = [_describe(flow, write, plan) for write in plan.writes]
    items += [PreviewItem(row.record_key, "error", note=f"{e.code}: {e.message}") for row, e in plan.failures]
    items += [
        PreviewItem(row.record_key, "nothing", note="not won, and no deal to move") for row in plan.dropped
    ]
    items += [PreviewItem(row.record_key, "waits for the next batch", note="its new company is another's")
              for row in plan.deferred]  # fmt: skip
    calls = {name: sum(per.values()) for name, per in ctx.api_calls().items()}
    return Preview(items, calls, _estimate(flow, plan, calls), more)


def _describe(flow: WonDeals, write: DealWrite, plan: BatchPlan) -> PreviewItem:
    before: dict[str, Any] = dict(write.previous.get("fields") or {})
    changes = {
        name: (before.get(name), value)
        for name, value in write.mapped.fields.items()
        if before.get(name) != value
    }
    if write.reversal:
        stage = write.mapped.fields.get(flow.mapping.spec.stages.stage_field)
        return PreviewItem(
            write.opportunity_id, f"move deal {write.deal_id} to {stage}", changes, "no longer won"
        )
    action = "create deal" if write.deal_id is None else f"update deal {write.deal_id}"
    company = plan.companies.get(write.account_id or "")
    notes = [f"{len(write.lines)} line items", f"{len(write.roles)} people"]
    if company is not None:
        name = company.mapped.payload.get(flow.mapping.spec.company.match_name or "") or write.account_id
        verb = {"known": "company", "linked": "link company", "created": "create company"}[company.status]
        notes.insert(0, f"{verb} {company.company_id or name!r}")
    return PreviewItem(write.opportunity_id, action, changes, "; ".join(notes))


def _estimate(flow: WonDeals, plan: BatchPlan, calls: dict[str, int]) -> dict[str, int]:
    """API calls a run would spend on these records: the reads so far, then every write batched."""
    batch = flow.ctx.target.max_write_batch
    companies = plan.companies.values()
    creates = sum(1 for company in companies if company.creating)
    updates = sum(1 for company in companies if not company.creating and company.needs_write)
    lines = sum(len(write.lines) for write in plan.writes)
    people = sum(len(write.roles) for write in plan.writes)
    deals = len(plan.writes)
    writes = sum(
        math.ceil(count / batch) for count in (creates, updates, deals, deals)
    )  # deals + associations
    writes += 2 * math.ceil(lines / batch) + 2 * math.ceil(people / batch)  # upserts + associations
    estimate = dict(calls)
    target = flow.ctx.target.name
    estimate[target] = estimate.get(target, 0) + writes
    return estimate
