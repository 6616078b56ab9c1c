"""REST routes of the Salesforce fake: SOQL query paging, describe and single sObject rows.

Wire shapes follow shared/api-facts.md §1: single-record errors are arrays with ``errorCode``, and
``nextRecordsUrl`` is an absolute path served from a snapshot of the result set.
"""

from __future__ import annotations

import secrets
from collections import OrderedDict
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from connector.sandbox.framework import json_response
from connector.sandbox.salesforce.objects import INDEXED_FIELDS, OBJECTS
from connector.sandbox.salesforce.relations import nested
from connector.sandbox.salesforce.soql import SoqlSyntaxError
from connector.sandbox.salesforce.soql_compile import CompiledQuery, compile_query
from connector.sandbox.salesforce.store import Row, normalize_id
from connector.sandbox.salesforce.validate import RequestError, SaveError
from connector.sandbox.salesforce.wire import (
    NOT_FOUND,
    external_id_field,
    handles_errors,
    json_body,
    object_def,
    record_values,
    row_json,
    sf_error,
    write_options,
)
from connector.sandbox.salesforce.writes import MultipleMatches

if TYPE_CHECKING:
    from connector.sandbox.salesforce.fake import SalesforceFake

MAX_BATCH, MIN_BATCH = 2000, 200
MAX_OPEN_CURSORS = 200


@dataclass(frozen=True)
class QueryCursor:
    """A query's result set as it was when the query ran; nextRecordsUrl pages through it."""

    id: str
    query: CompiledQuery
    rows: list[Row]
    batch: int
    version: str
    resource: str


class RestMixin:
    """Query, describe, single-record and collection handlers (mixed into SalesforceFake)."""

    cursors: OrderedDict[str, QueryCursor]

    # ---- SOQL ------------------------------------------------------------------------------------
    def query(self: SalesforceFake, request: Request, version: str) -> Response:
        return self._run_query(request, version, "query")

    def query_all(self: SalesforceFake, request: Request, version: str) -> Response:
        return self._run_query(request, version, "queryAll")

    def query_more(self: SalesforceFake, request: Request, version: str, locator: str) -> Response:
        cursor_id, _, offset = locator.partition("-")
        with self.lock:
            cursor = self.cursors.get(cursor_id)
        if cursor is None or not offset.isdigit():
            return sf_error(RequestError("INVALID_QUERY_LOCATOR", "invalid query locator"))
        return json_response(self._page(cursor, int(offset)))

    def _run_query(self: SalesforceFake, request: Request, version: str, resource: str) -> Response:
        text = request.args.get("q", "")
        with self.lock:
            try:
                compiled = compile_query(text, OBJECTS, INDEXED_FIELDS)
            except SoqlSyntaxError as exc:
                return sf_error(RequestError(exc.code, exc.located(text)))
            rows = self.org.select(compiled, include_deleted=resource == "queryAll")
            if compiled.count:
                return json_response({"totalSize": len(rows), "done": True, "records": []})
            cursor = QueryCursor(
                "01g" + secrets.token_hex(8)[:15],
                compiled,
                rows,
                _batch_size(request, compiled),
                version,
                resource,
            )
            if len(rows) > cursor.batch:
                self.cursors[cursor.id] = cursor
                while len(self.cursors) > MAX_OPEN_CURSORS:
                    self.cursors.popitem(last=False)
        return json_response(self._page(cursor, 0))

    def _page(self: SalesforceFake, cursor: QueryCursor, offset: int) -> dict[str, Any]:
        end = offset + cursor.batch
        answer: dict[str, Any] = {"totalSize": len(cursor.rows), "done": end >= len(cursor.rows)}
        if end < len(cursor.rows):
            answer["nextRecordsUrl"] = f"/services/data/{cursor.version}/{cursor.resource}/{cursor.id}-{end}"
        else:
            with self.lock:
                self.cursors.pop(cursor.id, None)
        answer["records"] = [self._record_json(cursor, row) for row in cursor.rows[offset:end]]
        return answer

    def _record_json(self: SalesforceFake, cursor: QueryCursor, row: Row) -> dict[str, Any]:
        """A result row: its own fields, then each related record nested under its relationship name."""
        query = cursor.query
        own = tuple(name for name in query.fields if name not in query.paths)
        record = row_json(query.obj.name, row, own, cursor.version)
        with self.lock:
            record.update(nested(row, query.paths.values(), self.org.get, cursor.version))
        return record

    # ---- describe and single records -------------------------------------------------------------
    @handles_errors
    def describe(self: SalesforceFake, request: Request, version: str, obj: str) -> Response:
        return json_response(object_def(obj).describe(version))

    @handles_errors
    def sobject_create(self: SalesforceFake, request: Request, version: str, obj: str) -> Response:
        definition = object_def(obj)
        values = record_values(definition, json_body(request) or {})
        with self.lock:
            try:
                record_id = self.writer.create(definition, values, write_options(self.writer, request))
            except SaveError as error:
                return json_response([error.single_json()], status=400)
        return json_response({"id": record_id, "success": True, "errors": []}, status=201)

    @handles_errors
    def sobject_get(
        self: SalesforceFake, request: Request, version: str, obj: str, record_id: str
    ) -> Response:
        definition = object_def(obj)
        with self.lock:
            row = self.org.get(definition.name, normalize_id(record_id) or "")
        if row is None:
            raise NOT_FOUND
        return json_response(row_json(definition.name, row, _fields_param(request), version))

    @handles_errors
    def sobject_update(
        self: SalesforceFake, request: Request, version: str, obj: str, record_id: str
    ) -> Response:
        definition = object_def(obj)
        values = record_values(definition, json_body(request) or {})
        with self.lock:
            if self.org.get(definition.name, normalize_id(record_id) or "") is None:
                raise NOT_FOUND
            try:
                self.writer.update(definition, record_id, values, write_options(self.writer, request))
            except SaveError as error:
                return json_response([error.single_json()], status=400)
        return Response(status=204)

    @handles_errors
    def sobject_delete(
        self: SalesforceFake, request: Request, version: str, obj: str, record_id: str
    ) -> Response:
        definition = object_def(obj)
        with self.lock:
            try:
                self.writer.delete(definition, record_id)
            except SaveError as error:
                status = 404 if error.code == "ENTITY_IS_DELETED" else 400
                return json_response([error.single_json()], status=status)
        return Response(status=204)

    @handles_errors
    def sobject_by_key(
        self: SalesforceFake, request: Request, version: str, obj: str, field: str, value: str
    ) -> Response:
        definition = object_def(obj)
        key_field = external_id_field(definition, field)
        with self.lock:
            ids = self.org.find(definition.name, key_field, value)
            rows = [self.org.get(definition.name, rid) for rid in ids]
        if not rows:
            raise NOT_FOUND
        if len(rows) > 1:
            return json_response(
                [f"/services/data/{version}/sobjects/{obj}/{rid}" for rid in ids], status=300
            )
        return json_response(row_json(definition.name, rows[0], _fields_param(request), version))

    @handles_errors
    def sobject_upsert(
        self: SalesforceFake, request: Request, version: str, obj: str, field: str, value: str
    ) -> Response:
        definition = object_def(obj)
        key_field = external_id_field(definition, field)
        values = record_values(definition, json_body(request) or {})
        with self.lock:
            try:
                record_id, created = self.writer.upsert(
                    definition, key_field, value, values, write_options(self.writer, request)
                )
            except MultipleMatches as matches:
                urls = [f"/services/data/{version}/sobjects/{obj}/{rid}" for rid in matches.ids]
                return json_response(urls, status=300)
            except SaveError as error:
                return json_response([error.single_json()], status=400)
        body = {"id": record_id, "success": True, "errors": [], "created": created}
        return json_response(body, status=201 if created else 200)


def _batch_size(request: Request, compiled: CompiledQuery) -> int:
    batch = MAX_BATCH
    for option in request.headers.get("Sforce-Query-Options", "").split(","):
        name, _, value = option.strip().partition("=")
        if name.strip().lower() == "batchsize" and value.strip().isdigit():
            batch = min(MAX_BATCH, max(MIN_BATCH, int(value)))
    fields = [compiled.obj.fields[name] for name in compiled.fields if name not in compiled.paths]
    long_texts = sum(1 for field in fields if field.type == "textarea" and field.length > 255)
    return min(batch, MIN_BATCH) if long_texts >= 2 else batch  # two long text areas cap pages at 200


def _fields_param(request: Request) -> tuple[str, ...] | None:
    fields = request.args.get("fields")
    return tuple(name.strip() for name in fields.split(",")) if fields else None
