"""Plan one batch of won deals from the state store alone: what each opportunity's deal, company and line
items become, before any CRM call.

For each opportunity snapshot:
- won: map the deal (its stage through ``[stages]``; an unmapped stage is an error row), its line items
  and its company; the company is the one linked to the Account, else the one the mirror finds by domain
  or normalised name (several: an error row, never a guess), else a new one (or an error row when
  ``[company] create = false``);
- not won but its deal exists (reopened, or lost after it was won): ``[won] on_reversal`` moves the
  deal to the reversal stage, or opens an error row and leaves the deal alone;
- not won and never synced: dropped, nothing to write.
The companies are planned by :mod:`.company_plan`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection

from connector.errors import ErrorCategory
from connector.flows.won_deals.company_plan import WAIT, CompanyPlanner
from connector.flows.won_deals.mapping import WonDealsMapping
from connector.flows.won_deals.snapshot import is_won
from connector.flows.won_deals.writes import BatchPlan, DealWrite, LineWrite, error, with_fields
from connector.mapping import Conflicts, MappedRecord, MappingFailure, map_record, map_section, payload_hash
from connector.records import RecordError
from connector.state import links
from connector.state.links import SyncedState
from connector.state.outbox import OutboxRow


class DealPlanner:
    """Turns claimed outbox rows into a BatchPlan. Reads the store; never calls a system itself."""

    def __init__(self, mapping: WonDealsMapping, *, source: str, target: str, flow: str) -> None:
        self.mapping = mapping
        self.spec = mapping.spec
        self.source = source
        self.target = target
        self.flow = flow
        self.companies = CompanyPlanner(mapping, source=source, target=target, flow=flow)

    def plan(
        self, connection: Connection, rows: Sequence[OutboxRow], deal_current: Mapping[str, Mapping[str, Any]]
    ) -> BatchPlan:
        """``deal_current``: the CRM's values of deal fields whose conflict rule needs them, by deal id."""
        plan, keys = BatchPlan(), [row.record_key for row in rows]
        deals = links.targets_of(connection, self.source, self.spec.source.object, keys, self.target)
        states = links.synced_states(connection, f"{self.flow}:deals", keys)
        line_states = self._line_states(connection, rows)
        for row in rows:
            deal = deals.get(row.record_key)
            deal_id = deal.record_id if deal else None
            planned = self._row(row, deal_id, states.get(row.record_key), deal_current, line_states)
            if planned is None:
                plan.dropped.append(row)
            elif isinstance(planned, RecordError):
                plan.failures.append((row, planned))
            else:
                plan.writes.append(planned)
        self._plan_companies(connection, plan)
        return plan

    # ---- one opportunity -------------------------------------------------------------------------------
    def _row(self, row: OutboxRow, deal_id: str | None, state: SyncedState | None, deal_current, line_states):
        """The deal write of one opportunity, why it cannot be written, or None (nothing to write)."""
        previous = state.payload if state else {}
        if not is_won(row.payload, self.spec.won.field):
            return self._reversal(row, deal_id, previous) if deal_id else None
        mapped = self._deal(row, deal_id, previous, deal_current.get(deal_id or "", {}))
        if isinstance(mapped, RecordError):
            return mapped
        lines = self._lines(row, line_states)
        if isinstance(lines, RecordError):
            return lines
        account = row.payload["fields"].get(self.spec.company.key_from)
        roles = list(row.payload["roles"])
        return DealWrite(
            row, False, mapped, deal_id, str(account) if account else None, lines, roles, previous
        )

    def _deal(self, row: OutboxRow, deal_id: str | None, previous, current) -> MappedRecord | RecordError:
        """The deal's mapped fields, its pipeline and stage included; an unmapped stage is an error."""
        stages, fields = self.spec.stages, row.payload["fields"]
        stage_name = str(fields.get(stages.from_) or "")
        stage = stages.target(stage_name)
        if stage is None:
            mapped_stages = ", ".join(sorted(stages.map))
            message = f"won stage {stage_name!r} is not in [stages] map (mapped: {mapped_stages})"
            return error(ErrorCategory.MAPPING, "UNMAPPED_STAGE", message, (stages.from_,))
        context = {"source_id": row.record_key, "opportunity_id": row.record_key}
        mapped = map_record(
            self.mapping, fields, context, target_current=current, last_written=previous.get("fields"),
            creating=deal_id is None,
        )  # fmt: skip
        if isinstance(mapped, MappingFailure):
            return mapped.record_error()
        return with_fields(mapped, {stages.pipeline_field: stage.pipeline, stages.stage_field: stage.stage})

    def _reversal(self, row: OutboxRow, deal_id: str, previous: Mapping[str, Any]) -> DealWrite | RecordError:
        won = self.spec.won
        if won.on_reversal == "error":
            message = (
                f"opportunity {row.record_key} was won and synced as deal {deal_id}, and is no longer won; "
                'the deal was left as it is (move it in the CRM, or set [won] on_reversal = "move_to_stage")'
            )
            return error(ErrorCategory.RECORD_REJECT, "WON_DEAL_REVERSED", message, (won.field,))
        stages, target = self.spec.stages, self.spec.target
        moved = stages.target_for(won.reversal_pipeline, won.reversal_stage)
        payload = {stages.pipeline_field: moved.pipeline, stages.stage_field: moved.stage}
        digest = payload_hash(target.object, payload)
        mapped = MappedRecord(target.object, target.upsert_key, target.key_prefix + row.record_key, payload,
                              payload, digest)  # fmt: skip
        return DealWrite(row, True, mapped, deal_id, None, [], [], previous)

    def _lines(self, row: OutboxRow, line_states: Mapping[str, SyncedState]) -> list[LineWrite] | RecordError:
        """The opportunity's line items and their products, mapped; a line without a product is an error."""
        spec, lines = self.spec, []
        for line in row.payload["lines"]:
            fields, line_id = line["fields"], line["id"]
            code, product_ref = fields.get(spec.products.code_from), fields.get(spec.products.id_from)
            if not code or not product_ref:
                message = f"line item {line_id} has no product code ({spec.products.code_from})"
                return error(
                    ErrorCategory.MAPPING, "PRODUCT_WITHOUT_CODE", message, (spec.products.code_from,)
                )
            context = {"source_id": line_id, "opportunity_id": row.record_key}
            state = line_states.get(line_id)
            record = (spec.line_items.object, spec.line_items.upsert_key, line_id)
            conflicts = Conflicts(state is None, None, state.payload.get("fields") if state else None)
            mapped = map_section(
                self.mapping, "line_items.fields", record, fields, context, conflicts=conflicts
            )
            product_record = (spec.products.object, spec.products.key, str(code))
            product = map_section(
                self.mapping,
                "products.fields",
                product_record,
                fields,
                context,
                conflicts=Conflicts(True, None, None),
            )
            if isinstance(mapped, MappingFailure) or isinstance(product, MappingFailure):
                failure = mapped if isinstance(mapped, MappingFailure) else product
                return failure.record_error()  # type: ignore[union-attr]
            lines.append(LineWrite(line_id, str(product_ref), str(code), mapped, product))
        return lines

    def _line_states(self, connection: Connection, rows: Sequence[OutboxRow]):
        ids = [line["id"] for row in rows for line in row.payload.get("lines", ())]
        return links.synced_states(connection, f"{self.flow}:lines", ids)

    # ---- companies -------------------------------------------------------------------------------------
    def _plan_companies(self, connection: Connection, plan: BatchPlan) -> None:
        """The company of every Account in the batch; rows whose company cannot be decided fail or wait."""
        firsts: dict[str, DealWrite] = {}
        for write in plan.writes:
            if write.account_id and not write.reversal:
                firsts.setdefault(write.account_id, write)
        refused: dict[str, RecordError] = {}
        for account, decision in self.companies.plan(connection, firsts).items():
            if isinstance(decision, RecordError):
                refused[account] = decision
            else:
                plan.companies[account] = decision
        kept = []
        for write in plan.writes:
            problem = refused.get(write.account_id or "")
            if problem is None or write.reversal:
                kept.append(write)
            elif problem is WAIT:
                plan.deferred.append(write.row)
            else:
                plan.failures.append((write.row, problem))
        plan.writes = kept
