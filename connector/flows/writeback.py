"""Write the result of a sync back to the source system, batched (HubSpot 100, Marketo 300 per call).

After a target write succeeds, the flow hands each record's context (target id, link status) here.
What changed since the last writeback is queued in the outbox under stage ``writeback`` in the same
transaction as the target write's bookkeeping, so a crash never loses a writeback and never repeats
one that was acknowledged.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from connector.flows.crashpoints import crash_point
from connector.mapping import Mapping as MappingFile
from connector.mapping import MappingFailure, map_writeback
from connector.records import Outgoing, WriteResult
from connector.state import links, outbox, sync_errors
from connector.state.sync_errors import ErrorReport

STAGE = "writeback"


@dataclass(frozen=True)
class WrittenRecord:
    """A source record whose target write succeeded, with what the writeback may say about it."""

    source_id: str
    link_id: int
    context: Mapping[str, Any]
    source_current: Mapping[str, Any]


class Writeback:
    """Queues and sends ``[writeback]`` updates of one flow; a no-op when the mapping has none."""

    def __init__(self, ctx, mapping: MappingFile) -> None:
        self.ctx = ctx
        self.mapping = mapping
        self.direction = f"{ctx.flow}:{STAGE}"
        self.enabled = mapping.spec.writeback is not None

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
                self._report(connection, record.source_id, mapped.record_error(), None)
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
        """Send queued writebacks in full batches (``full_only``) or until none is due."""
        if not self.enabled:
            return
        source, batch = self.ctx.source, self.ctx.source.max_write_batch
        spec = self.mapping.spec
        while True:
            if full_only and self._waiting() < batch:
                return
            rows = outbox.claim(self.ctx.engine, self.ctx.flow, STAGE, limit=batch, owner=self.ctx.owner)
            if not rows:
                return
            sendable = [row for row in rows if row.payload["fields"]]
            try:
                results = source.upsert(
                    spec.source.object,
                    spec.writeback.key,
                    [Outgoing(row.record_key, row.payload["fields"]) for row in sendable],
                )
            except Exception:
                with self.ctx.engine.begin() as connection:
                    outbox.release(connection, rows, self.ctx.owner)
                raise
            crash_point("after_writeback_send")
            by_key = dict(zip((row.record_key for row in sendable), results, strict=True))
            self._complete(rows, by_key)

    def _complete(self, rows, results: Mapping[str, WriteResult]) -> None:
        with self.ctx.engine.begin() as connection:
            done, states = [], []
            for row in rows:
                result = results.get(row.record_key)
                if result is None or result.ok:
                    done.append(row)
                    states.append(
                        {
                            "record_key": row.record_key,
                            "link_id": row.payload["link_id"],
                            "payload": row.payload["written"],
                            "payload_hash": row.payload["hash"],
                            "source_hash": row.source_hash,
                        }
                    )
                    continue
                retry_at = self._report(connection, row.record_key, result.error, row.payload["fields"])
                outbox.release(connection, [row], self.ctx.owner, retry_at=retry_at)
                self.ctx.counts["writeback_failed"] += 1
            links.save_states(connection, self.direction, states, self.ctx.run_id)
            outbox.done(connection, done, self.ctx.owner)
            sync_errors.resolve(connection, self.ctx.flow, STAGE, [row.record_key for row in done])
            self.ctx.counts["written_back"] += sum(1 for row in done if row.payload["fields"])

    def _waiting(self) -> int:
        with self.ctx.engine.connect() as connection:
            return outbox.due_count(connection, self.ctx.flow, STAGE)

    def _report(self, connection, source_id: str, error, payload) -> Any:
        report = ErrorReport(
            flow=self.ctx.flow,
            stage=STAGE,
            record_key=source_id,
            system=self.ctx.source.kind,
            object=self.mapping.spec.source.object,
            category=str(error.category),
            code=error.code,
            message=error.message,
            fields=error.fields,
            payload=payload,
        )
        return sync_errors.record(connection, report, run_id=self.ctx.run_id)
