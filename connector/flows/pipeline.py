"""The one pipeline every flow runs on: read changes → stage in the outbox → claim → write → complete.

1. A :class:`Reader` reads the source's changes since the flow's cursor and accepts each page in ONE
   transaction: its outbox rows and the cursor past it commit together, so the cursor is never ahead of
   what is durable.
2. Stages drain the outbox in batches of their system's maximum: claim (a lease and an attempt), write,
   then complete in one transaction guarded by the lease. A write that raises releases its rows; a
   crash leaves them in flight until the next run recovers them (the writes are idempotent upserts).
3. The primary stage writes the flow's main records; follow-up stages (a writeback, follow-up tasks)
   are queued by the primary stage's completion and drained after each primary batch and at the end.
A refused record never fails its batch: :class:`ErrorReporter` gives it a sync-error row and it waits
with back-off.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any, ClassVar, Protocol, cast

from sqlalchemy import Connection

from connector.errors import ErrorCategory, SchemaDriftError
from connector.flows.base import RunContext
from connector.flows.crashpoints import crash_point
from connector.records import Page, RecordError, WriteResult
from connector.state import outbox, sync_errors
from connector.state.db import utcnow
from connector.state.outbox import OutboxRow
from connector.state.sync_errors import ErrorReport

RETRY_SOON_S = 60


def stop_on_drift(ctx: RunContext, drift: RecordError | None) -> None:
    """After a batch is recorded: schema drift (a field or value the target refused as unknown) stops the
    run; the error reporter paused the flow until an admin fixes the mapping and resumes it."""
    if drift is not None:
        raise SchemaDriftError(
            f"{drift.code}: {drift.message}; the flow is paused until the mapping is fixed "
            f"(revloop mappings check, then revloop flows resume {ctx.flow})",
            system=ctx.target.name,
            code=drift.code,
        )


class ErrorReporter:
    """Writes every sync-error row of one flow. The row is about the source record (its system and
    object), whichever system refused it, so an admin finds the record where it came from."""

    def __init__(self, ctx: RunContext, *, system: str, object: str) -> None:
        self.ctx = ctx
        self.system = system
        self.object = object

    def record(
        self, connection: Connection, stage: str, record_key: str, error: RecordError, payload: Any
    ) -> datetime:
        """Open or update the error row of ``record_key`` at ``stage``; returns when to retry it."""
        report = ErrorReport(
            flow=self.ctx.flow,
            stage=stage,
            record_key=record_key,
            system=self.system,
            object=self.object,
            category=str(error.category),
            code=error.code,
            message=error.message,
            fields=error.fields,
            payload=payload,
        )
        return sync_errors.record(
            connection,
            report,
            run_id=self.ctx.run_id,
            store_personal_data=self.ctx.config.state.store_personal_data,
        )

    def refuse(
        self,
        connection: Connection,
        stage: str,
        row: OutboxRow,
        error: RecordError,
        payload: Any,
        *,
        counter: str = "failed",
        pauses_on_drift: bool = False,
    ) -> None:
        """Record a refused outbox row and release it to wait until its retry time.

        ``pauses_on_drift``: the caller pauses the flow on schema drift, so the row is due again as soon
        as the flow is resumed. A transient refusal (a locked row) is not the record's fault either, but
        due now it would be claimed again by this very run, in a loop: it is tried again soon, later.
        """
        retry_at: datetime | None = self.record(connection, stage, row.record_key, error, payload)
        if pauses_on_drift and error.category is ErrorCategory.SCHEMA_DRIFT:
            retry_at = None
        elif pauses_on_drift and error.category is ErrorCategory.TRANSIENT:
            retry_at = utcnow() + timedelta(seconds=RETRY_SOON_S)
        outbox.release(connection, [row], self.ctx.owner, retry_at=retry_at)
        self.ctx.counts[counter] += 1


class Reader(Protocol):
    def pages(self) -> Iterator[Page]:
        """Read the source's changes since the cursor; yield each page once it is accepted (durable)."""
        ...


class Stage(ABC):
    """One outbox stage of a flow: rows queued under ``name``, written in batches of ``batch_size``."""

    name: ClassVar[str]

    def __init__(self, ctx: RunContext, errors: ErrorReporter) -> None:
        self.ctx = ctx
        self.errors = errors

    @property
    def enabled(self) -> bool:
        return True

    @property
    @abstractmethod
    def batch_size(self) -> int: ...

    @abstractmethod
    def write(self, rows: Sequence[OutboxRow]) -> Any:
        """Write one claimed batch to its system; what it returns is handed to :meth:`complete`.

        If it raises, the pipeline releases the rows (nothing was recorded) and the error ends the run.
        """

    @abstractmethod
    def complete(self, rows: Sequence[OutboxRow], written: Any) -> None:
        """Record the batch's outcome in the state store (lease-guarded), including rows it refused."""

    def due(self) -> int:
        with self.ctx.engine.connect() as connection:
            return outbox.due_count(connection, self.ctx.flow, self.name)

    def claim(self) -> list[OutboxRow]:
        return outbox.claim(self.ctx.engine, self.ctx.flow, self.name, limit=self.batch_size,
                            owner=self.ctx.owner)  # fmt: skip


class SendStage(Stage):
    """A stage whose write answers one :class:`WriteResult` per record key (a key left out is done)."""

    @abstractmethod
    def send(self, rows: Sequence[OutboxRow]) -> Mapping[str, WriteResult]: ...

    def succeeded(self, connection: Connection, rows: Sequence[OutboxRow]) -> None:
        """Bookkeeping for rows the system accepted, in the completing transaction."""

    def write(self, rows: Sequence[OutboxRow]) -> Mapping[str, WriteResult]:
        results = self.send(rows)
        crash_point(f"after_{self.name}_send")
        return results

    def complete(self, rows: Sequence[OutboxRow], written: Mapping[str, WriteResult]) -> None:
        with self.ctx.engine.begin() as connection:
            done = []
            for row in rows:
                result = written.get(row.record_key)
                if result is None or result.ok:
                    done.append(row)
                else:  # a FAILED result always carries its error
                    error = cast(RecordError, result.error)
                    self.errors.refuse(connection, self.name, row, error, row.payload.get("fields"),
                                       counter=f"{self.name}_failed")  # fmt: skip
            self.succeeded(connection, done)
            outbox.done(connection, done, self.ctx.owner)
            sync_errors.resolve(connection, self.ctx.flow, self.name, [row.record_key for row in done])


class Pipeline:
    """Runs a flow's reader and stages (see the module docstring)."""

    def __init__(
        self, ctx: RunContext, reader: Reader, primary: Stage, followers: Sequence[Stage] = ()
    ) -> None:
        self.ctx = ctx
        self.reader = reader
        self.primary = primary
        self.followers = list(followers)

    def run(self) -> None:
        with self.ctx.engine.begin() as connection:
            recovered = outbox.recover_orphans(connection, self.ctx.flow)
        if recovered:  # in flight when a run crashed: this process holds the flow lock, so they are ours
            self.ctx.counts["recovered"] += recovered
        for _ in self.reader.pages():
            crash_point("after_accept")
            self.drain(full_only=True)
        self.drain(full_only=False)

    def drain(self, *, full_only: bool) -> None:
        """Write queued records in full batches (``full_only``), or every due record."""
        while self._batch(self.primary, full_only=full_only):
            for stage in self.followers:
                self._drain(stage, full_only=True)
        if not full_only:
            for stage in self.followers:
                self._drain(stage, full_only=False)

    def _drain(self, stage: Stage, *, full_only: bool) -> None:
        while self._batch(stage, full_only=full_only):
            pass

    def _batch(self, stage: Stage, *, full_only: bool) -> bool:
        """Claim, write and complete one batch of ``stage``; False when there was nothing (or too little)."""
        if not stage.enabled or (full_only and stage.due() < stage.batch_size):
            return False
        rows = stage.claim()
        if not rows:
            return False
        try:
            written = stage.write(rows)
        except Exception:
            with self.ctx.engine.begin() as connection:
                outbox.release(connection, rows, self.ctx.owner)
            raise
        stage.complete(rows, written)
        return True
