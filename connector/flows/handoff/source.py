"""The reading half of the handoff: MA changes → qualified snapshots in the outbox, cursor moved with them.

Each page is accepted in one transaction: activity tallies, first qualification reasons, outbox rows and
the cursor commit together, so a crash either keeps the whole page or none of it.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from connector.errors import ErrorCategory
from connector.flows.base import RunContext
from connector.flows.handoff.sections import fields_needing_current, qualify
from connector.flows.pipeline import ErrorReporter
from connector.mapping import Mapping as MappingFile
from connector.mapping import RuleEvaluationError, compute_metrics, required_source_fields
from connector.mapping.echoes import echoed_fields
from connector.records import Activity, Page, Record, RecordError
from connector.state import activity, links, outbox, runs, sync_errors
from connector.state.written import values_written

STREAM = "source"


class SourceReader:
    """Accepts pages of source changes into the outbox under ``stage``; ``direction`` names the synced
    states to compare with (both belong to the flow's write stage)."""

    def __init__(
        self, ctx: RunContext, errors: ErrorReporter, mapping: MappingFile, *, stage: str, direction: str
    ) -> None:
        self.ctx = ctx
        self.errors = errors
        self.mapping = mapping
        self.stage = stage
        self.direction = direction
        spec = mapping.spec
        self.snapshot_fields = required_source_fields(mapping)
        self.activity_metrics = {name: m for name, m in spec.metrics.items() if m.activity is not None}
        self.writeback_current = fields_needing_current(mapping, writeback=True) if spec.writeback else ()
        wanted = [*self.snapshot_fields, *self.writeback_current]
        if spec.source.campaign_field:
            wanted.append(spec.source.campaign_field)
        self.fields = list(dict.fromkeys(wanted))
        self.kinds = sorted({m.activity for m in self.activity_metrics.values()})
        self._undecided: set[str] = set()  # records of the page being accepted whose rule failed

    def read_pages(self, connection, *, dry_run: bool = False) -> Iterator[Page]:
        """The source's change stream from the flow's cursor (nothing accepted yet); ``dry_run`` for a
        preview, which must start no job on the source's side."""
        cursor = runs.get_cursor(connection, self.ctx.flow, STREAM)
        obj = self.mapping.spec.source.object
        return self.ctx.source.read_changes(obj, cursor, self.fields, activities=self.kinds, dry_run=dry_run)

    def pages(self) -> Iterator[Page]:
        """Read and accept every page of changes since the cursor; yields each page once it is durable."""
        with self.ctx.engine.connect() as connection:
            stream = self.read_pages(connection)
        for page in stream:
            with self.ctx.engine.begin() as connection:
                self.accept(connection, page)
            yield page

    def accept(self, connection, page: Page) -> list[tuple[str, dict[str, Any], str]]:
        """Tally, qualify and queue one page, and move the cursor past it; returns the rows queued."""
        ctx = self.ctx
        ids = [record.id for record in page.records]
        self._tally(connection, page.activities)
        self._undecided.clear()
        rows, reasons = self._changed(connection, page.records, ids)
        activity.remember_qualifications(connection, ctx.flow, reasons)
        # A rule that could not be decided for a record's old values is no error once it decides.
        sync_errors.resolve(connection, ctx.flow, "qualify", [i for i in ids if i not in self._undecided])
        outbox.enqueue(connection, ctx.flow, self.stage, rows)
        runs.set_cursor(connection, ctx.flow, STREAM, page.cursor)
        ctx.counts["read"] += len(page.records)
        return rows

    def _changed(self, connection, records: Sequence[Record], ids: list[str]):
        """The (key, snapshot, hash) rows to queue, and the first qualification reasons to remember.

        A record whose snapshot hash equals what was last synced or is already waiting costs nothing.
        """
        ctx = self.ctx
        tallies = activity.counts_for(connection, ctx.flow, ids)
        contexts = activity.contexts_for(connection, ctx.flow, ids)
        source_object = self.mapping.spec.source.object
        synced = links.synced_states(connection, self.direction, ids)
        pending = outbox.pending_hashes(connection, ctx.flow, self.stage, ids)
        ours = values_written(connection, ctx.source.name, source_object, ids)
        rows, reasons = [], {}
        for record in records:
            known = contexts.get(record.id)
            # A record the handoff wrote before keeps syncing when it no longer qualifies; a record
            # another flow linked (won deals created it from Salesforce) is not the handoff's to write.
            snapshot = self._snapshot(
                connection, record, tallies.get(record.id, {}), known, record.id in synced
            )
            if snapshot is None:
                continue
            # Fields holding what revloop wrote there (the feedback) are no change: the planner holds
            # what they map to. Not part of the hash: the values themselves are.
            snapshot["echoes"] = echoed_fields(record.fields, ours.get(record.id), self.snapshot_fields)
            if known is None or known.qualification is None:
                reasons[record.id] = snapshot["qualification"]
            source_hash = snapshot_hash(snapshot)
            state = synced.get(record.id)
            if source_hash in (state.source_hash if state else None, pending.get(record.id)):
                ctx.counts["unchanged"] += 1
                continue
            rows.append((record.id, snapshot, source_hash))
        return rows, reasons

    def _snapshot(
        self, connection, record: Record, tallies, known, handed_off: bool
    ) -> dict[str, Any] | None:
        """What the handoff needs of one record, or None when it does not (or no longer needs to) sync."""
        metrics = compute_metrics(self.mapping, record.fields, ())
        metrics.update({name: tallies.get(name, 0) for name in self.activity_metrics})
        try:
            qualification = qualify(self.mapping, record.fields, metrics)
        except RuleEvaluationError as exc:
            self._rule_failed(connection, record, exc)
            return None
        if not qualification.qualified and not handed_off:
            self.ctx.counts["not_qualified"] += 1
            return None
        if qualification.qualified:
            self.ctx.counts["qualified"] += 1
        recent = list(known.recent) if known else []
        stored_reason = known.qualification if known else None
        campaign_field = self.mapping.spec.source.campaign_field
        return {
            "fields": {name: record.fields.get(name) for name in self.snapshot_fields},
            "metrics": metrics,
            "qualification": stored_reason or qualification.reason,
            "engagement": _engagement(recent, metrics),
            "campaign": record.fields.get(campaign_field) if campaign_field else None,
            "current": {name: record.fields.get(name) for name in self.writeback_current},
        }

    def _tally(self, connection, activities: Sequence[Activity]) -> None:
        """Add this page's activities to the per-record metric counts and recent-engagement lists."""
        if not activities:
            return
        by_record: dict[str, list[Activity]] = defaultdict(list)
        for item in activities:
            by_record[item.record_id].append(item)
        increments: dict[tuple[str, str], tuple[int, str]] = {}
        for record_id, items in by_record.items():
            counts = compute_metrics(self.mapping, {}, items)
            latest = max(item.at for item in items)
            for name in self.activity_metrics:
                if counts.get(name):
                    increments[(record_id, name)] = (int(counts[name]), latest)
        activity.add_counts(connection, self.ctx.flow, increments)
        seen = {
            rid: [f"{a.kind} {a.value}" for a in sorted(items, key=lambda a: a.at)]
            for rid, items in by_record.items()
        }
        activity.add_engagement(connection, self.ctx.flow, seen)

    def _rule_failed(self, connection, record: Record, exc: RuleEvaluationError) -> None:
        self._undecided.add(record.id)
        error = RecordError(ErrorCategory.MAPPING, "RULE_NOT_DECIDABLE", str(exc))
        payload = {name: record.fields.get(name) for name in required_source_fields(self.mapping)}
        self.errors.record(connection, "qualify", record.id, error, payload)
        self.ctx.counts["failed"] += 1


def _engagement(recent: Sequence[str], metrics: Mapping[str, Any]) -> str:
    """What the person engaged with, for sales: recent activities, else the non-zero metrics."""
    if recent:
        return "; ".join(recent)
    return ", ".join(f"{name} {value}" for name, value in sorted(metrics.items()) if value)


def snapshot_hash(snapshot: Mapping[str, Any]) -> str:
    """The hash of what the handoff reads from a source record; equal hashes need no new write.

    ``current`` (the MA's values of writeback fields) is left out: our own writeback changes it.
    """
    relevant = {
        key: snapshot[key] for key in ("fields", "metrics", "qualification", "engagement", "campaign")
    }
    text = json.dumps(relevant, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
