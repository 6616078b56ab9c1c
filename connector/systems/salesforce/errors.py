"""Salesforce failures in revloop's error taxonomy, as data: whole calls and single records.

``classify`` turns any exception of simple-salesforce or requests into a RemoteError for the call guard;
``record_error`` turns one refused record of a collection or bulk job into a RecordError. Messages are
built from the vendor's error code and message only (never from exception texts, which carry URLs with
SOQL and response bodies) and pass through :func:`connector.logs.redact`; a connection failure is told by
the description revloop's connections give it (host, port, certificate problem).
"""

from __future__ import annotations

import threading
from collections.abc import Mapping
from typing import Any

import requests
from simple_salesforce.exceptions import (
    SalesforceAuthenticationFailed,
    SalesforceError,
    SalesforceOperationError,
)
from urllib3.exceptions import ConnectTimeoutError, MaxRetryError, NameResolutionError, NewConnectionError

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

SYSTEM = "salesforce"

STATUS_TABLE: Mapping[str, ErrorCategory] = {
    "REQUIRED_FIELD_MISSING": ErrorCategory.RECORD_REJECT,
    "INVALID_EMAIL_ADDRESS": ErrorCategory.RECORD_REJECT,
    "STRING_TOO_LONG": ErrorCategory.RECORD_REJECT,
    "DUPLICATES_DETECTED": ErrorCategory.RECORD_REJECT,
    "FIELD_CUSTOM_VALIDATION_EXCEPTION": ErrorCategory.RECORD_REJECT,
    "INVALID_CROSS_REFERENCE_KEY": ErrorCategory.RECORD_REJECT,
    "CANNOT_UPDATE_CONVERTED_LEAD": ErrorCategory.RECORD_REJECT,
    "MALFORMED_ID": ErrorCategory.RECORD_REJECT,
    "INVALID_FIELD": ErrorCategory.SCHEMA_DRIFT,
    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST": ErrorCategory.SCHEMA_DRIFT,
    "INVALID_FIELD_FOR_INSERT_UPDATE": ErrorCategory.SCHEMA_DRIFT,
    "UNABLE_TO_LOCK_ROW": ErrorCategory.TRANSIENT,
}
"""Per-record statusCode → category; codes not listed are record rejections."""

CALL_CODE_TABLE: Mapping[str, type[RemoteError]] = {
    "INVALID_SESSION_ID": AuthError,
    "REQUEST_LIMIT_EXCEEDED": QuotaExhaustedError,
    "INVALID_FIELD": SchemaDriftError,
    "INVALID_TYPE": SchemaDriftError,
    "MALFORMED_QUERY": SchemaDriftError,
    "INVALID_FIELD_FOR_INSERT_UPDATE": SchemaDriftError,
    "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST": SchemaDriftError,
    "NOT_FOUND": SchemaDriftError,
    "UNABLE_TO_LOCK_ROW": TransientError,
    "SERVER_UNAVAILABLE": TransientError,
    "UNKNOWN_EXCEPTION": TransientError,
    "INVALID_QUERY_LOCATOR": TransientError,
}
"""Whole-call errorCode → error class; it wins over the HTTP status below."""

HTTP_STATUS_TABLE: Mapping[int, type[RemoteError]] = {
    300: RecordRejectedError,  # several records match one external id
    400: RecordRejectedError,
    401: AuthError,
    403: AuthError,
    404: SchemaDriftError,  # unknown object, field or external-id path
    409: TransientError,
    410: SchemaDriftError,  # API version retired
    429: ThrottledError,
}
"""HTTP status → error class when the errorCode is not in CALL_CODE_TABLE; 5xx are transient."""

CONCURRENCY_LIMIT = "ConcurrentPerOrgLongTxn"
"""REQUEST_LIMIT_EXCEEDED with this message is the concurrent long-request limit, not the daily quota."""


def record_error(error: Mapping[str, Any]) -> RecordError:
    """One entry of a result's ``errors`` array (``statusCode`` in collections, ``errorCode`` elsewhere)."""
    code = str(error.get("statusCode") or error.get("errorCode") or "UNKNOWN_ERROR")
    return RecordError(
        category=STATUS_TABLE.get(code, ErrorCategory.RECORD_REJECT),
        code=code,
        message=redact(error.get("message") or code),
        fields=tuple(error.get("fields") or ()),
    )


class SalesforceClassifier:
    """The ``classify`` callable for the call guard; remembers each thread's last Retry-After header.

    simple-salesforce exceptions keep the status and body but not the headers, so the adapter's
    session hands every response to :meth:`remember`.
    """

    def __init__(self) -> None:
        self._local = threading.local()

    def remember(self, response: requests.Response) -> None:
        self._local.retry_after = response.headers.get("Retry-After")

    def __call__(self, exc: BaseException) -> RemoteError | None:
        if isinstance(exc, SalesforceAuthenticationFailed):
            return AuthError(f"authentication failed: {redact(exc.code)}", system=SYSTEM, status=401)
        if isinstance(exc, SalesforceError):
            return self.from_answer(exc.status, exc.content)
        if isinstance(exc, SalesforceOperationError):  # a Bulk 2.0 job failed or was aborted
            return SchemaDriftError(f"bulk job failed: {redact(exc)}", system=SYSTEM)
        if isinstance(exc, requests.RequestException):
            return from_transport(exc)
        return None

    def from_answer(self, status: int, content: Any) -> RemoteError:
        """Classify a refused call from its HTTP status and parsed body."""
        code, message = first_error(content)
        cls = CALL_CODE_TABLE.get(code or "") or HTTP_STATUS_TABLE.get(status)
        if cls is None:
            cls = TransientError if status >= 500 else RecordRejectedError
        if cls is QuotaExhaustedError and CONCURRENCY_LIMIT in message:
            cls = ThrottledError
        text = f"HTTP {status} {code or 'error'}: {redact(message)}".rstrip(": ")
        context = {"system": SYSTEM, "status": status, "code": code}
        if cls is ThrottledError:
            return ThrottledError(text, retry_after=self._retry_after(), **context)
        return cls(text, **context)

    def _retry_after(self) -> float | None:
        value = getattr(self._local, "retry_after", None)
        try:
            return float(value) if value is not None else None
        except ValueError:
            return None


def first_error(content: Any) -> tuple[str | None, str]:
    """(errorCode, message) of an error answer: a Salesforce error array, an OAuth error or plain text."""
    if isinstance(content, bytes):
        content = content.decode("utf-8", "replace")
    if isinstance(content, list) and content and isinstance(content[0], Mapping):
        content = content[0]
    if isinstance(content, Mapping):
        code = content.get("errorCode") or content.get("statusCode") or content.get("error")
        message = content.get("message") or content.get("error_description") or ""
        return (str(code) if code else None), str(message)
    return None, str(content or "")[:300]


def from_transport(exc: requests.RequestException) -> RemoteError | None:
    """Connection failures: before the request was sent they are transient, after it ambiguous."""
    kind = type(exc).__name__
    if isinstance(exc, requests.ConnectTimeout):
        return TransientError(describe_failure(exc) or f"connect timeout ({kind})", system=SYSTEM)
    if isinstance(exc, requests.ReadTimeout | requests.exceptions.ChunkedEncodingError):
        return AmbiguousError(
            f"the answer did not arrive ({kind}); the request may have been applied", system=SYSTEM
        )
    if isinstance(exc, requests.TooManyRedirects):
        return AuthError(
            "Salesforce answered with a redirect; check instance_url and token_url", system=SYSTEM
        )
    if isinstance(exc, requests.ConnectionError):
        return _connection_error(exc)
    if isinstance(exc, requests.exceptions.ContentDecodingError):
        return AmbiguousError(f"the answer could not be decoded ({kind})", system=SYSTEM)
    return None


def _connection_error(exc: requests.ConnectionError) -> RemoteError:
    """Refused, unresolvable or TLS-failed connections never sent the request; anything else may have."""
    reason = exc.args[0] if exc.args else None
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    name = type(reason or exc).__name__
    if isinstance(exc, requests.exceptions.SSLError) or isinstance(
        reason, NewConnectionError | NameResolutionError | ConnectTimeoutError
    ):
        return TransientError(describe_failure(exc) or f"could not connect ({name})", system=SYSTEM)
    return AmbiguousError(f"the connection broke after the request was sent ({name})", system=SYSTEM)
