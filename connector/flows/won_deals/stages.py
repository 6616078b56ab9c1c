"""The follow-up stages' shared half: send a batch, then record each row's outcome in one transaction.

A stage answers one :class:`WriteResult` per record key (a key left out needs nothing written). A
refused row gets an error row and waits with back-off; schema drift pauses the flow once the batch is
recorded, like the deals stage does.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import cast

from sqlalchemy import Connection

from connector.errors import ErrorCategory
from connector.flows.base import RunContext
from connector.flows.crashpoints import crash_point
from connector.flows.pipeline import ErrorReporter, Stage, stop_on_drift
from connector.flows.won_deals.mapping import WonDealsMapping
from connector.records import RecordError, WriteResult
from connector.state import outbox, sync_errors
from connector.state.outbox import OutboxRow


class FollowUpStage(Stage):
    """A stage fed by the deals stage: line items, people."""

    def __init__(self, ctx: RunContext, errors: ErrorReporter, mapping: WonDealsMapping) -> None:
        super().__init__(ctx, errors)
        self.mapping = mapping
        self.direction = f"{ctx.flow}:{self.name}"

    @property
    def batch_size(self) -> int:
        return self.ctx.target.max_write_batch

    @abstractmethod
    def send(self, rows: Sequence[OutboxRow]) -> Mapping[str, WriteResult]: ...

    @abstractmethod
    def succeeded(
        self, connection: Connection, rows: Sequence[OutboxRow], results: Mapping[str, WriteResult]
    ) -> None:
        """Bookkeeping for the rows the CRM accepted, in the completing transaction."""

    def write(self, rows: Sequence[OutboxRow]) -> Mapping[str, WriteResult]:
        results = self.send(rows)
        crash_point(f"after_{self.name}_send")
        return results

    def complete(self, rows: Sequence[OutboxRow], written: Mapping[str, WriteResult]) -> None:
        drift: RecordError | None = None
        with self.ctx.engine.begin() as connection:
            done = []
            for row in rows:
                result = written.get(row.record_key)
                if result is None or result.ok:
                    done.append(row)
                    continue
                error = cast(RecordError, result.error)
                shown = replace(error, message=f"{self.ctx.target.name} {self.name}: {error.message}")
                self.errors.refuse(
                    connection, self.name, row, shown, row.payload.get("fields"), pauses_on_drift=True
                )
                if error.category is ErrorCategory.SCHEMA_DRIFT:
                    drift = drift or error
            self.succeeded(connection, done, written)
            outbox.done(connection, done, self.ctx.owner)
            sync_errors.resolve(connection, self.ctx.flow, self.name, [row.record_key for row in done])
        stop_on_drift(self.ctx, drift)
