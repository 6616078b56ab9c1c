"""HubSpot failures classified into revloop's error taxonomy.

Each API package of hubspot-api-client has its own ``ApiException`` classes, so failures are read by
their attributes (``status``, ``body``, ``headers``), never by class identity. Vendor text passes through
:func:`connector.logs.redact` before it reaches an exception.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from urllib3.exceptions import (
    ConnectTimeoutError,
    MaxRetryError,
    ProtocolError,
    ReadTimeoutError,
    SSLError,
)

from connector.errors import (
    AmbiguousError,
    AuthError,
    ErrorCategory,
    QuotaExhaustedError,
    RecordRejectedError,
    RemoteError,
    SchemaDriftError,
    ThrottledError,
    TransientError,
)
from connector.logs import redact
from connector.records import RecordError
from connector.systems.connect_errors import describe_failure

SYSTEM = "hubspot"
MAX_MESSAGE = 500
DEFAULT_RETRY_AFTER_S = {"SECONDLY": 1.0, "TEN_SECONDLY_ROLLING": 10.0}


class RequestRefusedError(RemoteError):
    """HubSpot refused the request itself (414, an unexpected 400): a revloop bug or an unsupported
    query, not a record problem. Never retried; it stops the flow like schema drift does."""

    category = ErrorCategory.SCHEMA_DRIFT


class BatchRejectedError(RecordRejectedError):
    """A batch write failed as a whole because of some of its records (400 VALIDATION_ERROR, 409).

    The writer splits the batch to find them; ``fields`` names the properties HubSpot complained about.
    """

    def __init__(self, message: str, *, fields: tuple[str, ...] = (), **context: Any) -> None:
        self.fields = fields
        super().__init__(message, **context)


STATUS_TABLE: Mapping[int | str, tuple[type[RemoteError], str]] = {
    401: (AuthError, "the private app access token was refused; check hubspot.access_token_env/_file"),
    403: (AuthError, "the private app lacks a scope this call needs (see the HubSpot app's scopes)"),
    404: (RecordRejectedError, "not found"),
    409: (RecordRejectedError, "conflicts with an existing record"),
    414: (RequestRefusedError, "request URI too long (a revloop bug: properties belong in the body)"),
    423: (TransientError, "HubSpot locked the resource; retry after a pause"),
    "INVALID_EMAIL": (RecordRejectedError, "not a valid email address"),
    "INVALID_OPTION": (RecordRejectedError, "not one of the property's options"),
    "INVALID_INTEGER": (RecordRejectedError, "not a valid integer"),
    "INVALID_DECIMAL": (RecordRejectedError, "not a valid number"),
    "INVALID_LONG": (RecordRejectedError, "not a valid integer"),
    "INVALID_DATE": (RecordRejectedError, "not a valid date"),
    "INVALID_DATETIME": (RecordRejectedError, "not a valid date and time"),
    "INVALID_BOOLEAN": (RecordRejectedError, "not true or false"),
    "OBJECT_NOT_FOUND": (RecordRejectedError, "the record does not exist (deleted or merged?)"),
    "CONFLICT": (RecordRejectedError, "another record already holds this unique value"),
    "PROPERTY_DOESNT_EXIST": (SchemaDriftError, "the mapping names a property HubSpot does not have"),
    "READ_ONLY_VALUE": (SchemaDriftError, "the mapping writes a read-only property"),
}
"""HTTP status or HubSpot error code → error class and admin hint. 5xx and 429 are handled in code."""

_EMBEDDED = re.compile(r'\\?"error\\?"\s*:\s*\\?"([A-Z_]+)\\?"')
_EMBEDDED_NAME = re.compile(r'\\?"name\\?"\s*:\s*\\?"([^"\\]+)\\?"')


def parse_body(body: Any) -> dict[str, Any]:
    """The JSON error body as a dict ({} when it is not JSON)."""
    if isinstance(body, bytes):
        body = body.decode("utf-8", "replace")
    try:
        parsed = json.loads(body) if body else {}
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def vendor_codes(body: Mapping[str, Any]) -> tuple[list[str], tuple[str, ...]]:
    """Error codes and property names of an error body: from ``errors[]`` and from the JSON HubSpot embeds
    in ``message`` ("Property values were not valid: [{...}]")."""
    codes, fields = [], []
    for detail in body.get("errors") or ():
        if isinstance(detail, Mapping):
            codes.append(str(detail.get("code") or detail.get("category") or ""))
            fields.extend((detail.get("context") or {}).get("propertyName") or ())
    message = str(body.get("message", ""))
    codes.extend(_EMBEDDED.findall(message))
    fields.extend(_EMBEDDED_NAME.findall(message))
    if body.get("category") == "CONFLICT":
        codes.append("CONFLICT")
    return [code for code in dict.fromkeys(codes) if code], tuple(dict.fromkeys(fields))


def vendor_message(body: Mapping[str, Any], fallback: str) -> str:
    return redact(str(body.get("message") or fallback))[:MAX_MESSAGE]


def classify(exc: BaseException) -> RemoteError | None:
    """Classify a failure of any call. A whole-request 400 is a refused request here."""
    return _classify(exc, batch_write=False)


def classify_batch_write(exc: BaseException) -> RemoteError | None:
    """Classify a failure of a batch write: a 400 VALIDATION_ERROR or 409 blames records of the batch."""
    return _classify(exc, batch_write=True)


def _classify(exc: BaseException, *, batch_write: bool) -> RemoteError | None:
    if isinstance(exc, AttributeError) and getattr(exc.__context__, "status", None) == 0:
        # The client's ApiClient decodes the body of its own TLS-failure exception, which has none.
        exc = exc.__context__
    if isinstance(exc, MaxRetryError) and exc.reason is not None:
        exc = exc.reason
    if isinstance(exc, ConnectTimeoutError | SSLError):
        return TransientError(
            describe_failure(exc) or f"could not connect: {type(exc).__name__}", system=SYSTEM
        )
    if isinstance(exc, ReadTimeoutError | ProtocolError):
        message = (
            f"connection lost after the request was sent ({type(exc).__name__}); it may have been applied"
        )
        return AmbiguousError(message, system=SYSTEM)
    status, body = getattr(exc, "status", None), getattr(exc, "body", None)
    if not isinstance(status, int) or not hasattr(exc, "headers"):
        return None
    if status == 0:  # the client wraps TLS failures as ApiException(status=0)
        described = describe_failure(exc)
        return TransientError(
            described or f"TLS failure: {redact(getattr(exc, 'reason', ''))[:MAX_MESSAGE]}", system=SYSTEM
        )
    return classify_response(
        status, parse_body(body), getattr(exc, "headers", None) or {}, batch_write=batch_write
    )


def classify_response(
    status: int, body: Mapping[str, Any], headers: Mapping[str, str], *, batch_write: bool = False
) -> RemoteError:
    """The error for a non-2xx HubSpot answer."""
    message = vendor_message(body, f"HTTP {status}")
    if status == 429:
        return _throttled(body, headers, message)
    if status >= 500:
        return TransientError(f"HTTP {status}: {message}", system=SYSTEM, status=status)
    codes, fields = vendor_codes(body)
    drift = next((code for code in codes if STATUS_TABLE.get(code, (None,))[0] is SchemaDriftError), None)
    if drift is not None:
        return _from_table(drift, message, status, fields)
    if batch_write and (status == 409 or (status == 400 and body.get("category") == "VALIDATION_ERROR")):
        return _batch_rejection(status, body, codes, fields, message)
    if status in STATUS_TABLE:
        return _from_table(status, message, status, fields)
    return RequestRefusedError(
        f"HTTP {status}: {message}", system=SYSTEM, status=status, code=body.get("category")
    )


def _batch_rejection(
    status: int, body: Mapping[str, Any], codes: list[str], fields: tuple[str, ...], message: str
) -> BatchRejectedError:
    code = codes[0] if codes else str(body.get("category") or status)
    hint = STATUS_TABLE.get(code, (None, "HubSpot refused the batch"))[1]
    details = [
        str(d["message"]) for d in body.get("errors") or () if isinstance(d, Mapping) and d.get("message")
    ]
    if details:
        message = redact("; ".join(details))[:MAX_MESSAGE]
    return BatchRejectedError(
        f"{code}: {message} ({hint})", system=SYSTEM, status=status, code=code, fields=fields
    )


def _from_table(key: int | str, message: str, status: int, fields: tuple[str, ...]) -> RemoteError:
    error_class, hint = STATUS_TABLE[key]
    code = key if isinstance(key, str) else None
    label = code or f"HTTP {status}"
    named = f" [properties: {', '.join(fields)}]" if fields else ""
    return error_class(f"{label}: {message}{named} ({hint})", system=SYSTEM, status=status, code=code)


def _throttled(body: Mapping[str, Any], headers: Mapping[str, str], message: str) -> RemoteError:
    policy = str(body.get("policyName") or "")
    if policy == "DAILY":
        return QuotaExhaustedError(
            f"the portal's daily API limit is used up ({message}); the flow stops until it resets",
            system=SYSTEM,
            status=429,
            code=policy,
        )
    return ThrottledError(
        f"rate limited ({policy or 'unknown policy'}): {message}",
        retry_after=retry_after_s(headers, policy),
        system=SYSTEM,
        status=429,
        code=policy or None,
    )


def retry_after_s(headers: Mapping[str, str], policy: str) -> float:
    """Retry-After if HubSpot sent it, else the rate window's length, else a per-policy default."""
    lowered = {str(key).lower(): value for key, value in headers.items()}
    for name, scale in (("retry-after", 1.0), ("x-hubspot-ratelimit-interval-milliseconds", 0.001)):
        try:
            return float(lowered[name]) * scale
        except (KeyError, ValueError):
            continue
    return DEFAULT_RETRY_AFTER_S.get(policy, 10.0)


def record_error(error: RemoteError) -> RecordError:
    """A refused record's error for its WriteResult."""
    fields = error.fields if isinstance(error, BatchRejectedError) else ()
    return RecordError(category=error.category, code=error.code or "", message=str(error), fields=fields)


def record_error_from(detail: Mapping[str, Any]) -> RecordError:
    """A RecordError from one ``errors[]`` entry of a 207 answer."""
    category = str(detail.get("category") or "")
    codes, fields = vendor_codes(detail)
    code = next((c for c in (*codes, category) if c in STATUS_TABLE), category or "UNKNOWN")
    error_class, hint = STATUS_TABLE.get(code, (RecordRejectedError, "HubSpot refused this record"))
    message = f"{SYSTEM}: {code}: {vendor_message(detail, code)} ({hint})"
    return RecordError(category=error_class.category, code=code, message=message, fields=fields)
