"""CRM object endpoints of the HubSpot fake (``/crm/v3/objects/{objectType}/...``)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from connector.sandbox.framework import json_response
from connector.sandbox.hubspot.portal import Portal
from connector.sandbox.hubspot.schema import SEARCH_DEFAULT_PROPERTIES, SINGULAR
from connector.sandbox.hubspot.store import ObjectTable, StoredObject, ValidationFailed
from connector.sandbox.hubspot.wire import (
    WireError,
    batch_body,
    batch_inputs,
    multi_status,
    now_iso,
    object_json,
    read_json,
    requested_properties,
    standard_error,
    validation_error,
)

_BASE = "/crm/v3/objects/<object_type>"


def object_rules() -> list[Rule]:
    return [
        Rule(_BASE, endpoint="list_objects", methods=["GET"]),
        Rule(_BASE, endpoint="create_object", methods=["POST"]),
        Rule(f"{_BASE}/batch/read", endpoint="batch_read", methods=["POST"]),
        Rule(f"{_BASE}/batch/create", endpoint="batch_create", methods=["POST"]),
        Rule(f"{_BASE}/batch/update", endpoint="batch_update", methods=["POST"]),
        Rule(f"{_BASE}/batch/upsert", endpoint="batch_upsert", methods=["POST"]),
        Rule(f"{_BASE}/batch/archive", endpoint="batch_archive", methods=["POST"]),
        Rule(f"{_BASE}/<object_id>", endpoint="get_object", methods=["GET"]),
        Rule(f"{_BASE}/<object_id>", endpoint="update_object", methods=["PATCH"]),
        Rule(f"{_BASE}/<object_id>", endpoint="archive_object", methods=["DELETE"]),
    ]


def _validated(table: ObjectTable, properties: Any) -> dict[str, str]:
    if not isinstance(properties, Mapping):
        raise WireError(400, "VALIDATION_ERROR", "Invalid input JSON: `properties` must be an object")
    try:
        return table.validate(properties)
    except ValidationFailed as failed:
        raise validation_error(failed.errors) from None


def _validated_all(table: ObjectTable, inputs: list[Mapping[str, Any]]) -> list[dict[str, str]]:
    """Every input's values, or one 400 naming every bad property in the batch (nothing is applied)."""
    values, errors = [], []
    for entry in inputs:
        try:
            values.append(table.validate(entry.get("properties") or {}))
        except ValidationFailed as failed:
            errors.extend(failed.errors)
    if errors:
        raise validation_error(errors)
    return values


def _no_duplicate_ids(inputs: list[Mapping[str, Any]]) -> None:
    seen, duplicates = set(), []
    for entry in inputs:
        key = str(entry.get("id", ""))
        if key in seen:
            duplicates.append(key)
        seen.add(key)
    if duplicates:
        raise WireError(400, "VALIDATION_ERROR", f"Duplicate IDs found in batch input: {duplicates}")


def _not_found(table: ObjectTable, ids: list[str]) -> dict[str, Any]:
    noun = SINGULAR.get(table.name, table.name.upper())
    message = (
        f"Could not get some {noun} objects, they may be deleted or not exist. Check that ids are valid."
    )
    return standard_error("OBJECT_NOT_FOUND", message, {"ids": ids})


class ObjectEndpoints:
    """Handlers for single and batch object calls. Mixed into HubSpotFake, which provides lock and portal."""

    portal: Portal

    def _record(self, table: ObjectTable, object_id: str, id_property: str | None) -> StoredObject:
        record = table.find(id_property, object_id)
        if record is None:
            raise WireError(404, "OBJECT_NOT_FOUND", "resource not found")
        return record

    def list_objects(self, request: Request, object_type: str) -> Response:
        table = self.portal.table(object_type)
        limit = min(int(request.args.get("limit", 10)), 100)
        after = int(request.args.get("after") or 0)
        page = [record for record in table.scan() if record.id >= after][: limit + 1]
        names = requested_properties(request) or SEARCH_DEFAULT_PROPERTIES[table.name]
        body: dict[str, Any] = {"results": [object_json(table, record, names) for record in page[:limit]]}
        if len(page) > limit:
            next_after = str(page[limit].id)
            body["paging"] = {"next": {"after": next_after, "link": f"{request.base_url}?after={next_after}"}}
        return json_response(body)

    def get_object(self, request: Request, object_type: str, object_id: str) -> Response:
        table = self.portal.table(object_type)
        record = self._record(table, object_id, request.args.get("idProperty"))
        names = requested_properties(request) or SEARCH_DEFAULT_PROPERTIES[table.name]
        return json_response(object_json(table, record, names))

    def create_object(self, request: Request, object_type: str) -> Response:
        table = self.portal.table(object_type)
        values = _validated(table, read_json(request).get("properties"))
        self.portal.check_conflicts(table, [(values, None)])
        record = self.portal.create(table, values)
        return json_response(object_json(table, record, values), status=201)

    def update_object(self, request: Request, object_type: str, object_id: str) -> Response:
        table = self.portal.table(object_type)
        values = _validated(table, read_json(request).get("properties"))
        record = self._record(table, object_id, request.args.get("idProperty"))
        self.portal.check_conflicts(table, [(values, record.id)])
        self.portal.update(table, record, values)
        return json_response(object_json(table, record, values))

    def archive_object(self, request: Request, object_type: str, object_id: str) -> Response:
        table = self.portal.table(object_type)
        record = table.find(None, object_id)
        if record is not None:
            table.archive(record)
        return Response(status=204)

    def batch_read(self, request: Request, object_type: str) -> Response:
        table, started = self.portal.table(object_type), now_iso()
        body = read_json(request)
        names = body.get("properties") or SEARCH_DEFAULT_PROPERTIES[table.name]
        results, missing = [], []
        for entry in batch_inputs(body):
            record = table.find(body.get("idProperty"), str(entry.get("id", "")))
            if record is None:
                missing.append(str(entry.get("id", "")))
            else:
                results.append(object_json(table, record, names))
        return multi_status(results, [_not_found(table, missing)] if missing else [], started)

    def batch_archive(self, request: Request, object_type: str) -> Response:
        table = self.portal.table(object_type)
        for entry in batch_inputs(read_json(request)):
            record = table.find(None, str(entry.get("id", "")))
            if record is not None:
                table.archive(record)
        return Response(status=204)

    def batch_create(self, request: Request, object_type: str) -> Response:
        """All or nothing, unless every input carries an objectWriteTraceId: then 207 per input."""
        table, started = self.portal.table(object_type), now_iso()
        inputs = batch_inputs(read_json(request))
        traced = bool(inputs) and all(entry.get("objectWriteTraceId") for entry in inputs)
        if not traced:
            values = _validated_all(table, inputs)
            self.portal.check_conflicts(table, [(v, None) for v in values])
            records = [self.portal.create(table, v) for v in values]
            results = [object_json(table, r, v) for r, v in zip(records, values, strict=True)]
            return json_response(batch_body(results, [], started), status=201)
        results, errors = [], []
        for entry in inputs:
            trace = {"objectWriteTraceId": [str(entry["objectWriteTraceId"])]}
            try:
                values = _validated(table, entry.get("properties") or {})
                self.portal.check_conflicts(table, [(values, None)])
            except WireError as refused:
                errors.append(standard_error(refused.category, refused.message, trace))
                continue
            result = object_json(table, self.portal.create(table, values), values)
            results.append(result | {"objectWriteTraceId": str(entry["objectWriteTraceId"])})
        return multi_status(results, errors, started, ok_status=201)

    def batch_update(self, request: Request, object_type: str) -> Response:
        table, started = self.portal.table(object_type), now_iso()
        inputs = batch_inputs(read_json(request))
        _no_duplicate_ids(inputs)
        values = _validated_all(table, inputs)
        found = [table.find(entry.get("idProperty"), str(entry.get("id", ""))) for entry in inputs]
        planned = [(v, record.id) for v, record in zip(values, found, strict=True) if record is not None]
        self.portal.check_conflicts(table, planned)
        results, missing = [], []
        for entry, record, written in zip(inputs, found, values, strict=True):
            if record is None:
                missing.append(str(entry.get("id", "")))
                continue
            self.portal.update(table, record, written)
            results.append(object_json(table, record, written))
        return multi_status(results, [_not_found(table, missing)] if missing else [], started)

    def batch_upsert(self, request: Request, object_type: str) -> Response:
        """Create or update by a unique property; results say ``new``. Any bad input fails the batch."""
        table, started = self.portal.table(object_type), now_iso()
        inputs = batch_inputs(read_json(request))
        _no_duplicate_ids(inputs)
        for entry in inputs:
            if not table.is_unique(str(entry.get("idProperty") or "")):
                message = (
                    f"{entry.get('idProperty')} is not a unique property and cannot be used as idProperty"
                )
                raise WireError(400, "VALIDATION_ERROR", message)
        # HubSpot stores the input's id as the id property's value, validated like any other value.
        keyed = [
            {"properties": {**(entry.get("properties") or {}), entry["idProperty"]: entry.get("id", "")}}
            for entry in inputs
        ]
        values = _validated_all(table, keyed)
        found = [table.find(entry["idProperty"], str(entry.get("id", ""))) for entry in inputs]
        self.portal.check_conflicts(
            table, [(v, r.id if r else None) for v, r in zip(values, found, strict=True)]
        )
        results = []
        for written, record in zip(values, found, strict=True):
            if record is None:
                results.append(
                    object_json(table, self.portal.create(table, written), written) | {"new": True}
                )
            else:
                self.portal.update(table, record, written)
                results.append(object_json(table, record, written) | {"new": False})
        return json_response(batch_body(results, [], started))
