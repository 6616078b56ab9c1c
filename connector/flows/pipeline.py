"""A follow-up stage of a flow: rows queued in the outbox under a stage name, sent in batches.

The writeback to the MA and the follow-up Tasks for sales are such stages. Rows are queued in the
same transaction as the write that caused them, so a crash neither loses nor repeats one that was
acknowledged; a refused row gets a sync-error row and waits with back-off.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from connector.flows.crashpoints import crash_point
from connector.records import RecordError, WriteResult
from connector.state import outbox, sync_errors
from connector.state.outbox import OutboxRow
from connector.state.sync_errors import ErrorReport


class OutboxStage:
    """Subclasses set ``stage`` and implement ``send``; ``succeeded`` may record what was written."""

    stage: str

    def __init__(self, ctx, mapping) -> None:
        self.ctx = ctx
        self.mapping = mapping

    @property
    def batch_size(self) -> int:
        raise NotImplementedError

    def send(self, rows: Sequence[OutboxRow]) -> Mapping[str, WriteResult]:
        """Send one batch; one result per record key (a key left out counts as done)."""
        raise NotImplementedError

    def succeeded(self, connection, rows: Sequence[OutboxRow]) -> None:
        """Bookkeeping for rows the system accepted, in the completing transaction."""

    def drain(self, *, full_only: bool) -> None:
        """Send queued rows in full batches (``full_only``) or until none is due."""
        while True:
            if full_only and self._due() < self.batch_size:
                return
            rows = outbox.claim(
                self.ctx.engine, self.ctx.flow, self.stage, limit=self.batch_size, owner=self.ctx.owner
            )
            if not rows:
                return
            try:
                results = self.send(rows)
            except Exception:
                with self.ctx.engine.begin() as connection:
                    outbox.release(connection, rows, self.ctx.owner)
                raise
            crash_point(f"after_{self.stage}_send")
            self._complete(rows, results)

    def _complete(self, rows: Sequence[OutboxRow], results: Mapping[str, WriteResult]) -> None:
        with self.ctx.engine.begin() as connection:
            done = []
            for row in rows:
                result = results.get(row.record_key)
                if result is None or result.ok:
                    done.append(row)
                    continue
                retry_at = self.report(connection, row.record_key, result.error, row.payload.get("fields"))
                outbox.release(connection, [row], self.ctx.owner, retry_at=retry_at)
                self.ctx.counts[f"{self.stage}_failed"] += 1
            self.succeeded(connection, done)
            outbox.done(connection, done, self.ctx.owner)
            sync_errors.resolve(connection, self.ctx.flow, self.stage, [row.record_key for row in done])

    def report(self, connection, source_id: str, error: RecordError, payload: Any) -> datetime:
        """Open or update the sync-error row of ``source_id`` at this stage; returns when to retry."""
        report = ErrorReport(
            flow=self.ctx.flow,
            stage=self.stage,
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

    def _due(self) -> int:
        with self.ctx.engine.connect() as connection:
            return outbox.due_count(connection, self.ctx.flow, self.stage)
