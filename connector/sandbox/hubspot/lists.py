"""Lists v3 endpoints of the HubSpot fake: create, look up, and manual memberships.

Only MANUAL and SNAPSHOT lists accept membership changes. Unknown record ids are reported as missing,
ids already in the list are ignored, and the answer spells ``recordsIdsAdded`` as HubSpot does.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from connector.sandbox.framework import json_response
from connector.sandbox.hubspot.portal import Portal
from connector.sandbox.hubspot.schema import OBJECT_TYPE_IDS
from connector.sandbox.hubspot.store import iso
from connector.sandbox.hubspot.wire import WireError, read_json

_LIST = "/crm/v3/lists/<list_id>"
_TYPE_BY_ID = {type_id: name for name, type_id in OBJECT_TYPE_IDS.items()}


def list_rules() -> list[Rule]:
    return [
        Rule("/crm/v3/lists", endpoint="list_create", methods=["POST"]),
        Rule(
            "/crm/v3/lists/object-type-id/<object_type_id>/name/<path:list_name>",
            endpoint="list_by_name",
            methods=["GET"],
        ),
        Rule(_LIST, endpoint="list_get", methods=["GET"]),
        Rule(f"{_LIST}/memberships", endpoint="memberships_get", methods=["GET"]),
        Rule(f"{_LIST}/memberships/add", endpoint="memberships_add", methods=["PUT"]),
        Rule(f"{_LIST}/memberships/remove", endpoint="memberships_remove", methods=["PUT"]),
        Rule(f"{_LIST}/memberships/add-and-remove", endpoint="memberships_add_and_remove", methods=["PUT"]),
    ]


@dataclass
class StoredList:
    list_id: str
    name: str
    object_type_id: str
    processing_type: str
    created_ms: int
    updated_ms: int
    version: int = 1
    members: dict[str, int] = field(default_factory=dict)
    """record id → when it joined (ms)."""

    def wire(self) -> dict[str, Any]:
        return {
            "listId": self.list_id,
            "listVersion": self.version,
            "name": self.name,
            "objectTypeId": self.object_type_id,
            "processingStatus": "COMPLETE",
            "processingType": self.processing_type,
            "size": len(self.members),
            "createdAt": iso(self.created_ms),
            "updatedAt": iso(self.updated_ms),
        }


class ListBook:
    """Every list of the portal; names are unique across the portal."""

    def __init__(self) -> None:
        self.lists: dict[str, StoredList] = {}
        self._next_id = 1

    def create(self, name: str, object_type_id: str, processing_type: str) -> StoredList:
        if any(existing.name == name for existing in self.lists.values()):
            raise WireError(400, "VALIDATION_ERROR", f"A list with the name '{name}' already exists")
        if object_type_id not in _TYPE_BY_ID:
            raise WireError(400, "VALIDATION_ERROR", f"Unable to infer object type from: {object_type_id}")
        now = int(time.time() * 1000)
        stored = StoredList(str(self._next_id), name, object_type_id, processing_type, now, now)
        self._next_id += 1
        self.lists[stored.list_id] = stored
        return stored

    def get(self, list_id: str) -> StoredList:
        if list_id not in self.lists:
            raise WireError(404, "OBJECT_NOT_FOUND", f"List {list_id} does not exist")
        return self.lists[list_id]

    def by_name(self, object_type_id: str, name: str) -> StoredList:
        for stored in self.lists.values():
            if stored.name == name and stored.object_type_id == object_type_id:
                return stored
        raise WireError(404, "OBJECT_NOT_FOUND", f"List does not exist with name {name}")

    def dump(self) -> list[dict[str, Any]]:
        return [
            stored.wire() | {"members": sorted(stored.members, key=int)} for stored in self.lists.values()
        ]


class ListEndpoints:
    """Mixed into HubSpotFake, which provides ``portal`` and ``list_book``."""

    portal: Portal
    list_book: ListBook

    def list_create(self, request: Request) -> Response:
        body = read_json(request)
        if not body.get("name") or body.get("processingType") not in ("MANUAL", "DYNAMIC", "SNAPSHOT"):
            raise WireError(400, "VALIDATION_ERROR", "name, objectTypeId and processingType are required")
        stored = self.list_book.create(
            str(body["name"]), str(body.get("objectTypeId", "")), body["processingType"]
        )
        return json_response({"list": stored.wire()})

    def list_by_name(self, request: Request, object_type_id: str, list_name: str) -> Response:
        return json_response({"list": self.list_book.by_name(object_type_id, list_name).wire()})

    def list_get(self, request: Request, list_id: str) -> Response:
        return json_response({"list": self.list_book.get(list_id).wire()})

    def memberships_get(self, request: Request, list_id: str) -> Response:
        stored = self.list_book.get(list_id)
        limit = min(int(request.args.get("limit", 100)), 250)
        after = int(request.args.get("after") or 0)
        members = sorted(stored.members.items(), key=lambda item: int(item[0]))
        page = members[after : after + limit]
        body: dict[str, Any] = {
            "results": [{"recordId": record_id, "membershipTimestamp": iso(ms)} for record_id, ms in page],
            "total": len(members),
        }
        if after + limit < len(members):
            body["paging"] = {"next": {"after": str(after + limit)}}
        return json_response(body)

    def memberships_add(self, request: Request, list_id: str) -> Response:
        return json_response(self._change(list_id, _ids(read_json(request)), ()))

    def memberships_remove(self, request: Request, list_id: str) -> Response:
        return json_response(self._change(list_id, (), _ids(read_json(request))))

    def memberships_add_and_remove(self, request: Request, list_id: str) -> Response:
        body = read_json(request)
        return json_response(
            self._change(list_id, _ids(body.get("recordIdsToAdd")), _ids(body.get("recordIdsToRemove")))
        )

    def _change(self, list_id: str, add: Iterable[str], remove: Iterable[str]) -> dict[str, list[str]]:
        stored = self.list_book.get(list_id)
        if stored.processing_type == "DYNAMIC":
            raise WireError(
                400, "VALIDATION_ERROR", f"List {list_id} is DYNAMIC: its memberships cannot be edited"
            )
        table = self.portal.table(stored.object_type_id)
        added, removed, missing = [], [], []
        now = int(time.time() * 1000)
        for record_id in add:
            if table.find(None, record_id) is None:
                missing.append(record_id)
            elif record_id not in stored.members:
                stored.members[record_id] = now
                added.append(record_id)
        for record_id in remove:
            if stored.members.pop(record_id, None) is not None:
                removed.append(record_id)
            elif table.find(None, record_id) is None:
                missing.append(record_id)
        if added or removed:
            stored.updated_ms, stored.version = now, stored.version + 1
        return {"recordsIdsAdded": added, "recordIdsRemoved": removed, "recordIdsMissing": missing}


def _ids(raw: Any) -> list[str]:
    if raw is None:
        return []
    if not isinstance(raw, list):
        raise WireError(400, "VALIDATION_ERROR", "Invalid input JSON: expected a list of record ids")
    return [str(value) for value in raw]
