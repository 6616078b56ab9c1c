"""Lead and activity endpoints of the Marketo fake (``/rest/v1/leads*``, ``/rest/v1/activities*``)."""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

from werkzeug.wrappers import Request, Response

from connector.sandbox.marketo.activities import (
    ActivityLog,
    LoggedActivity,
    decode_token,
    encode_token,
    parse_time,
)
from connector.sandbox.marketo.leads import ACTIONS, LeadStore
from connector.sandbox.marketo.schema import (
    ACTIVITY_TYPE_IDS,
    CHANGE_DATA_VALUE,
    CHANGE_SCORE,
    DELETE_LEAD,
    FIELDS_BY_NAME,
    MAX_ACTIVITY_LEAD_IDS,
    MAX_ACTIVITY_TYPES,
    MAX_BATCH,
    MAX_FILTER_MATCHES,
    NEW_LEAD,
    activity_types,
    describe_v1,
    describe_v2,
)
from connector.sandbox.marketo.wire import (
    EnvelopeError,
    batch_size,
    csv_values,
    effective_method,
    envelope,
    json_body,
    query,
)

ACTIVITY_TOKEN, LEAD_TOKEN = "act", "lead"


def requested_fields(params: Mapping[str, str], *, required: bool = False) -> list[str] | None:
    names = csv_values(params.get("fields"))
    if required and not names:
        raise EnvelopeError("1003", "fields is required")
    for name in names:
        if name not in FIELDS_BY_NAME:
            raise EnvelopeError("1006", f"Field '{name}' not found")
    return names or None


def page_position(params: Mapping[str, str], kind: str, *, required: bool) -> int:
    token = params.get("nextPageToken")
    if not token:
        if required:
            raise EnvelopeError("1003", "nextPageToken is required")
        return 0
    try:
        return decode_token(kind, token)
    except ValueError:
        raise EnvelopeError("1003", "Invalid nextPageToken") from None


def _int_list(params: Mapping[str, str], name: str, maximum: int) -> list[int]:
    values = csv_values(params.get(name))
    if not all(value.isdigit() for value in values):
        raise EnvelopeError("1003", f"Invalid value for {name}")
    if len(values) > maximum:
        raise EnvelopeError("1003", f"Too many values for {name}: at most {maximum}")
    return [int(value) for value in values]


class LeadEndpoints:
    """Handlers for leads and activities, mixed into the fake (which provides the lock and the stores)."""

    lock: threading.RLock
    store: LeadStore
    log: ActivityLog

    def leads(self, request: Request) -> Response:
        method = effective_method(request)
        if method == "GET":
            return self._read_leads(query(request))
        if method == "POST":
            return self._sync_leads(json_body(request))
        raise EnvelopeError("605", f"Request method '{request.method}' not supported")

    def _read_leads(self, params: Mapping[str, str]) -> Response:
        filter_type = params.get("filterType", "")
        field = FIELDS_BY_NAME.get(filter_type)
        if field is None or not field.searchable:
            raise EnvelopeError("1003", f"Invalid filterType '{filter_type}'")
        values = csv_values(params.get("filterValues"))
        if not values:
            raise EnvelopeError("1003", "filterValues is required")
        if len(values) > MAX_BATCH:
            raise EnvelopeError("1003", f"Too many filterValues: at most {MAX_BATCH}")
        fields = requested_fields(params)
        size = batch_size(params, MAX_BATCH)
        offset = page_position(params, LEAD_TOKEN, required=False)
        with self.lock:
            ids = self.store.match(filter_type, values)
            if len(ids) > MAX_FILTER_MATCHES:
                raise EnvelopeError("1003", "Too many results match the filter")
            rows = [self.store.render(lead_id, fields) for lead_id in ids[offset : offset + size]]
        more = offset + size < len(ids)
        return envelope(rows, next_page_token=encode_token(LEAD_TOKEN, offset + size) if more else None)

    def _sync_leads(self, body: dict[str, Any]) -> Response:
        action = body.get("action", "createOrUpdate")
        lookup_field = body.get("lookupField", "email")
        records = body.get("input")
        if action not in ACTIONS:
            raise EnvelopeError("1003", f"Invalid action '{action}'")
        field = FIELDS_BY_NAME.get(lookup_field)
        if field is None or not field.searchable:
            raise EnvelopeError("1003", f"Invalid lookupField '{lookup_field}'")
        if lookup_field == "id" and action != "updateOnly":
            raise EnvelopeError("1003", "lookupField 'id' is only allowed with action 'updateOnly'")
        if not isinstance(records, list) or not records or not all(isinstance(r, dict) for r in records):
            raise EnvelopeError("1003", "input must be a non-empty array of lead objects")
        if len(records) > MAX_BATCH:
            raise EnvelopeError("1003", f"Batch size exceeded: at most {MAX_BATCH} records per call")
        with self.lock:
            return envelope(self.store.sync(action, lookup_field, records))

    def leads_describe(self, request: Request) -> Response:
        return envelope(describe_v1())

    def leads_describe2(self, request: Request) -> Response:
        return envelope(describe_v2())

    def activity_types(self, request: Request) -> Response:
        return envelope(activity_types())

    def paging_token(self, request: Request) -> Response:
        since = query(request).get("sinceDatetime")
        if not since:
            raise EnvelopeError("1003", "sinceDatetime is required")
        try:
            epoch = parse_time(since)
        except ValueError:
            raise EnvelopeError("704", f"Invalid date '{since}'") from None
        with self.lock:
            position = self.log.position_since(epoch)
        return envelope(None, next_page_token=encode_token(ACTIVITY_TOKEN, position))

    def activities(self, request: Request) -> Response:
        params = query(request)
        type_ids = _int_list(params, "activityTypeIds", MAX_ACTIVITY_TYPES)
        if not type_ids:
            raise EnvelopeError("1003", "activityTypeIds is required")
        if not set(type_ids) <= ACTIVITY_TYPE_IDS:
            raise EnvelopeError("1003", "Invalid activityTypeIds")
        return self._activity_page(params, type_ids, LoggedActivity.to_wire)

    def lead_changes(self, request: Request) -> Response:
        params = query(request)
        fields = set(requested_fields(params, required=True) or ())

        def keep(entry: LoggedActivity) -> bool:
            return entry.type_id == NEW_LEAD or entry.changed_field in fields

        return self._activity_page(params, (NEW_LEAD, CHANGE_DATA_VALUE, CHANGE_SCORE), _lead_change, keep)

    def deleted_leads(self, request: Request) -> Response:
        return self._activity_page(query(request), (DELETE_LEAD,), LoggedActivity.to_wire)

    def _activity_page(self, params, type_ids, render, keep=None) -> Response:
        position = page_position(params, ACTIVITY_TOKEN, required=True)
        lead_ids = set(_int_list(params, "leadIds", MAX_ACTIVITY_LEAD_IDS))
        size = batch_size(params, MAX_BATCH)

        def wanted(entry: LoggedActivity) -> bool:
            return (not lead_ids or entry.lead_id in lead_ids) and (keep is None or keep(entry))

        with self.lock:
            page, resume, more = self.log.page(position, type_ids, size, wanted if lead_ids or keep else None)
            rows = [render(entry) for entry in page]
        return envelope(rows or None, next_page_token=encode_token(ACTIVITY_TOKEN, resume), more_result=more)


def _lead_change(entry: LoggedActivity) -> dict[str, Any]:
    row = entry.to_wire()
    if entry.changed_field is not None:
        field = FIELDS_BY_NAME[entry.changed_field]
        row["fields"] = [
            {
                "id": field.id,
                "name": field.name,
                "newValue": entry.attribute("New Value"),
                "oldValue": entry.attribute("Old Value"),
            }
        ]
    return row
