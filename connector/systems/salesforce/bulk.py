"""Bulk API 2.0 for large backfills: ingest (upsert/update by CSV) and query jobs.

simple-salesforce's ``bulk2`` helpers poll and sleep inside one call, which would hide requests from the
call guard; this module sends each Bulk 2.0 request itself (through simple-salesforce's
``call_salesforce`` and the adapter's pinned session) so that every request is one guarded, counted call.
"""

from __future__ import annotations

import csv
import io
import time
from collections import defaultdict, deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any

import requests
from simple_salesforce import Salesforce
from simple_salesforce.util import call_salesforce

from connector.errors import ErrorCategory, SchemaDriftError, TransientError
from connector.logs import redact
from connector.records import Outcome, Outgoing, Record, RecordError, WriteResult
from connector.systems.salesforce.errors import STATUS_TABLE, SYSTEM

Call = Callable[..., Any]
"""``call(endpoint, action, idempotent=...)``: run ``action(sf)`` as one guarded request."""

MAX_UPLOAD_BYTES = 90 * 1024 * 1024
"""One job's CSV stays below simple-salesforce's 100 MB guard (the server takes 150 MB)."""
TERMINAL_STATES = ("JobComplete", "Failed", "Aborted")
RESULTS_PAGE = 50_000


def bulk_request(
    sf: Salesforce,
    method: str,
    path: str,
    *,
    content_type: str = "application/json",
    accept: str = "application/json",
    **kwargs: Any,
) -> requests.Response:
    """One Bulk 2.0 request under ``.../jobs/`` with the session's current token."""
    headers = {**sf.headers, "Content-Type": content_type, "Accept": accept}
    return call_salesforce(
        url=sf.bulk2_url + path, method=method, session=sf.session, headers=headers, **kwargs
    )


class BulkJobs:
    """Runs ingest and query jobs; ``call`` is the adapter's guarded call, ``sleep`` waits between polls."""

    def __init__(
        self, call: Call, *, sleep: Callable[[float], None] = time.sleep, poll_timeout_s: float = 3600.0
    ) -> None:
        self.call = call
        self.sleep = sleep
        self.poll_timeout_s = poll_timeout_s

    def request(
        self, endpoint: str, method: str, path: str, *, idempotent: bool = True, **kwargs: Any
    ) -> requests.Response:
        """One guarded Bulk 2.0 request (creating, uploading to or closing a job is not idempotent)."""
        return self.call(endpoint, lambda sf: bulk_request(sf, method, path, **kwargs), idempotent=idempotent)

    # ---- ingest --------------------------------------------------------------------------------------
    def upsert(
        self, obj: str, key_field: str, records: Iterable[Outgoing], *, poll_s: float
    ) -> list[WriteResult]:
        """Upsert by ``key_field`` (update when it is ``Id``); one result per record, in input order."""
        outgoing = list(records)
        columns = _columns(key_field, outgoing)
        answers: dict[str, deque[WriteResult]] = defaultdict(deque)
        for chunk in _csv_chunks(columns, key_field, outgoing):
            for result in self._ingest(obj, key_field, chunk, poll_s):
                answers[result.key].append(result)
        return [_take(answers, record.key) for record in outgoing]

    def _ingest(self, obj: str, key_field: str, data: str, poll_s: float) -> Iterator[WriteResult]:
        job: dict[str, Any] = {
            "object": obj,
            "contentType": "CSV",
            "lineEnding": "LF",
            "columnDelimiter": "COMMA",
        }
        if key_field == "Id":
            job["operation"] = "update"
        else:
            job.update(operation="upsert", externalIdFieldName=key_field)
        job_id = self.request("bulk.create", "POST", "ingest", json=job, idempotent=False).json()["id"]
        self.request(
            "bulk.upload",
            "PUT",
            f"ingest/{job_id}/batches",
            data=data.encode(),
            content_type="text/csv",
            idempotent=False,
        )
        self.request(
            "bulk.close", "PATCH", f"ingest/{job_id}", json={"state": "UploadComplete"}, idempotent=False
        )
        self._wait("ingest", job_id, poll_s)
        for kind in ("successfulResults", "failedResults", "unprocessedrecords"):
            text = self.request("bulk.results", "GET", f"ingest/{job_id}/{kind}", accept="text/csv").text
            for row in csv.DictReader(io.StringIO(text)):
                yield _ingest_result(row, key_field)

    # ---- query ---------------------------------------------------------------------------------------
    def query(self, soql: str, *, poll_s: float) -> Iterator[Record]:
        """Run ``soql`` as a query job and stream its rows (empty cells become None)."""
        body = {"operation": "query", "query": soql, "lineEnding": "LF", "columnDelimiter": "COMMA"}
        job_id = self.request("bulk.create", "POST", "query", json=body).json()["id"]
        self._wait("query", job_id, poll_s)
        locator = ""
        while True:
            params = {"maxRecords": RESULTS_PAGE, **({"locator": locator} if locator else {})}
            response = self.request(
                "bulk.results", "GET", f"query/{job_id}/results", params=params, accept="text/csv"
            )
            for row in csv.DictReader(io.StringIO(response.text)):
                values = {name: (value if value != "" else None) for name, value in row.items()}
                yield Record(
                    id=str(values.get("Id")), fields=values, modified_at=values.get("SystemModstamp")
                )
            locator = response.headers.get("Sforce-Locator", "null")
            if locator in ("", "null"):
                return

    def _wait(self, kind: str, job_id: str, poll_s: float) -> dict[str, Any]:
        deadline = time.monotonic() + self.poll_timeout_s
        while True:
            info = self.request("bulk.job", "GET", f"{kind}/{job_id}").json()
            state = info.get("state")
            if state == "JobComplete":
                return info
            if state in ("Failed", "Aborted"):
                message = redact(info.get("errorMessage") or state)
                raise SchemaDriftError(
                    f"bulk {kind} job {job_id} {state}: {message}", system=SYSTEM, code=state
                )
            if time.monotonic() >= deadline:
                raise TransientError(f"bulk {kind} job {job_id} still {state} after polling", system=SYSTEM)
            self.sleep(poll_s)


def _columns(key_field: str, records: Sequence[Outgoing]) -> list[str]:
    names = dict.fromkeys([key_field])
    for record in records:
        names.update(dict.fromkeys(name for name in record.fields if name not in ("Id", key_field)))
    return list(names)


def _cell(value: Any) -> str:
    if value is None:
        return "#N/A"  # Bulk 2.0's way of setting a field to null (an empty cell leaves it unchanged)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _csv_chunks(columns: list[str], key_field: str, records: Sequence[Outgoing]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    rows = 0
    for record in records:
        values = {**record.fields, key_field: record.key}
        writer.writerow([_cell(values[name]) if name in values else "" for name in columns])
        rows += 1
        if buffer.tell() >= MAX_UPLOAD_BYTES:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
            writer.writerow(columns)
            rows = 0
    if rows:
        yield buffer.getvalue()


def _ingest_result(row: dict[str, str], key_field: str) -> WriteResult:
    key = row.get(key_field, "")
    record_id = row.get("sf__Id") or None
    if "sf__Created" in row:
        outcome = Outcome.CREATED if row["sf__Created"] == "true" else Outcome.UPDATED
        return WriteResult(key, outcome, id=record_id)
    if "sf__Error" in row:
        return WriteResult(key, Outcome.FAILED, id=record_id, error=parse_bulk_error(row["sf__Error"]))
    return WriteResult(key, Outcome.FAILED, error=_UNPROCESSED)


def parse_bulk_error(text: str) -> RecordError:
    """``CODE:message:Field1,Field2 --`` (Bulk 2.0's sf__Error column) as a RecordError."""
    code, _, rest = text.partition(":")
    rest = rest.removesuffix("--").rstrip()
    message, _, fields = rest.rpartition(":") if ":" in rest else (rest, "", "")
    return RecordError(
        category=STATUS_TABLE.get(code, ErrorCategory.RECORD_REJECT),
        code=code,
        message=redact(message.strip() or code),
        fields=tuple(name for name in fields.strip().split(",") if name),
    )


_UNPROCESSED = RecordError(ErrorCategory.TRANSIENT, "UNPROCESSED", "the bulk job did not process this record")


def _take(answers: dict[str, deque[WriteResult]], key: str) -> WriteResult:
    if answers.get(key):
        return answers[key].popleft()
    return WriteResult(key, Outcome.FAILED, error=_UNPROCESSED)
