"""Write the result of a sync back to the source system, batched (HubSpot 100, Marketo 300 per call).

After a target write succeeds, the flow hands each record's context (target id, link status) here.
What changed since the last acknowledged writeback is queued; the rest costs nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from connector.flows.base import RunContext
from connector.flows.handoff.sections import fields_needing_current, map_writeback
from connector.flows.pipeline import ErrorReporter, SendStage
from connector.mapping import Mapping as MappingFile
from connector.mapping import MappingFailure
from connector.mapping.conflicts import same_value
from connector.records import Outgoing, WriteResult
from connector.state import links, outbox
from connector.state.outbox import OutboxRow
from connector.state.written import Written, remember_written

STAGE = "writeback"


@dataclass(frozen=True)
class WrittenRecord:
    """A source record whose target write succeeded, with what the writeback may say about it."""

    source_id: str
    link_id: int
    context: Mapping[str, Any]
    source_current: Mapping[str, Any]


class Writeback(SendStage):
    """Queues and sends ``[writeback]`` updates of one flow; a no-op when the mapping has none."""

    name = STAGE

    def __init__(self, ctx: RunContext, errors: ErrorReporter, mapping: MappingFile) -> None:
        super().__init__(ctx, errors)
        self.mapping = mapping
        self.direction = f"{ctx.flow}:{STAGE}"
        self.guarded = fields_needing_current(mapping, writeback=True) if self.enabled else ()

    @property
    def enabled(self) -> bool:
        return self.mapping.spec.writeback is not None

    @property
    def batch_size(self) -> int:
        return self.ctx.source.max_write_batch

    def enqueue(self, connection, written: Iterable[WrittenRecord]) -> int:
        """Queue the writebacks whose payload changed since the last one acknowledged."""
        if not self.enabled:
            return 0
        written = list(written)
        states = links.synced_states(connection, self.direction, [w.source_id for w in written])
        rows = []
        for record in written:
            state = states.get(record.source_id)
            mapped = map_writeback(
                self.mapping,
                record.context,
                source_current=record.source_current,
                last_written=state.payload if state else None,
                first_write=state is None,
            )
            if isinstance(mapped, MappingFailure):
                self.errors.record(connection, STAGE, record.source_id, mapped.record_error(), None)
                continue
            if state is not None and state.payload_hash == mapped.payload_hash:
                continue
            payload = {
                "fields": dict(mapped.fields),
                "written": mapped.written_state(state.payload if state else None),
                "hash": mapped.payload_hash,
                "link_id": record.link_id,
                "read": {name: record.source_current.get(name) for name in self.guarded},
            }
            rows.append((record.source_id, payload, mapped.payload_hash))
        return outbox.enqueue(connection, self.ctx.flow, STAGE, rows)

    def send(self, rows: Sequence[OutboxRow]) -> Mapping[str, WriteResult]:
        fields = self._fields_to_send(rows)
        sendable = [row for row in rows if fields[row.record_key]]
        if not sendable:
            return {}
        spec = self.mapping.spec
        results = self.ctx.source.upsert(
            spec.source.object,
            spec.writeback.key,
            [Outgoing(row.record_key, fields[row.record_key]) for row in sendable],
        )
        return dict(zip((row.record_key for row in sendable), results, strict=True))

    def _fields_to_send(self, rows: Sequence[OutboxRow]) -> dict[str, dict[str, Any]]:
        """Each row's fields, less the guarded ones the MA changed since a re-sent row was queued.

        A row sent before (attempt > 1: a crash or a failed send) may go out long after it was queued.
        A field the mapping only writes while the MA holds what it held (``source_wins``, e.g.
        lifecyclestage) may have been moved on by a marketer since: re-reading those records (one call
        a batch, only for re-sends) keeps the re-send from moving it back.
        """
        fields = {row.record_key: dict(row.payload["fields"]) for row in rows}
        resent = [
            row
            for row in rows
            if row.attempt > 1 and set(row.payload.get("read", {})) & set(fields[row.record_key])
        ]
        now = self._read_now(resent)
        for row in resent:
            current, sending = now.get(row.record_key, {}), fields[row.record_key]
            for name, then in row.payload["read"].items():
                if name not in sending or same_value(current.get(name), sending[name]):
                    continue
                if not same_value(current.get(name), then):
                    del sending[name]  # moved on in the MA since revloop read it: the MA wins
        return fields

    def _read_now(self, rows: Sequence[OutboxRow]) -> dict[str, Mapping[str, Any]]:
        """The MA's current values of the guarded fields of ``rows``, by writeback key."""
        if not rows:
            return {}
        spec = self.mapping.spec
        key = spec.writeback.key
        names = sorted({name for row in rows for name in row.payload["read"]})
        found = self.ctx.source.read_by_keys(
            spec.source.object, key, [row.record_key for row in rows], [*names, key]
        )
        return {str(record.fields.get(key) or record.id): record.fields for record in found}

    def succeeded(self, connection, rows: Sequence[OutboxRow]) -> None:
        states = [
            {
                "record_key": row.record_key,
                "link_id": row.payload["link_id"],
                "payload": row.payload["written"],
                "payload_hash": row.payload["hash"],
                "source_hash": row.source_hash,
            }
            for row in rows
        ]
        links.save_states(connection, self.direction, states, self.ctx.run_id)
        sent = [Written(row.record_key, row.payload["link_id"], row.payload["fields"]) for row in rows]
        source = self.ctx.source.name, self.mapping.spec.source.object
        remember_written(connection, *source, sent, run_id=self.ctx.run_id)  # no echo of our own writeback
        self.ctx.counts["written_back"] += sum(1 for row in rows if row.payload["fields"])
