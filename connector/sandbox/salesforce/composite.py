"""sObject Collections routes of the Salesforce fake: create, update by id, upsert by external id.

At most 200 records per call (a 201st refuses the whole call with EXCEEDED_ID_LIMIT); each record gets a
result in input order; with ``allOrNone`` one failure rolls every other record back
(ALL_OR_NONE_OPERATION_ROLLED_BACK).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from connector.sandbox.framework import json_response
from connector.sandbox.salesforce.schema import ObjectDef
from connector.sandbox.salesforce.validate import RequestError, SaveError
from connector.sandbox.salesforce.wire import (
    external_id_field,
    handles_errors,
    json_body,
    object_def,
    record_values,
    write_options,
)
from connector.sandbox.salesforce.writes import MultipleMatches

if TYPE_CHECKING:
    from connector.sandbox.salesforce.fake import SalesforceFake

MAX_COLLECTION = 200
TOO_MANY = RequestError(
    "EXCEEDED_ID_LIMIT", "record limit reached. cannot submit more than 200 records into this call"
)


class CollectionsMixin:
    """sObject Collections handlers (mixed into SalesforceFake)."""

    @handles_errors
    def collections_create(self: SalesforceFake, request: Request, version: str) -> Response:
        all_or_none, records = _collection(request)
        prepared = [(object_def(_record_type(record)), record) for record in records]
        operations = [self._create_operation(obj, record, request) for obj, record in prepared]
        with self.lock:
            return json_response(self.writer.batch(operations, all_or_none=all_or_none))

    @handles_errors
    def collections_update(self: SalesforceFake, request: Request, version: str) -> Response:
        all_or_none, records = _collection(request)
        operations = []
        for record in records:
            obj = object_def(_record_type(record))
            values, record_id = record_values(obj, record), record.get("id") or record.get("Id")
            operations.append(self._update_operation(obj, record_id, values, request))
        with self.lock:
            return json_response(self.writer.batch(operations, all_or_none=all_or_none))

    @handles_errors
    def collections_upsert(
        self: SalesforceFake, request: Request, version: str, obj: str, field: str
    ) -> Response:
        definition = object_def(obj)
        key_field = external_id_field(definition, field)
        all_or_none, records = _collection(request)
        prepared = [record_values(definition, record) for record in records]
        repeated = _repeated_keys(prepared, key_field)
        operations = [
            self._upsert_operation(definition, key_field, values, repeated, request) for values in prepared
        ]
        with self.lock:
            return json_response(self.writer.batch(operations, all_or_none=all_or_none))

    def _create_operation(
        self: SalesforceFake, obj: ObjectDef, record: dict, request: Request
    ) -> Callable[[], dict]:
        values, options = record_values(obj, record), write_options(self.writer, request)

        def create() -> dict[str, Any]:
            if record.get("id") or record.get("Id"):
                raise SaveError("INVALID_FIELD", "cannot specify Id in an insert call", ("Id",))
            return {"id": self.writer.create(obj, values, options), "success": True, "errors": []}

        return create

    def _update_operation(
        self: SalesforceFake, obj: ObjectDef, record_id: Any, values: dict, request: Request
    ) -> Callable[[], dict]:
        options = write_options(self.writer, request)

        def update() -> dict[str, Any]:
            if not record_id:
                raise SaveError("MISSING_ARGUMENT", "Id not specified in an update call")
            return {"id": self.writer.update(obj, record_id, values, options), "success": True, "errors": []}

        return update

    def _upsert_operation(
        self: SalesforceFake,
        obj: ObjectDef,
        key_field: str,
        values: dict,
        repeated: set[str],
        request: Request,
    ) -> Callable[[], dict]:
        options, key = write_options(self.writer, request), values.get(key_field)

        def upsert() -> dict[str, Any]:
            if key is not None and str(key).casefold() in repeated:
                raise SaveError("DUPLICATE_VALUE", f"Duplicate external id specified: {key}", (key_field,))
            try:
                record_id, created = self.writer.upsert(obj, key_field, key, values, options)
            except MultipleMatches as matches:
                raise SaveError(
                    "DUPLICATE_EXTERNAL_ID",
                    f"{obj.name}: more than one record found for external id field: {matches.ids}",
                    (key_field,),
                ) from None
            return {"id": record_id, "success": True, "errors": [], "created": created}

        return upsert


def _collection(request: Request) -> tuple[bool, list[dict[str, Any]]]:
    body = json_body(request)
    if not isinstance(body, dict) or not isinstance(body.get("records"), list):
        raise RequestError("JSON_PARSER_ERROR", "The request body must be an object with a records array")
    if not all(isinstance(record, dict) for record in body["records"]):
        raise RequestError("JSON_PARSER_ERROR", "Each element of records must be an object")
    if len(body["records"]) > MAX_COLLECTION:
        raise TOO_MANY
    return bool(body.get("allOrNone", False)), body["records"]


def _record_type(record: Any) -> str:
    kind = record.get("attributes", {}).get("type") if isinstance(record, dict) else None
    if not kind:
        raise RequestError("INVALID_TYPE", "Must send a concrete entity type.")
    return kind


def _repeated_keys(records: list[dict[str, Any]], key_field: str) -> set[str]:
    seen: set[str] = set()
    repeated: set[str] = set()
    for values in records:
        key = values.get(key_field)
        if key is not None:
            folded = str(key).casefold()
            (repeated if folded in seen else seen).add(folded)
    return repeated
