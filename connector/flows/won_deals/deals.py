"""The deals stage, the flow's primary one: a batch of opportunities becomes companies, products, deals and
deal → company associations in the CRM, then everything it learnt is recorded in ONE transaction.

The transaction links the records (Account ↔ company, product ↔ product, Opportunity ↔ deal), stores what
was written (conflict rules and change detection read it next time), adds the companies to the mirror,
queues the deals' line items and people for the follow-up stages, and records each refused opportunity
as an error row. A crash before it leaves the batch in flight: the next run re-sends it as the same
upserts, so nothing is created twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from sqlalchemy import Connection

from connector.errors import ErrorCategory
from connector.flows.base import RunContext
from connector.flows.crashpoints import crash_point
from connector.flows.pipeline import ErrorReporter, Stage, stop_on_drift
from connector.flows.won_deals import companies
from connector.flows.won_deals.lines import LineItems
from connector.flows.won_deals.mapping import WonDealsMapping
from connector.flows.won_deals.people import People
from connector.flows.won_deals.plan import DealPlanner
from connector.flows.won_deals.products import resolve
from connector.flows.won_deals.send import (
    Sent,
    associate_companies,
    current_values,
    send_companies,
    send_deals,
)
from connector.flows.won_deals.snapshot import children_hashes, fields_hash
from connector.flows.won_deals.source import STAGE
from connector.flows.won_deals.writes import CompanyWrite, DealWrite, state_row
from connector.mapping import names_needing_current
from connector.records import RecordError
from connector.state import identity, links, outbox, sync_errors
from connector.state.links import RecordRef
from connector.state.outbox import OutboxRow


class Deals(Stage):
    """Writes won opportunities as deals (see the module docstring)."""

    name = STAGE

    def __init__(
        self,
        ctx: RunContext,
        errors: ErrorReporter,
        mapping: WonDealsMapping,
        *,
        lines: LineItems,
        people: People,
    ) -> None:
        super().__init__(ctx, errors)
        self.mapping = mapping
        self.spec = mapping.spec
        self.lines = lines
        self.people = people
        self.direction = f"{ctx.flow}:{STAGE}"
        self.planner = DealPlanner(mapping, source=ctx.source.name, target=ctx.target.name, flow=ctx.flow)
        self._mirrored = False

    @property
    def batch_size(self) -> int:
        return self.ctx.target.max_write_batch

    # ---- write -----------------------------------------------------------------------------------------
    def write(self, rows: Sequence[OutboxRow]) -> Sent:
        self.ensure_mirror()
        ctx = self.ctx
        deal_current = self.deal_current(rows)
        with ctx.engine.connect() as connection:
            plan = self.planner.plan(connection, rows, deal_current)
        lines = [line for write in plan.writes for line in write.lines]
        products = resolve(
            ctx.engine, source=ctx.source, crm=ctx.target, spec=self.spec.products, lines=lines
        )
        sent = Sent(plan, products)
        send_companies(ctx.target, self.mapping, plan, sent)
        send_deals(ctx.target, self.mapping, plan.writes, sent)
        associate_companies(ctx.target, self.mapping, plan.writes, sent)
        crash_point(f"after_{STAGE}_send")
        return sent

    def ensure_mirror(self) -> None:
        """Refresh the mirror of the CRM's companies once per run, before the first batch is planned."""
        if not self._mirrored:
            needed = names_needing_current(self.mapping.section("company.fields"))
            self.ctx.counts["mirrored"] += companies.refresh(
                self.ctx.engine, self.ctx.target, self.spec.company, needed
            )
            self._mirrored = True

    def deal_current(self, rows: Sequence[OutboxRow]) -> dict[str, dict[str, Any]]:
        """The CRM's values of deal fields whose conflict rule needs them, for deals revloop linked before."""
        names = names_needing_current(self.mapping.fields)
        if not names:
            return {}
        ctx, keys = self.ctx, [row.record_key for row in rows]
        with ctx.engine.connect() as connection:
            deals = links.targets_of(
                connection, ctx.source.name, self.spec.source.object, keys, ctx.target.name
            )
        ids = [target.record_id for target in deals.values()]
        found = current_values(ctx.target, self.spec.target.object, self.spec.record_id, ids, names)
        return {deal_id: found.get(deal_id) or dict.fromkeys(names) for deal_id in ids}

    # ---- complete ----------------------------------------------------------------------------------------
    def complete(self, rows: Sequence[OutboxRow], written: Sent) -> None:
        with self.ctx.engine.begin() as connection:
            drift = self._commit(connection, written)
        crash_point(f"after_{STAGE}_commit")
        stop_on_drift(self.ctx, drift)

    def _commit(self, connection: Connection, sent: Sent) -> RecordError | None:
        plan, ctx = sent.plan, self.ctx
        self._link_products(connection, sent)
        self._record_companies(connection, sent)
        written = [write for write in plan.writes if write.row.id not in sent.deal_errors]
        self._record_deals(connection, written, sent)
        drift: RecordError | None = None
        for write in plan.writes:
            problem = sent.deal_errors.get(write.row.id)
            if problem is not None:
                drift = drift or self._refuse(connection, write.row, problem, write.mapped.fields)
        for row, problem in plan.failures:
            drift = drift or self._refuse(connection, row, problem, row.payload.get("fields"))
        done = [*plan.dropped, *(write.row for write in written)]
        outbox.release(connection, plan.deferred, ctx.owner, undo_attempt=True)
        outbox.done(connection, done, ctx.owner)
        sync_errors.resolve(connection, ctx.flow, STAGE, [row.record_key for row in done])
        ctx.counts["dropped"] += len(plan.dropped)
        return drift

    def _refuse(
        self, connection: Connection, row: OutboxRow, problem: RecordError, payload
    ) -> RecordError | None:
        shown = replace(problem, message=f"{self.ctx.target.name}: {problem.message}")
        self.errors.refuse(connection, STAGE, row, shown, dict(payload or {}), pauses_on_drift=True)
        return problem if problem.category is ErrorCategory.SCHEMA_DRIFT else None

    def _link_products(self, connection: Connection, sent: Sent) -> None:
        ctx, spec = self.ctx, self.spec.products
        for status in ("created", "linked"):
            pairs = [
                (
                    RecordRef(ctx.source.name, spec.source, ref),
                    RecordRef(ctx.target.name, spec.object, crm_id),
                )
                for ref, crm_id, how in sent.products.new_links
                if how == status
            ]
            links.connect(connection, pairs, "product", status=status, made_by=ctx.flow)
            ctx.counts[f"products_{status}"] += len(pairs)

    def _record_companies(self, connection: Connection, sent: Sent) -> None:
        """Link the batch's companies, store what was written, mirror them."""
        ctx, spec = self.ctx, self.spec.company
        written = [c for c in sent.plan.companies.values() if sent.companies.get(c.account_id)]
        link_ids: dict[str, int] = {}
        for status in ("created", "linked", "known"):
            pairs = [(RecordRef(ctx.source.name, spec.source, c.account_id),
                      RecordRef(ctx.target.name, spec.object, sent.companies[c.account_id]))
                     for c in written if c.status == status]  # fmt: skip
            link_ids.update(links.connect(connection, pairs, "company", status=status, made_by=ctx.flow))
            if status != "known":
                ctx.counts[f"companies_{status}"] += len(pairs)
        states = links.synced_states(connection, f"{ctx.flow}:companies", [c.account_id for c in written])
        rows, entries = [], []
        for company in written:
            state = states.get(company.account_id)
            payload = company.mapped.written_state(state.payload if state else None)
            digest = company.mapped.payload_hash
            rows.append(state_row(company.account_id, link_ids[company.account_id], payload, digest))
            entries.append(self._entry(company, sent.companies[company.account_id]))
        links.save_states(connection, f"{ctx.flow}:companies", rows, ctx.run_id)
        identity.save(connection, entries)

    def _entry(self, company: CompanyWrite, company_id: str):
        """The mirror entry of a company just written (what the CRM held, and what revloop wrote), so the
        next batch matches against it at once."""
        fields = {**company.current, **company.mapped.fields}
        if company.creating:
            fields[self.spec.company.upsert_key] = company.account_id
        return companies.entry(self.ctx.target.name, self.spec.company, company_id, fields)

    def _record_deals(self, connection: Connection, writes: Sequence[DealWrite], sent: Sent) -> None:
        """Link the written deals, queue their line items and people, store what was written."""
        ctx, spec = self.ctx, self.spec
        pairs = [
            (RecordRef(ctx.source.name, spec.source.object, write.opportunity_id),
             RecordRef(ctx.target.name, spec.target.object, sent.deals[write.row.id]))
            for write in writes
        ]  # fmt: skip
        link_ids = links.connect(connection, pairs, "deal", status="created", made_by=ctx.flow)
        won = [(write, sent.deals[write.row.id]) for write in writes if not write.reversal]
        lines = self.lines.enqueue(connection, won, sent.products.ids)
        people = self.people.enqueue(connection, won)
        states = []
        for write in writes:
            previous = write.previous
            state: dict[str, Any] = {
                "fields": write.mapped.written_state(previous.get("fields")),
                "hash": write.mapped.payload_hash,
                "company_id": previous.get("company_id") if write.reversal else sent.company_of(write),
                "lines": lines.get(write.opportunity_id, previous.get("lines", [])),
                "people": people.get(write.opportunity_id, previous.get("people", [])),
                "fields_hash": fields_hash(write.row.payload["fields"]),
                "children": children_hashes(write.row.payload),
            }
            digest, source_hash = write.mapped.payload_hash, write.row.source_hash
            states.append(
                state_row(write.opportunity_id, link_ids[write.opportunity_id], state, digest, source_hash)
            )
            self._count(write)
        links.save_states(connection, self.direction, states, ctx.run_id)

    def _count(self, write: DealWrite) -> None:
        if write.reversal:
            self.ctx.counts["reversed"] += 1
        else:
            self.ctx.counts["deals_created" if write.deal_id is None else "deals_updated"] += 1
