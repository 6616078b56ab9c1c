"""Shared helpers of the Salesforce fake's routes: error answers, request bodies, record JSON.

Error bodies are JSON arrays (``errorCode`` on single-record calls, ``statusCode`` inside collection
results), as in shared/api-facts.md §1.8.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from werkzeug.wrappers import Request, Response

from connector.sandbox.framework import json_response
from connector.sandbox.salesforce.objects import OBJECTS
from connector.sandbox.salesforce.schema import ObjectDef
from connector.sandbox.salesforce.store import Row
from connector.sandbox.salesforce.validate import RequestError, coerce
from connector.sandbox.salesforce.writes import WriteOptions, Writer

if TYPE_CHECKING:
    from connector.sandbox.salesforce.fake import SalesforceFake

NOT_FOUND = RequestError("NOT_FOUND", "The requested resource does not exist", 404)


def sf_error(error: RequestError) -> Response:
    return json_response(error.body(), status=error.status)


def handles_errors(handler: Callable[..., Response]) -> Callable[..., Response]:
    """Turn a RequestError raised anywhere in a handler into Salesforce's error-array answer."""

    def wrapper(self: SalesforceFake, request: Request, **args: Any) -> Response:
        try:
            return handler(self, request, **args)
        except RequestError as error:
            return sf_error(error)

    wrapper.__name__ = handler.__name__
    return wrapper


def object_def(name: str) -> ObjectDef:
    obj = OBJECTS.get(name)
    if obj is None:
        raise NOT_FOUND
    return obj


def json_body(request: Request) -> Any:
    try:
        return json.loads(request.get_data(as_text=True) or "null")
    except ValueError:
        raise RequestError(
            "JSON_PARSER_ERROR", "Unexpected character: the request body is not valid JSON"
        ) from None


def record_values(obj: ObjectDef, record: dict[str, Any]) -> dict[str, Any]:
    """A request record's fields, coerced; ``attributes`` and ``id``/``Id`` are not fields to write."""
    return {
        name: coerce(obj, name, value)
        for name, value in record.items()
        if name not in ("attributes", "id", "Id")
    }


def row_json(obj: str, row: Row, fields: tuple[str, ...] | None, version: str) -> dict[str, Any]:
    selected = fields or tuple(row)
    return {
        "attributes": {"type": obj, "url": f"/services/data/{version}/sobjects/{obj}/{row['Id']}"},
        **{name: row.get(name) for name in selected},
    }


def write_options(writer: Writer, request: Request) -> WriteOptions:
    """The request's Sforce-Auto-Assign header as write options (an unknown rule id refuses the call)."""
    header = request.headers.get("Sforce-Auto-Assign")
    writer.check_assignment_header(header)
    return WriteOptions(auto_assign=header)


def external_id_field(obj: ObjectDef, name: str) -> str:
    definition = obj.field(name)
    if definition is None:
        raise NOT_FOUND
    if not definition.external_id and name != "Id":
        raise RequestError("INVALID_FIELD", f"Field {name} is not an external id field on {obj.name}")
    return definition.name
