"""Static lists of the Marketo fake: membership (``/rest/v1/lists``) and list assets (``/rest/asset/v1``)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

from werkzeug.wrappers import Request, Response

from connector.sandbox.marketo.activities import ActivityLog, encode_token, format_time
from connector.sandbox.marketo.leads import LeadStore
from connector.sandbox.marketo.rest import page_position, requested_fields
from connector.sandbox.marketo.wire import (
    EnvelopeError,
    batch_size,
    csv_values,
    effective_method,
    envelope,
    json_body,
    query,
)

ADD_TO_LIST, REMOVE_FROM_LIST = 24, 25
MEMBER_TOKEN, LISTS_TOKEN = "list", "lists"
_FIRST_LIST_ID = 1001
_DEFAULT_FOLDER = 12


class ListStore:
    """Static lists by id and their members; keeps a sorted member list per list for cheap paging."""

    def __init__(self) -> None:
        self.lists: dict[int, dict[str, Any]] = {}
        self.members: dict[int, set[int]] = {}
        self._sorted: dict[int, list[int]] = {}
        self._next_id = _FIRST_LIST_ID

    def create(self, name: str, *, folder: int = _DEFAULT_FOLDER, list_id: int | None = None) -> dict:
        if self.by_name(name) is not None:
            raise EnvelopeError("709", f"Static List with name '{name}' already exists")
        list_id = list_id or self._next_id
        self._next_id = max(self._next_id, list_id + 1)
        now = format_time(time.time())
        row = {
            "id": list_id,
            "name": name,
            "description": "",
            "folder": folder,
            "createdAt": now,
            "updatedAt": now,
        }
        self.lists[list_id] = row
        self.members[list_id] = set()
        return row

    def by_name(self, name: str) -> dict[str, Any] | None:
        return next((row for row in self.lists.values() if row["name"] == name), None)

    def get(self, list_id: int) -> dict[str, Any]:
        if list_id not in self.lists:
            raise EnvelopeError("1013", f"Static list '{list_id}' not found")
        return self.lists[list_id]

    def sorted_members(self, list_id: int) -> list[int]:
        if list_id not in self._sorted:
            self._sorted[list_id] = sorted(self.members[list_id])
        return self._sorted[list_id]

    def change(self, list_id: int, lead_id: int, *, add: bool) -> bool:
        members = self.members[list_id]
        if add == (lead_id in members):
            return False
        (members.add if add else members.discard)(lead_id)
        self._sorted.pop(list_id, None)
        return True


def asset_row(row: Mapping[str, Any]) -> dict[str, Any]:
    """A static list as the Asset API describes it."""
    return {
        "id": row["id"],
        "name": row["name"],
        "description": row["description"],
        "createdAt": row["createdAt"],
        "updatedAt": row["updatedAt"],
        "folder": {"id": row["folder"], "type": "Folder"},
        "workspace": "Default",
        "computedUrl": f"https://app-sandbox.marketo.com/#ST{row['id']}A1",
    }


def _list_row(row: Mapping[str, Any]) -> dict[str, Any]:
    return {key: row[key] for key in ("id", "name", "description", "createdAt", "updatedAt")} | {
        "programName": "Lead Database"
    }


class ListEndpoints:
    """Handlers for static lists, mixed into the fake (which provides the lock and the stores)."""

    lock: threading.RLock
    store: LeadStore
    log: ActivityLog
    lists: ListStore

    def lists_index(self, request: Request) -> Response:
        params = query(request)
        ids = {int(value) for value in csv_values(params.get("id")) if value.isdigit()}
        names = set(csv_values(params.get("name")))
        size = batch_size(params, 300)
        offset = page_position(params, LISTS_TOKEN, required=False)
        with self.lock:
            rows = [
                _list_row(row)
                for row in self.lists.lists.values()
                if (not ids or row["id"] in ids) and (not names or row["name"] in names)
            ]
        page = rows[offset : offset + size]
        more = offset + size < len(rows)
        return envelope(page, next_page_token=encode_token(LISTS_TOKEN, offset + size) if more else None)

    def list_leads(self, request: Request, list_id: int) -> Response:
        method = effective_method(request)
        if method == "GET":
            return self._list_members(list_id, query(request))
        ids = self._member_ids(request)
        with self.lock:
            row = self.lists.get(list_id)
            results = [self._change_member(row, lead_id, add=method == "POST") for lead_id in ids]
        return envelope(results)

    def _member_ids(self, request: Request) -> list[int]:
        if request.data:
            entries = json_body(request).get("input")
            if not isinstance(entries, list) or not all(isinstance(e, dict) and "id" in e for e in entries):
                raise EnvelopeError("1003", "input must be an array of {id}")
            raw = [str(entry["id"]) for entry in entries]
        else:
            raw = [value for item in request.args.getlist("id") for value in csv_values(item)]
        if not raw or not all(value.isdigit() for value in raw):
            raise EnvelopeError("1003", "Invalid or missing lead ids")
        if len(raw) > 300:
            raise EnvelopeError("1003", "Batch size exceeded: at most 300 ids per call")
        return [int(value) for value in raw]

    def _change_member(self, row: Mapping[str, Any], lead_id: int, *, add: bool) -> dict[str, Any]:
        if lead_id not in self.store.leads:
            return {
                "id": lead_id,
                "status": "skipped",
                "reasons": [{"code": "1004", "message": "Lead not found"}],
            }
        if self.lists.change(row["id"], lead_id, add=add):
            kind = ADD_TO_LIST if add else REMOVE_FROM_LIST
            self.log.append(
                lead_id, kind, row["name"], primary_value_id=row["id"], attributes=[("Source", "API")]
            )
        elif not add:
            return {
                "id": lead_id,
                "status": "skipped",
                "reasons": [{"code": "1015", "message": "Lead not in list"}],
            }
        return {"id": lead_id, "status": "added" if add else "removed"}

    def _list_members(self, list_id: int, params: Mapping[str, str]) -> Response:
        fields = requested_fields(params)
        size = batch_size(params, 300)
        offset = page_position(params, MEMBER_TOKEN, required=False)
        with self.lock:
            self.lists.get(list_id)
            members = self.lists.sorted_members(list_id)
            page = [lead_id for lead_id in members[offset : offset + size] if lead_id in self.store.leads]
            rows = [self.store.render(lead_id, fields) for lead_id in page]
            more = offset + size < len(members)
        return envelope(rows, next_page_token=encode_token(MEMBER_TOKEN, offset + size) if more else None)

    def list_ismember(self, request: Request, list_id: int) -> Response:
        params = query(request)
        ids = [int(value) for value in csv_values(params.get("id")) if value.isdigit()]
        if not ids:
            raise EnvelopeError("1003", "id is required")
        with self.lock:
            members = self.lists.members[self.lists.get(list_id)["id"]]
            rows = [
                {"id": lead_id, "status": "memberof" if lead_id in members else "notmemberof"}
                for lead_id in ids
            ]
        return envelope(rows)

    def asset_static_lists(self, request: Request) -> Response:
        if effective_method(request) == "GET":
            params = query(request)
            offset, size = int(params.get("offset", 0)), min(int(params.get("maxReturn", 20)), 200)
            with self.lock:
                rows = [asset_row(row) for row in list(self.lists.lists.values())[offset : offset + size]]
            return envelope(
                rows or None, warnings=() if rows else ("No assets found for the given search criteria.",)
            )
        name = request.form.get("name", "").strip()
        if not name:
            raise EnvelopeError("701", "'name' cannot be blank")
        folder = _folder_id(request.form.get("folder"))
        with self.lock:
            return envelope([asset_row(self.lists.create(name, folder=folder))])

    def asset_static_list_by_name(self, request: Request) -> Response:
        name = query(request).get("name", "")
        with self.lock:
            row = self.lists.by_name(name)
        if row is None:
            return envelope(None, warnings=("No assets found for the given search criteria.",))
        return envelope([asset_row(row)])


def _folder_id(raw: str | None) -> int:
    """The folder of a new list: the form sends ``{"id": 12, "type": "Folder"}`` as JSON text."""
    if not raw:
        raise EnvelopeError("701", "'folder' cannot be blank")
    try:
        folder = json.loads(raw)
        return int(folder["id"] if isinstance(folder, dict) else folder)
    except (ValueError, KeyError, TypeError):
        raise EnvelopeError("1003", "Invalid folder") from None


def seed_lists(
    lists: ListStore, store: LeadStore, rows: Sequence[Mapping[str, Any]], members: Mapping
) -> None:
    """Load lists (``{"id"?, "name"}``) and their members (``{"<listId>": [leadIds]}``)."""
    for row in rows:
        lists.create(row["name"], list_id=int(row["id"]) if row.get("id") else None)
    for list_id, lead_ids in members.items():
        lists.get(int(list_id))
        for lead_id in lead_ids:
            if int(lead_id) not in store.leads:
                raise ValueError(f"seed: list {list_id} names unknown lead {lead_id}")
            lists.change(int(list_id), int(lead_id), add=True)
