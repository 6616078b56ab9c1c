"""The handoff's writing stages: plan a batch of waiting people, write them to the SFA, record it all.

Per batch (at most the SFA's maximum, 200): refresh the identity mirror once, plan (link, match, route,
map; see plan.py), upsert keyed by the external id holding the MA id (a re-send after a crash updates
instead of duplicating), then in ONE transaction record links, payload states, identity entries, review
cases, errors and the writebacks and tasks to send. Schema drift pauses the flow once it is recorded.

People newly linked to an existing record are updated by Id, a call of its own: mixed into batches of
creates they would cost a second call per batch. The primary stage (``write``) hands them on to the
link lane (``link``, :class:`LinkWriter`), which plans them again and writes them 200 a call.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from connector.errors import ErrorCategory
from connector.flows import identity_mirror
from connector.flows.base import RunContext
from connector.flows.crashpoints import crash_point
from connector.flows.handoff.match import Source, case_draft
from connector.flows.handoff.plan import BatchPlan, HandoffPlanner, PlannedWrite, entry_fields, record_context
from connector.flows.handoff.sections import fields_needing_current
from connector.flows.handoff.tasks import FollowUpTasks
from connector.flows.handoff.writeback import Writeback, WrittenRecord
from connector.flows.pipeline import ErrorReporter, Stage, stop_on_drift
from connector.mapping import Mapping
from connector.matching import IdentityDecision
from connector.records import ObjectSchema, Outcome, Outgoing, RecordError, WriteResult
from connector.state import identity, links, outbox, review, sync_errors
from connector.state.links import RecordRef
from connector.state.outbox import OutboxRow
from connector.state.written import Written, remember_written

STAGE = "write"
LINK_STAGE = "link"


class HandoffWriter(Stage):
    """Writes queued people to the SFA (see the module docstring)."""

    name = STAGE

    def __init__(
        self,
        ctx: RunContext,
        errors: ErrorReporter,
        mapping: Mapping,
        *,
        writeback: Writeback,
        tasks: FollowUpTasks,
        primary: HandoffWriter | None = None,
    ) -> None:
        super().__init__(ctx, errors)
        self.primary = primary
        """Set on the link lane: the primary stage, whose mirror and schemas it shares."""
        self.mapping = mapping
        self.direction = f"{ctx.flow}:{STAGE}"
        self.writeback = writeback
        self.tasks = tasks
        self.source = Source(ctx.flow, self.name, ctx.source.name, mapping.spec.source.object)
        self.planner = HandoffPlanner(
            mapping, source=self.source, target_kind=ctx.target.name, direction=self.direction,
            schema=self.schema,
        )  # fmt: skip
        self._schemas: dict[str, ObjectSchema] = {}
        self._mirrored = False

    @property
    def batch_size(self) -> int:
        return self.ctx.target.max_write_batch

    def write(self, rows: Sequence[OutboxRow]) -> SentBatch:
        crash_point("after_claim")
        self.ensure_mirror()
        with self.ctx.engine.connect() as connection:
            plan = self.planner.plan(connection, rows)
        handed_on = [write for write in plan.writes if self._for_the_link_lane(write)]
        sending = [write for write in plan.writes if not self._for_the_link_lane(write)]
        results = self._send(sending)
        crash_point("after_send")
        return SentBatch(plan, sending, results, [write.row for write in handed_on])

    def _for_the_link_lane(self, write: PlannedWrite) -> bool:
        """A new link to an existing record, planned by the primary stage: the link lane writes it."""
        return self.primary is None and write.destination.new_link and write.destination.target_id is not None

    def complete(self, rows: Sequence[OutboxRow], written: SentBatch) -> None:
        drift = self._commit(written)
        crash_point("after_commit")
        stop_on_drift(self.ctx, drift)

    def _send(self, writes: Sequence[PlannedWrite]) -> dict[int, WriteResult]:
        """One upsert call per (object, key field) group; results keyed by outbox row id."""
        groups: dict[tuple[str, str], list[PlannedWrite]] = defaultdict(list)
        for write in writes:
            groups[(write.mapped.object, write.key_field)].append(write)
        results: dict[int, WriteResult] = {}
        options = {key: str(value) for key, value in self.mapping.spec.target.options.items()}
        for (obj, key_field), group in groups.items():
            outgoing = [Outgoing(write.key, write.mapped.fields) for write in group]
            answers = self.ctx.target.upsert(obj, key_field, outgoing, options=options)
            results.update({write.row.id: answer for write, answer in zip(group, answers, strict=True)})
        return results

    # ---- bookkeeping, one transaction per batch ---------------------------------------------------
    def _commit(self, written: SentBatch) -> RecordError | None:
        ctx, drift, plan, results = self.ctx, None, written.plan, written.results
        with ctx.engine.begin() as connection:
            for lead_id, contact_id in plan.conversions:
                links.follow_conversion(connection, RecordRef(ctx.target.name, "Lead", lead_id),
                                        RecordRef(ctx.target.name, "Contact", contact_id))  # fmt: skip
            succeeded = list(plan.unchanged)
            ids: dict[int, str] = {w.row.id: str(w.destination.target_id) for w in plan.unchanged}
            for write in written.sent:
                result = results[write.row.id]
                if result.ok:
                    succeeded.append(write)
                    ids[write.row.id] = str(result.id or write.destination.target_id)
                    self._count(write, result)
                else:
                    drift = drift or self._failed(connection, write.row, result.error, write.mapped.fields)
            for row, error in plan.failures:
                drift = drift or self._failed(connection, row, error, None)
            outbox.release(connection, plan.deferred, ctx.owner, undo_attempt=True)
            outbox.hand_on(connection, ctx.flow, written.handed_on, ctx.owner, LINK_STAGE)
            self._hold_for_review(connection, plan.reviews)
            self._record_success(connection, succeeded, ids)
        return drift

    def _hold_for_review(self, connection, reviews: Sequence[tuple[OutboxRow, IdentityDecision]]) -> None:
        """Open (or refresh) a review case per row; the row waits for the decision and costs no write."""
        if not reviews:
            return
        drafts = [case_draft(self.source, self.ctx.target.name, row, why) for row, why in reviews]
        review.open_cases(connection, drafts)
        rows = [row for row, _ in reviews]
        outbox.hold_for_review(connection, rows, self.ctx.owner)
        # an earlier error of the record (an ambiguous match before the review queue) is now this case
        self._resolve_errors(connection, [row.record_key for row in rows])
        self.ctx.counts["review"] += len(rows)

    def _record_success(self, connection, succeeded: Sequence[PlannedWrite], ids: dict[int, str]) -> None:
        ctx = self.ctx
        link_ids = self._link(connection, succeeded, ids)
        states, written, tasks = [], [], []
        for write in succeeded:
            key, target_id = write.row.record_key, ids[write.row.id]
            states.append(
                {
                    "record_key": key,
                    "link_id": link_ids[key],
                    "payload": write.written_state(),
                    "payload_hash": write.mapped.payload_hash,
                    "source_hash": write.row.source_hash,
                }
            )
            context = record_context(write.row, write.destination, target_id)
            context["target_object"] = write.mapped.object
            written.append(WrittenRecord(key, link_ids[key], context, write.row.payload.get("current", {})))
            if write.destination.new_link and self.tasks.wanted(write.destination.link_status):
                tasks.append((key, write.mapped.object, target_id, write.row.payload["fields"], context))
        links.save_states(connection, self.direction, states, ctx.run_id)
        for obj in {write.mapped.object for write in succeeded}:  # what a reader of the SFA must not echo
            sent = [Written(ids[w.row.id], link_ids[w.row.record_key], w.mapped.fields)
                    for w in succeeded if w.mapped.object == obj]  # fmt: skip
            remember_written(connection, ctx.target.name, obj, sent, run_id=ctx.run_id)
        identity.save(connection, [self._index_entry(w, ids[w.row.id]) for w in succeeded])
        outcomes = {write.row.record_key: write.destination.link_status for write in succeeded}
        review.settle(connection, ctx.flow, outcomes)
        self._resolve_errors(connection, [w.row.record_key for w in succeeded])
        outbox.done(connection, [w.row for w in succeeded], ctx.owner)
        self.writeback.enqueue(connection, written)
        self.tasks.enqueue(connection, tasks)

    def _link(self, connection, succeeded: Sequence[PlannedWrite], ids: dict[int, str]) -> dict[str, int]:
        """Link new pairs (created or matched) and look up the links of the others; link ids by source id."""
        ctx, source = self.ctx, self.mapping.spec.source.object
        link_ids: dict[str, int] = {}
        for status in ("created", "linked"):
            pairs = [
                (RecordRef(ctx.source.name, source, w.row.record_key),
                 RecordRef(ctx.target.name, w.mapped.object, ids[w.row.id]))
                for w in succeeded
                if w.destination.new_link and w.destination.link_status == status
            ]  # fmt: skip
            link_ids.update(links.connect(connection, pairs, "person", status=status, made_by=ctx.flow))
        others = [w.row.record_key for w in succeeded if w.row.record_key not in link_ids]
        existing = links.targets_of(connection, ctx.source.name, source, others, ctx.target.name)
        link_ids.update({key: target.link_id for key, target in existing.items()})
        return link_ids

    def _resolve_errors(self, connection, keys: Sequence[str]) -> None:
        """The records' errors of either writing stage: a record may fail in one and succeed in the other."""
        for stage in (STAGE, LINK_STAGE):
            sync_errors.resolve(connection, self.ctx.flow, stage, keys)

    def _failed(self, connection, row: OutboxRow, error: RecordError, payload) -> RecordError | None:
        """Record a refused row (it waits with back-off); returns the error when it is schema drift.

        The error row is about the source record; when the target refused it, the message says so.
        """
        shown, fields = error, row.payload.get("fields")
        if payload is not None:
            target = f"{self.ctx.target.name} {self.mapping.spec.target.object}"
            shown = replace(error, message=f"{target} refused it: {error.message}")
            fields = dict(payload)
        self.errors.refuse(connection, self.name, row, shown, fields, pauses_on_drift=True)
        return error if error.category is ErrorCategory.SCHEMA_DRIFT else None

    def _count(self, write: PlannedWrite, result: WriteResult) -> None:
        # A planned create that the upsert answers "updated" found the record our own earlier, lost
        # attempt created (a dropped answer, a crash after the send): revloop still created it.
        if result.outcome is Outcome.CREATED or write.destination.target_id is None:
            self.ctx.counts["created"] += 1
        elif write.destination.new_link:
            self.ctx.counts["linked"] += 1
        else:
            self.ctx.counts["updated"] += 1

    def _index_entry(self, write: PlannedWrite, target_id: str):
        """The identity entry of a written target record as it is now (what it held, with what was sent),
        so later batches match against it at once. It keeps the values conflict rules and the identity
        guard need, and the upsert key of a record revloop created."""
        target = self.mapping.spec.target
        fields: dict[str, Any] = write.target_after()
        if write.destination.target_id is None:  # created: the record carries its upsert key
            fields[write.mapped.key_field] = write.mapped.key
        company = fields.get("Company") if write.mapped.object == target.object else None
        return identity_mirror.person_entry(
            self.ctx.target.name,
            write.mapped.object,
            target_id,
            fields,
            region=self.mapping.spec.match.region,
            company=company,
            current={name: fields[name] for name in entry_fields(self.mapping) if name in fields},
        )

    # ---- helpers ----------------------------------------------------------------------------------
    def ensure_mirror(self) -> None:
        """Refresh the identity mirror of the SFA once per run, before the first batch is planned."""
        if self.primary is not None:
            self.primary.ensure_mirror()
            return
        if self._mirrored:
            return
        needed = list(fields_needing_current(self.mapping))
        target = self.mapping.spec.target
        # The upsert keys too: the planner recognises a record an unacknowledged attempt created.
        current = {target.object: [*needed, target.upsert_key]}
        if target.contact_object:
            contact_fields = self.schema(target.contact_object).fields
            current[target.contact_object] = [name for name in needed if name in contact_fields]
            current[target.contact_object].append(str(target.contact_upsert_key))
        read = identity_mirror.refresh(
            self.ctx.engine, self.ctx.target, current_fields=current, region=self.mapping.spec.match.region
        )
        self.ctx.counts["mirrored"] += read
        self._mirrored = True

    def schema(self, obj: str) -> ObjectSchema:
        if self.primary is not None:
            return self.primary.schema(obj)
        if obj not in self._schemas:
            self._schemas[obj] = self.ctx.target.describe(obj)
        return self._schemas[obj]


class LinkWriter(HandoffWriter):
    """The link lane: people the primary stage matched to an existing record, written 200 a call (updates
    by Id). It plans each row again, so a record another row linked meanwhile is a review case here."""

    name = LINK_STAGE

    def __init__(self, primary: HandoffWriter) -> None:
        super().__init__(primary.ctx, primary.errors, primary.mapping, writeback=primary.writeback,
                         tasks=primary.tasks, primary=primary)  # fmt: skip


@dataclass(frozen=True)
class SentBatch:
    """A batch after its send: the plan, the writes sent and their results by outbox row id, and the rows
    handed on to the link lane unsent."""

    plan: BatchPlan
    sent: list[PlannedWrite]
    results: dict[int, WriteResult]
    handed_on: list[OutboxRow]
