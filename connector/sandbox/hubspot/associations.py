"""Associations v4 endpoints of the HubSpot fake.

Associations are stored from both sides, as HubSpot does: linking a contact to a company with type 279
also links the company to the contact with the inverse type 280.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from connector.sandbox.framework import json_response
from connector.sandbox.hubspot.portal import Portal
from connector.sandbox.hubspot.schema import ASSOCIATION_TYPES, INVERSE_TYPE, OBJECT_TYPE_IDS, SINGULAR
from connector.sandbox.hubspot.store import ObjectTable
from connector.sandbox.hubspot.wire import (
    WireError,
    batch_body,
    batch_inputs,
    multi_status,
    now_iso,
    read_json,
)

_BATCH = "/crm/v4/associations/<from_type>/<to_type>/batch"
AssociationKind = tuple[str, int]
"""(associationCategory, associationTypeId)"""


def association_rules() -> list[Rule]:
    return [
        Rule(f"{_BATCH}/create", endpoint="associations_create", methods=["POST"]),
        Rule(f"{_BATCH}/associate/default", endpoint="associations_default", methods=["POST"]),
        Rule(f"{_BATCH}/read", endpoint="associations_read", methods=["POST"]),
        Rule(f"{_BATCH}/archive", endpoint="associations_archive", methods=["POST"]),
        Rule(
            "/crm/v4/objects/<object_type>/<object_id>/associations/<to_type>",
            endpoint="associations_get",
            methods=["GET"],
        ),
    ]


class AssociationGraph:
    """Edges keyed by (from type, from id, to type) → to id → association kinds."""

    def __init__(self) -> None:
        self.edges: dict[tuple[str, int, str], dict[int, set[AssociationKind]]] = defaultdict(dict)

    def link(self, from_table: str, from_id: int, to_table: str, to_id: int, kind: AssociationKind) -> None:
        category, type_id = kind
        self.edges[(from_table, from_id, to_table)].setdefault(to_id, set()).add(kind)
        inverse = (category, INVERSE_TYPE.get(type_id, type_id))
        self.edges[(to_table, to_id, from_table)].setdefault(from_id, set()).add(inverse)

    def unlink(self, from_table: str, from_id: int, to_table: str, to_id: int) -> None:
        """Remove every association between the two records, from both sides."""
        self.edges.get((from_table, from_id, to_table), {}).pop(to_id, None)
        self.edges.get((to_table, to_id, from_table), {}).pop(from_id, None)

    def targets(self, from_table: str, from_id: int, to_table: str) -> dict[int, set[AssociationKind]]:
        return self.edges.get((from_table, from_id, to_table), {})

    def dump(self) -> list[dict[str, Any]]:
        return [
            {"fromObjectType": key[0], "fromId": str(key[1]), "toObjectType": key[2], "toId": str(to_id),
             "types": [{"category": c, "typeId": t} for c, t in sorted(kinds)]}
            for key, targets in self.edges.items()
            for to_id, kinds in targets.items()
        ]  # fmt: skip


def _missing(table: ObjectTable, raw_id: Any, side: str) -> dict[str, Any] | None:
    """A 207 error entry when the object on ``side`` (fromObjectId/toObjectId) does not exist."""
    object_id = str(raw_id or "")
    if table.find(None, object_id) is not None:
        return None
    noun = SINGULAR.get(table.name, table.name.upper()).title()
    return {
        "status": "error",
        "category": "VALIDATION_ERROR",
        "message": f"{noun}={object_id} is not valid",
        "context": {side: [object_id]},
        "errors": [],
        "links": {},
    }


def _types_json(kinds: set[AssociationKind]) -> list[dict[str, Any]]:
    return [{"category": category, "typeId": type_id} for category, type_id in sorted(kinds)]


class AssociationEndpoints:
    """Mixed into HubSpotFake, which provides ``portal`` and ``associations``."""

    portal: Portal
    associations: AssociationGraph

    def _pair_errors(self, source: ObjectTable, target: ObjectTable, entry: Mapping[str, Any]) -> list[dict]:
        from_id, to_id = (entry.get("from") or {}).get("id"), (entry.get("to") or {}).get("id")
        found = (_missing(source, from_id, "fromObjectId"), _missing(target, to_id, "toObjectId"))
        return [error for error in found if error is not None]

    def associations_create(self, request: Request, from_type: str, to_type: str) -> Response:
        source, target, started = self.portal.table(from_type), self.portal.table(to_type), now_iso()
        results, errors = [], []
        for entry in batch_inputs(read_json(request)):
            problems = self._pair_errors(source, target, entry)
            if problems:
                errors.extend(problems)
                continue
            from_id, to_id = int(entry["from"]["id"]), int(entry["to"]["id"])
            for spec in entry.get("types") or ():
                kind = (str(spec["associationCategory"]), int(spec["associationTypeId"]))
                self.associations.link(source.name, from_id, target.name, to_id, kind)
            results.append({
                "fromObjectTypeId": OBJECT_TYPE_IDS[source.name], "fromObjectId": str(from_id),
                "toObjectTypeId": OBJECT_TYPE_IDS[target.name], "toObjectId": str(to_id), "labels": [],
            })  # fmt: skip
        return multi_status(results, errors, started, ok_status=201)

    def associations_default(self, request: Request, from_type: str, to_type: str) -> Response:
        source, target, started = self.portal.table(from_type), self.portal.table(to_type), now_iso()
        type_id = ASSOCIATION_TYPES.get((source.name, target.name))
        if type_id is None:
            message = f"No default association type exists between {source.name} and {target.name}"
            raise WireError(400, "VALIDATION_ERROR", message)
        results, errors = [], []
        for entry in batch_inputs(read_json(request)):
            problems = self._pair_errors(source, target, entry)
            if problems:
                errors.extend(problems)
                continue
            from_id, to_id = int(entry["from"]["id"]), int(entry["to"]["id"])
            self.associations.link(source.name, from_id, target.name, to_id, ("HUBSPOT_DEFINED", type_id))
            results.append({
                "from": {"id": str(from_id)}, "to": {"id": str(to_id)},
                "associationSpec": {"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": type_id},
            })  # fmt: skip
        return json_response(batch_body(results, errors, started))

    def associations_archive(self, request: Request, from_type: str, to_type: str) -> Response:
        """Remove every association of each pair (unknown pairs are ignored); 204 like HubSpot."""
        source, target = self.portal.table(from_type), self.portal.table(to_type)
        for entry in batch_inputs(read_json(request)):
            from_id = int(entry["from"]["id"])
            for to in entry.get("to") or ():
                self.associations.unlink(source.name, from_id, target.name, int(to["id"]))
        return Response(status=204)

    def _live_targets(self, source: ObjectTable, from_id: int, target: ObjectTable) -> list:
        """Associated records that still exist, by id (an archived record takes its associations along)."""
        targets = self.associations.targets(source.name, from_id, target.name)
        return sorted((i, kinds) for i, kinds in targets.items() if target.live(i) is not None)

    def associations_read(self, request: Request, from_type: str, to_type: str) -> Response:
        source, target, started = self.portal.table(from_type), self.portal.table(to_type), now_iso()
        results, errors = [], []
        for entry in batch_inputs(read_json(request)):
            problem = _missing(source, entry.get("id"), "fromObjectId")
            if problem is not None:
                errors.append(problem)
                continue
            targets = self._live_targets(source, int(entry["id"]), target)
            to = [{"toObjectId": str(i), "associationTypes": _types_json(k)} for i, k in targets]
            results.append({"from": {"id": str(entry["id"])}, "to": to})
        return multi_status(results, errors, started)

    def associations_get(self, request: Request, object_type: str, object_id: str, to_type: str) -> Response:
        source, target = self.portal.table(object_type), self.portal.table(to_type)
        limit, after = min(int(request.args.get("limit", 500)), 500), int(request.args.get("after") or 0)
        record = source.find(None, object_id)
        targets = self._live_targets(source, record.id, target) if record else []
        page = targets[after : after + limit]
        body: dict[str, Any] = {
            "results": [{"toObjectId": str(i), "associationTypes": _types_json(k)} for i, k in page]
        }
        if after + limit < len(targets):
            body["paging"] = {"next": {"after": str(after + limit)}}
        return json_response(body)
