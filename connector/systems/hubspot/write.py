"""Batch writes to HubSpot: batch/update by record id, batch/upsert by a unique property.

HubSpot fails a whole batch update or upsert when one input is invalid (400 VALIDATION_ERROR) or
conflicts (409). The writer then splits the batch in halves until the refused records stand alone, so
the other records are still written. When the first half of a failed batch goes through, the second
half is known to hold the culprit and is split at once instead of being sent whole (one call saved per
level). Each split is a real API call and is counted by the guard like any other.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from connector.errors import ErrorCategory
from connector.records import Outcome, Outgoing, RecordError, WriteResult
from connector.systems.hubspot.errors import (
    BatchRejectedError,
    classify_batch_write,
    record_error,
    record_error_from,
)
from connector.systems.hubspot.read import ID_KEYS
from connector.systems.hubspot.transport import Answer, HubSpotTransport

MAX_BATCH = 100


def wire_value(value: Any) -> str:
    """HubSpot property values are strings; None clears a value."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _normal(key_field: str, value: str) -> str:
    return value.strip().lower() if key_field == "email" else value


class BatchWrite:
    """One call of ``upsert``: its inputs, and the result of each as it becomes known."""

    def __init__(
        self, transport: HubSpotTransport, obj: str, key_field: str, batch: Sequence[Outgoing]
    ) -> None:
        if len(batch) > MAX_BATCH:
            raise ValueError(f"HubSpot batch writes take at most {MAX_BATCH} records, got {len(batch)}")
        self.transport = transport
        self.obj = obj
        self.key_field = key_field
        self.batch = batch
        self.by_id = key_field in ID_KEYS
        self.inputs = [self._input(outgoing) for outgoing in batch]
        self.results: dict[int, WriteResult] = {}

    def run(self) -> list[WriteResult]:
        if self.batch:
            self._send(list(range(len(self.batch))))
        return [self.results[index] for index in range(len(self.batch))]

    def _input(self, outgoing: Outgoing) -> dict[str, Any]:
        properties = {
            name: wire_value(value) for name, value in outgoing.fields.items() if name not in ID_KEYS
        }
        if self.by_id:
            return {"id": outgoing.key, "properties": properties}
        properties.setdefault(self.key_field, outgoing.key)
        return {"id": outgoing.key, "idProperty": self.key_field, "properties": properties}

    def _send(self, indices: list[int], *, holds_culprit: bool = False) -> bool:
        """Write ``indices``; True when HubSpot took them as one batch (per-record errors aside)."""
        if holds_culprit and len(indices) > 1:
            self._split(indices)
            return False
        try:
            answer = self._call(indices)
        except BatchRejectedError as refused:
            if len(indices) == 1:
                self.results[indices[0]] = self._failed(indices[0], record_error(refused))
            else:
                self._split(indices)
            return False
        self._accept(indices, answer)
        return True

    def _split(self, indices: list[int]) -> None:
        middle = len(indices) // 2
        first_went_through = self._send(indices[:middle])
        self._send(indices[middle:], holds_culprit=first_went_through)

    def _call(self, indices: list[int]) -> Answer:
        body = {"inputs": [self.inputs[index] for index in indices]}
        batch_api = self.transport.batch
        if self.by_id:
            endpoint, method = "batch.update", batch_api.update_with_http_info
        else:
            endpoint, method = "batch.upsert", batch_api.upsert_with_http_info
        return self.transport.call(
            endpoint, lambda **kw: method(self.obj, body, **kw), classifier=classify_batch_write
        )

    def _accept(self, indices: list[int], answer: Answer) -> None:
        """Map results and 207 errors back to inputs (HubSpot does not promise input order)."""
        body = answer.body or {}
        pending: dict[str, list[int]] = {}
        for index in indices:
            pending.setdefault(_normal(self.key_field, self.batch[index].key), []).append(index)
        for result in body.get("results") or ():
            key = (
                str(result.get("id")) if self.by_id else (result.get("properties") or {}).get(self.key_field)
            )
            outcome = Outcome.CREATED if result.get("new") else Outcome.UPDATED
            for index in pending.pop(_normal(self.key_field, str(key)), ()):
                self.results[index] = WriteResult(self.batch[index].key, outcome, id=str(result["id"]))
        unmatched = []
        for detail in body.get("errors") or ():
            error = record_error_from(detail)
            ids = [_normal(self.key_field, str(i)) for i in (detail.get("context") or {}).get("ids") or ()]
            hits = [index for i in ids for index in pending.pop(i, ())]
            for index in hits:
                self.results[index] = self._failed(index, error)
            if not hits:
                unmatched.append(error)
        for group in pending.values():
            for index in group:
                self.results[index] = self._failed(index, unmatched[0] if unmatched else _NO_RESULT)

    def _failed(self, index: int, error: RecordError) -> WriteResult:
        return WriteResult(self.batch[index].key, Outcome.FAILED, error=error)


_NO_RESULT = RecordError(
    category=ErrorCategory.TRANSIENT,
    code="NO_RESULT",
    message="hubspot: the batch answer had no result for this record; it will be sent again",
)


def upsert(
    transport: HubSpotTransport, obj: str, key_field: str, batch: Sequence[Outgoing]
) -> list[WriteResult]:
    """Write ``batch`` (at most 100) by ``key_field``; one result per record, in input order."""
    return BatchWrite(transport, obj, key_field, batch).run()


def archive(transport: HubSpotTransport, obj: str, ids: Sequence[str]) -> list[WriteResult]:
    """Archive records by id, 100 a call; one UPDATED result per id (HubSpot answers 204 for the batch)."""
    results = []
    for start in range(0, len(ids), MAX_BATCH):
        chunk = [str(record_id) for record_id in ids[start : start + MAX_BATCH]]
        body = {"inputs": [{"id": record_id} for record_id in chunk]}
        transport.call(
            "batch.archive", lambda b=body, **kw: transport.batch.archive_with_http_info(obj, b, **kw)
        )
        results += [WriteResult(record_id, Outcome.UPDATED, id=record_id) for record_id in chunk]
    return results
