"""Write the result of a sync back to the source system, batched (HubSpot 100, Marketo 300 per call).

After a target write succeeds, the flow hands each record's context (target id, link status) here.
What changed since the last acknowledged writeback is queued; the rest costs nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from connector.flows.stage import OutboxStage
from connector.mapping import MappingFailure, map_writeback
from connector.records import Outgoing, WriteResult
from connector.state import links, outbox
from connector.state.outbox import OutboxRow

STAGE = "writeback"


@dataclass(frozen=True)
class WrittenRecord:
    """A source record whose target write succeeded, with what the writeback may say about it."""

    source_id: str
    link_id: int
    context: Mapping[str, Any]
    source_current: Mapping[str, Any]


class Writeback(OutboxStage):
    """Queues and sends ``[writeback]`` updates of one flow; a no-op when the mapping has none."""

    stage = STAGE

    def __init__(self, ctx, mapping) -> None:
        super().__init__(ctx, mapping)
        self.direction = f"{ctx.flow}:{STAGE}"
        self.enabled = mapping.spec.writeback is not None

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
                self.report(connection, record.source_id, mapped.record_error(), None)
                continue
            if state is not None and state.payload_hash == mapped.payload_hash:
                continue
            payload = {
                "fields": dict(mapped.fields),
                "written": mapped.written_state(state.payload if state else None),
                "hash": mapped.payload_hash,
                "link_id": record.link_id,
            }
            rows.append((record.source_id, payload, mapped.payload_hash))
        return outbox.enqueue(connection, self.ctx.flow, STAGE, rows)

    def drain(self, *, full_only: bool) -> None:
        if self.enabled:
            super().drain(full_only=full_only)

    def send(self, rows: Sequence[OutboxRow]) -> Mapping[str, WriteResult]:
        sendable = [row for row in rows if row.payload["fields"]]
        if not sendable:
            return {}
        spec = self.mapping.spec
        results = self.ctx.source.upsert(
            spec.source.object,
            spec.writeback.key,
            [Outgoing(row.record_key, row.payload["fields"]) for row in sendable],
        )
        return dict(zip((row.record_key for row in sendable), results, strict=True))

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
        self.ctx.counts["written_back"] += sum(1 for row in rows if row.payload["fields"])
