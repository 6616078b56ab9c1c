"""HubSpot's wire shapes for the fake: error bodies, objects, batch envelopes, query parameters."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from werkzeug.wrappers import Request, Response

from connector.sandbox.framework import json_response
from connector.sandbox.hubspot.store import SYSTEM_PROPERTIES, ObjectTable, PropertyError, StoredObject, iso

MAX_BATCH = 100


class WireError(Exception):
    """Raised by a handler to answer with a HubSpot error body."""

    def __init__(self, status: int, category: str, message: str, **extra: Any) -> None:
        self.status = status
        self.category = category
        self.message = message
        self.extra = extra
        super().__init__(message)

    def response(self) -> Response:
        return error_response(self.status, self.category, self.message, **self.extra)


def error_response(status: int, category: str, message: str, **extra: Any) -> Response:
    """The CRM error body: status, message, correlationId, category and optional errors/context."""
    body = {"status": "error", "message": message, "correlationId": str(uuid.uuid4()), "category": category}
    body.update(extra)
    return json_response(body, status=status)


def validation_error(errors: Sequence[PropertyError]) -> WireError:
    """HubSpot's whole-request VALIDATION_ERROR: the details sit in the message and in ``errors``."""
    details = [
        {"isValid": False, "message": error.message, "error": error.code, "name": error.name}
        for error in errors
    ]
    return WireError(
        400,
        "VALIDATION_ERROR",
        f"Property values were not valid: {json.dumps(details)}",
        errors=[
            {"message": error.message, "code": error.code, "context": {"propertyName": [error.name]}}
            for error in errors
        ],
    )


def now_iso() -> str:
    return iso(int(time.time() * 1000))


def read_json(request: Request) -> Any:
    body = request.get_json(silent=True, force=True)
    if body is None:
        raise WireError(400, "VALIDATION_ERROR", "Invalid input JSON: the body could not be parsed")
    return body


def batch_inputs(body: Any) -> list[Mapping[str, Any]]:
    inputs = body.get("inputs") if isinstance(body, Mapping) else None
    if not isinstance(inputs, list):
        raise WireError(400, "VALIDATION_ERROR", "Invalid input JSON: `inputs` must be a list")
    if len(inputs) > MAX_BATCH:
        raise WireError(
            400,
            "VALIDATION_ERROR",
            f"Batch input size must be at most {MAX_BATCH} inputs, but {len(inputs)} were given.",
            context={"maxInputs": [str(MAX_BATCH)]},
        )
    return inputs


def requested_properties(request: Request) -> list[str]:
    """``properties`` from the query string: repeated parameters, comma-separated values, or both."""
    names: list[str] = []
    for value in request.args.getlist("properties"):
        names.extend(part.strip() for part in value.split(",") if part.strip())
    return names


def object_json(table: ObjectTable, record: StoredObject, names: Iterable[str]) -> dict[str, Any]:
    """A SimplePublicObject with the requested properties; requested but unset ones come back as null."""
    wanted = dict.fromkeys((*names, *SYSTEM_PROPERTIES, table.modified_property))
    properties = {name: record.properties.get(name) for name in wanted}
    return {
        "id": str(record.id),
        "properties": properties,
        "createdAt": iso(record.created_ms),
        "updatedAt": iso(record.modified_ms),
        "archived": record.archived,
    }


def batch_body(results: list[dict[str, Any]], errors: list[dict[str, Any]], started: str) -> dict[str, Any]:
    body: dict[str, Any] = {
        "status": "COMPLETE",
        "results": results,
        "startedAt": started,
        "completedAt": now_iso(),
    }
    if errors:
        body["numErrors"] = len(errors)
        body["errors"] = errors
    return body


def standard_error(category: str, message: str, context: Mapping[str, list[str]]) -> dict[str, Any]:
    """One entry of a 207 answer's ``errors``."""
    return {
        "status": "error",
        "category": category,
        "message": message,
        "context": dict(context),
        "errors": [],
        "links": {},
    }


def multi_status(
    results: list[dict[str, Any]], errors: list[dict[str, Any]], started: str, ok_status: int = 200
) -> Response:
    """``ok_status`` when every input succeeded, else 207 with the per-input errors."""
    return json_response(batch_body(results, errors, started), status=207 if errors else ok_status)
