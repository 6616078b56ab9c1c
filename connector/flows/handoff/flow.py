"""MA → SFA: marketing leads that qualify become Salesforce Leads, with context, exactly once.

One run:
1. Return in-flight outbox rows of a crashed run to pending (this process holds the flow lock).
2. Read the MA's changes since the cursor, page by page. For each page, in ONE transaction: add the
   page's activities to the tallies, qualify each record (score threshold or CEL rule), queue the
   qualified or already linked records whose snapshot changed, and move the cursor past the page.
   The cursor is therefore never ahead of what is durable.
3. Write queued records in batches of the SFA's maximum (200): refresh the identity mirror once,
   plan (link, match, route, map; see plan.py), upsert keyed by the external id holding the MA
   id (a re-send after a crash updates instead of duplicating), then in ONE transaction record links,
   payload states, identity entries, errors and the writebacks to send.
4. Write back to the MA (Salesforce id, link status, lifecycle stage) in batches of its maximum.
A refused record never fails its batch: it gets a sync-error row and waits with back-off; schema drift
pauses the flow; a quota, auth or availability failure stops the run with everything still queued.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from connector.errors import ErrorCategory, SchemaDriftError
from connector.flows import identity_mirror
from connector.flows.crashpoints import crash_point
from connector.flows.handoff.mapping import HandoffMappingSpec
from connector.flows.handoff.plan import BatchPlan, HandoffPlanner, PlannedWrite, record_context
from connector.flows.handoff.sections import fields_needing_current
from connector.flows.handoff.source import SourceReader
from connector.flows.handoff.tasks import FollowUpTasks
from connector.flows.handoff.writeback import Writeback, WrittenRecord
from connector.mapping import load_mapping
from connector.records import ObjectSchema, Outcome, Outgoing, RecordError, WriteResult
from connector.state import identity, links, outbox, sync_errors
from connector.state.db import utcnow
from connector.state.links import RecordRef
from connector.state.outbox import OutboxRow
from connector.state.sync_errors import ErrorReport

STAGE = "write"
RETRY_SOON_S = 60


class Handoff:
    """The handoff flow for one run (see the module docstring)."""

    kind = "handoff"
    mapping_spec = HandoffMappingSpec
    counters = (
        "read", "qualified", "created", "updated", "linked", "unchanged", "written_back", "failed",
    )  # fmt: skip

    def __init__(self, ctx) -> None:
        self.ctx = ctx
        self.mapping = load_mapping(ctx.settings.mapping, spec=self.mapping_spec)
        self.direction = f"{ctx.flow}:{STAGE}"
        self.writeback = Writeback(ctx, self.mapping)
        self.tasks = FollowUpTasks(ctx, self.mapping)
        self.reader = SourceReader(ctx, self.mapping, stage=STAGE, direction=self.direction)
        self.planner = HandoffPlanner(
            self.mapping,
            source_kind=ctx.source.kind,
            target_kind=ctx.target.kind,
            direction=self.direction,
            schema=self._schema,
        )
        self._schemas: dict[str, ObjectSchema] = {}
        self._mirrored = False

    def run(self) -> None:
        with self.ctx.engine.begin() as connection:
            recovered = outbox.recover_orphans(connection, self.ctx.flow)
        if recovered:
            self.ctx.counts["recovered"] += recovered
        for _ in self.reader.pages():
            crash_point("after_accept")
            self.drain(full_only=True)
        self.drain(full_only=False)

    def drain(self, *, full_only: bool) -> None:
        """Write queued records in full batches (``full_only``), or every due record."""
        batch = self.ctx.target.max_write_batch
        while True:
            if full_only and self._due() < batch:
                break
            rows = outbox.claim(self.ctx.engine, self.ctx.flow, STAGE, limit=batch, owner=self.ctx.owner)
            if not rows:
                break
            crash_point("after_claim")
            self._write_batch(rows)
            for stage in (self.writeback, self.tasks):
                stage.drain(full_only=True)
        if not full_only:
            for stage in (self.writeback, self.tasks):
                stage.drain(full_only=False)

    def _write_batch(self, rows: Sequence[OutboxRow]) -> None:
        try:
            self.ensure_mirror()
            with self.ctx.engine.connect() as connection:
                plan = self.planner.plan(connection, rows)
            results = self._send(plan.writes)
            crash_point("after_send")
        except Exception:
            with self.ctx.engine.begin() as connection:
                outbox.release(connection, rows, self.ctx.owner)
            raise
        drift = self._commit(plan, results)
        crash_point("after_commit")
        if drift is not None:
            raise SchemaDriftError(
                f"{drift.code}: {drift.message}; the flow is paused until the mapping is fixed "
                f"(revloop mappings check, then revloop flows resume {self.ctx.flow})",
                system=self.ctx.target.kind,
                code=drift.code,
            )

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
    def _commit(self, plan: BatchPlan, results: dict[int, WriteResult]) -> RecordError | None:
        ctx, drift = self.ctx, None
        with ctx.engine.begin() as connection:
            for lead_id, contact_id in plan.conversions:
                links.follow_conversion(connection, RecordRef(ctx.target.kind, "Lead", lead_id),
                                        RecordRef(ctx.target.kind, "Contact", contact_id))  # fmt: skip
            succeeded = list(plan.unchanged)
            ids: dict[int, str] = {w.row.id: str(w.destination.target_id) for w in plan.unchanged}
            for write in plan.writes:
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
            self._record_success(connection, succeeded, ids)
        return drift

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
        identity.save(connection, [self._index_entry(w, ids[w.row.id]) for w in succeeded])
        sync_errors.resolve(connection, ctx.flow, STAGE, [w.row.record_key for w in succeeded])
        outbox.done(connection, [w.row for w in succeeded], ctx.owner)
        self.writeback.enqueue(connection, written)
        self.tasks.enqueue(connection, tasks)

    def _link(self, connection, succeeded: Sequence[PlannedWrite], ids: dict[int, str]) -> dict[str, int]:
        """Link new pairs (created or matched) and look up the links of the others; link ids by source id."""
        ctx, source = self.ctx, self.mapping.spec.source.object
        link_ids: dict[str, int] = {}
        for status in ("created", "linked"):
            pairs = [
                (RecordRef(ctx.source.kind, source, w.row.record_key),
                 RecordRef(ctx.target.kind, w.mapped.object, ids[w.row.id]))
                for w in succeeded
                if w.destination.new_link and w.destination.link_status == status
            ]  # fmt: skip
            link_ids.update(links.connect(connection, pairs, "person", status=status))
        others = [w.row.record_key for w in succeeded if w.row.record_key not in link_ids]
        existing = links.targets_of(connection, ctx.source.kind, source, others, ctx.target.kind)
        link_ids.update({key: target.link_id for key, target in existing.items()})
        return link_ids

    def _failed(self, connection, row: OutboxRow, error: RecordError, payload) -> RecordError | None:
        """Record a refused row; it waits with back-off. Returns the error when it is schema drift.

        The error row is about the source record; when the target refused it, the message says so.
        """
        message = error.message
        if payload is not None:
            message = f"{self.ctx.target.kind} {self.mapping.spec.target.object} refused it: {message}"
        report = ErrorReport(
            flow=self.ctx.flow,
            stage=STAGE,
            record_key=row.record_key,
            system=self.ctx.source.kind,
            object=self.mapping.spec.source.object,
            category=str(error.category),
            code=error.code,
            message=message,
            fields=error.fields,
            payload=dict(payload) if payload is not None else row.payload.get("fields"),
        )
        retry_at = sync_errors.record(connection, report, run_id=self.ctx.run_id)
        if error.category is ErrorCategory.SCHEMA_DRIFT:
            retry_at = None  # not the record's fault: try again as soon as the flow is resumed
        elif error.category is ErrorCategory.TRANSIENT:
            # Not the record's fault either (a locked row), but due now would be claimed again by this
            # very run, in a loop: try it again soon, in a later run.
            retry_at = utcnow() + timedelta(seconds=RETRY_SOON_S)
        outbox.release(connection, [row], self.ctx.owner, retry_at=retry_at)
        self.ctx.counts["failed"] += 1
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
        """The identity entry of a written target record, so later batches match against it at once."""
        fields: dict[str, Any] = dict(write.mapped.payload)
        company = fields.get("Company") if write.mapped.object == self.mapping.spec.target.object else None
        return identity_mirror.person_entry(
            self.ctx.target.kind,
            write.mapped.object,
            target_id,
            fields,
            region=self.mapping.spec.match.region,
            company=company,
            current={name: fields.get(name) for name in fields_needing_current(self.mapping)},
        )

    # ---- helpers ----------------------------------------------------------------------------------
    def ensure_mirror(self) -> None:
        if self._mirrored:
            return
        needed = list(fields_needing_current(self.mapping))
        target = self.mapping.spec.target
        # The upsert keys too: the planner recognises a record an unacknowledged attempt created.
        current = {target.object: [*needed, target.upsert_key]}
        if target.contact_object:
            contact_fields = self._schema(target.contact_object).fields
            current[target.contact_object] = [name for name in needed if name in contact_fields]
            current[target.contact_object].append(str(target.contact_upsert_key))
        read = identity_mirror.refresh(
            self.ctx.engine, self.ctx.target, current_fields=current, region=self.mapping.spec.match.region
        )
        self.ctx.counts["mirrored"] += read
        self._mirrored = True

    def _schema(self, obj: str) -> ObjectSchema:
        if obj not in self._schemas:
            self._schemas[obj] = self.ctx.target.describe(obj)
        return self._schemas[obj]

    def _due(self) -> int:
        with self.ctx.engine.connect() as connection:
            return outbox.due_count(connection, self.ctx.flow, STAGE)
