"""Bulk API 2.0 routes of the Salesforce fake: ingest jobs (CSV in, per-record results out) and query jobs.

Jobs run synchronously when they are closed, so a job is ``JobComplete`` on the first poll after
``UploadComplete``; the wire shapes are Salesforce's (201 on upload, ``sf__Id``/``sf__Created``/``sf__Error``
result columns, ``Sforce-Locator`` and ``Sforce-NumberOfRecords`` on query results).
"""

from __future__ import annotations

import base64
import csv
import io
from collections import Counter
from typing import TYPE_CHECKING

from werkzeug.wrappers import Request, Response

from connector.sandbox.framework import json_response
from connector.sandbox.salesforce.bulk_jobs import (
    DELIMITERS,
    IngestJob,
    QueryJob,
    bulk_value,
    csv_row,
    csv_text,
    decode_locator,
)
from connector.sandbox.salesforce.objects import INDEXED_FIELDS, OBJECTS
from connector.sandbox.salesforce.schema import ObjectDef
from connector.sandbox.salesforce.soql import SoqlSyntaxError
from connector.sandbox.salesforce.soql_compile import compile_query
from connector.sandbox.salesforce.store import format_stamp
from connector.sandbox.salesforce.validate import RequestError, SaveError
from connector.sandbox.salesforce.wire import handles_errors, json_body
from connector.sandbox.salesforce.writes import MultipleMatches, WriteOptions

if TYPE_CHECKING:
    from connector.sandbox.salesforce.fake import SalesforceFake

OPERATIONS = ("insert", "update", "upsert")
RESULT_KINDS = {
    "successfulresults": "successes",
    "failedresults": "failures",
    "unprocessedrecords": "unprocessed",
}
JOB_NOT_FOUND = RequestError("NOT_FOUND", "The requested resource does not exist", 404)


class BulkMixin:
    """Bulk API 2.0 handlers (mixed into SalesforceFake)."""

    ingest_jobs: dict[str, IngestJob]
    query_jobs: dict[str, QueryJob]

    @handles_errors
    def bulk_ingest_create(self: SalesforceFake, request: Request, version: str) -> Response:
        body = json_body(request) or {}
        obj, operation = OBJECTS.get(body.get("object", "")), body.get("operation")
        if obj is None or operation not in OPERATIONS:
            raise RequestError(
                "INVALIDJOB", f"InvalidJob : unsupported object or operation: {body.get('object')}"
            )
        external_id = body.get("externalIdFieldName")
        if operation == "upsert" and (
            obj.field(external_id or "") is None or not obj.fields[external_id].external_id
        ):
            raise RequestError("INVALIDJOB", f"InvalidJob : External ID field is not valid: {external_id}")
        with self.lock:
            job = IngestJob(
                id=self.org.ids.new("750"),
                object=obj.name,
                operation=operation,
                external_id=external_id,
                delimiter=DELIMITERS.get(body.get("columnDelimiter", "COMMA"), ","),
                assignment_rule_id=body.get("assignmentRuleId"),
                created=format_stamp(self.org.clock.now()),
            )
            self.ingest_jobs[job.id] = job
        return json_response(job.info(version))

    @handles_errors
    def bulk_ingest_upload(self: SalesforceFake, request: Request, version: str, job_id: str) -> Response:
        with self.lock:
            job = self._ingest_job(job_id)
            if job.state != "Open":
                raise RequestError("INVALIDJOBSTATE", f"Job state {job.state} does not allow uploads", 409)
            job.uploads.append(request.get_data(as_text=True))
        return Response(status=201)

    @handles_errors
    def bulk_ingest_state(self: SalesforceFake, request: Request, version: str, job_id: str) -> Response:
        state = (json_body(request) or {}).get("state")
        with self.lock:
            job = self._ingest_job(job_id)
            if state == "Aborted":
                job.state = "Aborted"
                return json_response(job.info(version))
            if state != "UploadComplete" or job.state != "Open":
                raise RequestError(
                    "INVALIDJOBSTATE", f"cannot change the state of a {job.state} job to {state}"
                )
            job.state = "UploadComplete"
            answer = job.info(version)
            self._run_ingest(job)
        return json_response(answer)

    @handles_errors
    def bulk_ingest_info(self: SalesforceFake, request: Request, version: str, job_id: str) -> Response:
        with self.lock:
            return json_response(self._ingest_job(job_id).info(version))

    @handles_errors
    def bulk_ingest_results(
        self: SalesforceFake, request: Request, version: str, job_id: str, kind: str
    ) -> Response:
        attribute = RESULT_KINDS.get(kind.lower())
        with self.lock:
            job = self._ingest_job(job_id)
            if attribute is None:
                raise JOB_NOT_FOUND
            rows = list(getattr(job, attribute))
        extra = {"successes": ["sf__Id", "sf__Created"], "failures": ["sf__Id", "sf__Error"]}.get(
            attribute, []
        )
        return Response(csv_text(extra + job.columns, rows), mimetype="text/csv")

    @handles_errors
    def bulk_query_create(self: SalesforceFake, request: Request, version: str) -> Response:
        body = json_body(request) or {}
        text = body.get("query", "")
        with self.lock:
            try:
                compiled = compile_query(text, OBJECTS, INDEXED_FIELDS)
            except SoqlSyntaxError as exc:
                raise RequestError(exc.code, exc.located(text)) from None
            job = QueryJob(
                id=self.org.ids.new("750"),
                query=compiled,
                rows=self.org.select(compiled),
                created=format_stamp(self.org.clock.now()),
                operation=body.get("operation", "query"),
            )
            self.query_jobs[job.id] = job
        return json_response({**job.info(version), "state": "UploadComplete"})

    @handles_errors
    def bulk_query_info(self: SalesforceFake, request: Request, version: str, job_id: str) -> Response:
        with self.lock:
            job = self.query_jobs.get(job_id)
        if job is None:
            raise JOB_NOT_FOUND
        return json_response(job.info(version))

    @handles_errors
    def bulk_query_results(self: SalesforceFake, request: Request, version: str, job_id: str) -> Response:
        with self.lock:
            job = self.query_jobs.get(job_id)
        if job is None:
            raise JOB_NOT_FOUND
        start = decode_locator(request.args.get("locator", ""))
        size = int(request.args.get("maxRecords", "50000") or 50000)
        page = job.rows[start : start + size]
        following = start + size if start + size < len(job.rows) else None
        with self.lock:
            cells = [csv_row(job.query, row, self.org.get) for row in page]
        body = csv_text(list(job.query.fields), cells)
        headers = {
            "Sforce-Locator": "null"
            if following is None
            else base64.b64encode(str(following).encode()).decode(),
            "Sforce-NumberOfRecords": str(len(page)),
        }
        return Response(body, mimetype="text/csv", headers=headers)

    # ---- internals ---------------------------------------------------------------------------------
    def _ingest_job(self: SalesforceFake, job_id: str) -> IngestJob:
        job = self.ingest_jobs.get(job_id)
        if job is None:
            raise JOB_NOT_FOUND
        return job

    def _run_ingest(self: SalesforceFake, job: IngestJob) -> None:
        obj = OBJECTS[job.object]
        rows: list[dict[str, str]] = []
        for upload in job.uploads:
            reader = csv.DictReader(io.StringIO(upload), delimiter=job.delimiter)
            job.columns = job.columns or list(reader.fieldnames or [])
            rows.extend(reader)
        unknown = [name for name in job.columns if obj.field(name) is None]
        if unknown:
            job.state, job.error_message = "Failed", f"InvalidBatch : Field name not found : {unknown[0]}"
            job.unprocessed = rows
            return
        keys = (
            Counter((row.get(job.external_id) or "").casefold() for row in rows)
            if job.external_id
            else Counter()
        )
        options = WriteOptions(auto_assign=job.assignment_rule_id or "FALSE")
        for row in rows:
            repeated = keys[(row.get(job.external_id or "") or "").casefold()] > 1
            try:
                record_id, created = self._ingest_row(job, obj, row, options, repeated=repeated)
            except SaveError as error:
                failure = f"{error.code}:{error.message}:{','.join(error.fields)} --"
                job.failures.append({"sf__Id": row.get("Id", ""), "sf__Error": failure, **row})
                continue
            job.successes.append({"sf__Id": record_id, "sf__Created": "true" if created else "false", **row})
        job.state = "JobComplete"

    def _ingest_row(
        self: SalesforceFake,
        job: IngestJob,
        obj: ObjectDef,
        row: dict[str, str],
        options: WriteOptions,
        *,
        repeated: bool,
    ) -> tuple[str, bool]:
        """Apply one CSV row; returns (id, created) or raises SaveError."""
        values = {name: bulk_value(obj, name, raw) for name, raw in row.items() if raw != "" and name != "Id"}
        if job.operation == "insert":
            return self.writer.create(obj, values, options), True
        if job.operation == "update":
            return self.writer.update(obj, row.get("Id"), values, options), False
        key_field = job.external_id or ""
        if repeated:
            raise SaveError(
                "DUPLICATE_VALUE", f"Duplicate external id specified: {row[key_field]}", (key_field,)
            )
        try:
            return self.writer.upsert(obj, key_field, values.get(key_field), values, options)
        except MultipleMatches as matches:
            message = f"more than one record found for external id field: {matches.ids}"
            raise SaveError("DUPLICATE_EXTERNAL_ID", message, (key_field,)) from None
