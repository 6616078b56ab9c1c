"""Wire helpers of the Marketo fake: the HTTP 200 envelope, error answers and ``_method=GET`` requests."""

from __future__ import annotations

import secrets
import time
from collections.abc import Mapping, Sequence
from typing import Any

from werkzeug.wrappers import Request, Response

from connector.sandbox.framework import json_response


class EnvelopeError(Exception):
    """Raised by a handler to answer ``success: false`` with one Marketo error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def request_id() -> str:
    return f"{secrets.token_hex(2)}#{int(time.time() * 1000):x}"


def envelope(
    result: Sequence[Any] | None = None,
    *,
    next_page_token: str | None = None,
    more_result: bool | None = None,
    warnings: Sequence[str] = (),
) -> Response:
    """A successful answer; ``result`` None leaves the key out, as Marketo does when nothing matched."""
    body: dict[str, Any] = {"requestId": request_id(), "success": True}
    if result is not None:
        body["result"] = list(result)
    body["errors"] = []
    body["warnings"] = list(warnings)
    if next_page_token is not None:
        body["nextPageToken"] = next_page_token
    if more_result is not None:
        body["moreResult"] = more_result
    return json_response(body)


def failure(code: str, message: str) -> Response:
    """Marketo's request-level failure: HTTP 200, ``success: false`` and a quoted error code."""
    return json_response(
        {"requestId": request_id(), "success": False, "errors": [{"code": code, "message": message}]}
    )


def effective_method(request: Request) -> str:
    """``POST ...?_method=GET`` (used when a query string would pass the 8 KB URI limit) is a GET."""
    if request.method == "POST" and request.args.get("_method", "").upper() == "GET":
        return "GET"
    return request.method


def query(request: Request) -> Mapping[str, str]:
    """The parameters of a read: the form body of a ``_method=GET`` POST, else the query string."""
    if request.method == "POST" and effective_method(request) == "GET":
        merged = dict(request.args)
        merged.pop("_method", None)
        merged.update(request.form.to_dict())
        return merged
    return request.args


def csv_values(raw: str | None) -> list[str]:
    return [part.strip() for part in (raw or "").split(",") if part.strip()]


def batch_size(params: Mapping[str, str], maximum: int) -> int:
    raw = params.get("batchSize")
    if raw is None:
        return maximum
    if not raw.isdigit() or not 0 < int(raw) <= maximum:
        raise EnvelopeError("1003", f"Invalid value for batchSize: must be 1..{maximum}")
    return int(raw)


def json_body(request: Request) -> dict[str, Any]:
    """The JSON body of a write; Marketo answers 612 when the content type is not JSON, 609 if unparsable."""
    if not request.mimetype or request.mimetype != "application/json":
        raise EnvelopeError("612", "Invalid Content Type")
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        raise EnvelopeError("609", "Invalid JSON")
    return body
