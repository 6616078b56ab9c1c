"""The feedback's primary stage: plan a batch of waiting people, update their MA records, record it all.

Per batch (at most the MA's maximum: HubSpot 100, Marketo 300): plan (:mod:`.plan`: links, matching,
mapping, the MA's current values when rules need them), one update call keyed by the MA record's id
(HubSpot batch update, Marketo updateOnly by id: a re-send after a crash updates the same record again,
and nothing is ever created), then in ONE transaction: new links, what was written (the sync state and
the values revloop wrote, so no reader takes them for an edit), error rows, and the nurture list's rows.
Schema drift pauses the flow once the batch is recorded.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, cast

from sqlalchemy import Connection

from connector.errors import ErrorCategory
from connector.flows.base import RunContext
from connector.flows.crashpoints import crash_point
from connector.flows.feedback.mapping import FeedbackMapping
from connector.flows.feedback.nurture import NurtureList
from connector.flows.feedback.plan import FeedbackPlan, FeedbackPlanner, Planned
from connector.flows.pipeline import ErrorReporter, Stage, stop_on_drift
from connector.records import Outgoing, RecordError, WriteResult
from connector.state import links, outbox, sync_errors
from connector.state.links import RecordRef
from connector.state.outbox import OutboxRow
from connector.state.written import Written, remember_written

STAGE = "write"


class FeedbackWriter(Stage):
    """Writes queued people's sales state to their MA records (see the module docstring)."""

    name = STAGE

    def __init__(
        self, ctx: RunContext, errors: ErrorReporter, mapping: FeedbackMapping, *, nurture: NurtureList
    ) -> None:
        super().__init__(ctx, errors)
        self.mapping = mapping
        self.direction = f"{ctx.flow}:{STAGE}"
        self.nurture = nurture
        self.planner = FeedbackPlanner(ctx, mapping, direction=self.direction)

    @property
    def batch_size(self) -> int:
        return self.ctx.target.max_write_batch

    def write(self, rows: Sequence[OutboxRow]) -> tuple[FeedbackPlan, dict[int, WriteResult]]:
        crash_point("after_claim")
        plan = self.planner.plan(rows)
        results = self._send(plan.writes)
        crash_point("after_send")
        return plan, results

    def complete(
        self, rows: Sequence[OutboxRow], written: tuple[FeedbackPlan, dict[int, WriteResult]]
    ) -> None:
        drift = self._commit(*written)
        crash_point("after_commit")
        stop_on_drift(self.ctx, drift)

    def _send(self, writes: Sequence[Planned]) -> dict[int, WriteResult]:
        """One update call for the batch, keyed by the MA records' ids; results by outbox row id. Fields
        that move back and must be cleared first are cleared by a call before it; a record whose clear
        is refused is not written (a crash between the two calls heals: the retry finds the field blank,
        so nothing moves back any more)."""
        results = self._clear_first([write for write in writes if write.clears])
        sending = [write for write in writes if write.row.id not in results]
        if sending:
            outgoing = [Outgoing(write.target.record_id, write.mapped.fields) for write in sending]
            answers = self._update(outgoing)
            results |= {write.row.id: answer for write, answer in zip(sending, answers, strict=True)}
        return results

    def _clear_first(self, writes: Sequence[Planned]) -> dict[int, WriteResult]:
        """Clear the fields each write moves back; returns the refusals by outbox row id."""
        if not writes:
            return {}
        outgoing = [Outgoing(write.target.record_id, dict.fromkeys(write.clears)) for write in writes]
        answers = self._update(outgoing)
        return {write.row.id: answer for write, answer in zip(writes, answers, strict=True) if not answer.ok}

    def _update(self, outgoing: Sequence[Outgoing]) -> list[WriteResult]:
        target = self.mapping.spec.target
        options = {key: str(value) for key, value in target.options.items()}
        return self.ctx.target.upsert(target.object, target.upsert_key, outgoing, options=options)

    # ---- bookkeeping, one transaction per batch ---------------------------------------------------
    def _commit(self, plan: FeedbackPlan, results: dict[int, WriteResult]) -> RecordError | None:
        ctx, drift = self.ctx, None
        with ctx.engine.begin() as connection:
            succeeded = list(plan.quiet)
            for write in plan.writes:
                result = results[write.row.id]
                if result.ok:
                    succeeded.append(write)
                    ctx.counts["linked" if write.target.link_id is None else "updated"] += 1
                else:  # a FAILED result always carries its error
                    error = cast(RecordError, result.error)
                    drift = drift or self._failed(connection, write.row, error, write.mapped.fields)
            for row, error in plan.failures:
                drift = drift or self._failed(connection, row, error, None)
            outbox.release(connection, plan.deferred, ctx.owner, undo_attempt=True)
            for _row, counter in plan.skipped:
                ctx.counts[counter] += 1
            skipped = [row for row, _ in plan.skipped]
            self._record_success(connection, succeeded)
            sync_errors.resolve(connection, ctx.flow, STAGE, [row.record_key for row in skipped])
            outbox.done(connection, skipped, ctx.owner)
        return drift

    def _record_success(self, connection: Connection, succeeded: Sequence[Planned]) -> None:
        ctx, target = self.ctx, self.mapping.spec.target
        link_ids = self._link(connection, succeeded)
        states = [
            {
                "record_key": write.row.record_key,
                "link_id": link_ids[write.row.record_key],
                "payload": write.written_state(),
                "payload_hash": write.mapped.payload_hash,
                "source_hash": write.row.source_hash,
            }
            for write in succeeded
        ]
        links.save_states(connection, self.direction, states, ctx.run_id)
        sent = [Written(w.target.record_id, link_ids[w.row.record_key], w.mapped.fields) for w in succeeded]
        remember_written(connection, ctx.target.name, target.object, sent, run_id=ctx.run_id)
        disqualified = [w for w in succeeded if w.row.payload["values"].get("disqualified")]
        self.nurture.enqueue(connection, [(w.row.record_key, w.target.record_id) for w in disqualified])
        sync_errors.resolve(connection, ctx.flow, STAGE, [w.row.record_key for w in succeeded])
        outbox.done(connection, [w.row for w in succeeded], ctx.owner)

    def _link(self, connection: Connection, succeeded: Sequence[Planned]) -> dict[str, int]:
        """Link people matched by this batch; follow conversions; link ids by the person's key."""
        ctx, obj = self.ctx, self.mapping.spec.target.object
        link_ids = {w.row.record_key: w.target.link_id for w in succeeded if w.target.link_id is not None}
        matched = [
            (RecordRef(ctx.source.name, w.row.payload["values"]["salesforce_object"], w.row.record_key),
             RecordRef(ctx.target.name, obj, w.target.record_id))
            for w in succeeded if w.target.link_id is None
        ]  # fmt: skip
        link_ids.update(links.connect(connection, matched, "person", status="linked", made_by=ctx.flow))
        for write in succeeded:  # the handoff linked the Lead; sales converted it: the link goes on
            values = write.row.payload["values"]
            if values.get("is_converted") and values.get("lead_id") and values.get("contact_id"):
                lead = RecordRef(ctx.source.name, "Lead", values["lead_id"])
                contact = RecordRef(ctx.source.name, "Contact", values["contact_id"])
                links.follow_conversion(connection, lead, contact)
        return link_ids

    def _failed(
        self, connection: Connection, row: OutboxRow, error: RecordError, payload: Mapping[str, Any] | None
    ) -> RecordError | None:
        """Record a refused row (it waits with back-off); returns the error when it is schema drift.

        The error row is about the Salesforce person; when the MA refused it, the message says so.
        """
        shown, fields = error, dict(row.payload["values"])
        if payload is not None:
            shown = replace(error, message=f"{self.ctx.target.name} refused it: {error.message}")
            fields = dict(payload)
        self.errors.refuse(connection, STAGE, row, shown, fields, pauses_on_drift=True)
        return error if error.category is ErrorCategory.SCHEMA_DRIFT else None
