"""Marketo failures classified as data: envelope codes, HTTP statuses, transport errors, record reasons.

Marketo answers HTTP 200 with ``success: false`` and quoted string codes; only a few conditions use
HTTP statuses (401 from the identity endpoint, 413 body over 1 MB, 414 URI over 8 KB). Every message
built here passes through :func:`connector.logs.redact` and never contains a URL (URLs of the identity
endpoint could carry the client secret; lead reads carry email addresses).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta, tzinfo
from typing import Any

import requests
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError

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

SYSTEM = "marketo"


class PayloadTooLargeError(RemoteError):
    """HTTP 413: the JSON body passed Marketo's 1 MB limit; the caller splits the batch."""


class UriTooLongError(RemoteError):
    """HTTP 414: the URI passed Marketo's 8 KB limit; the caller resends as POST with ``_method=GET``."""


class ExportLimitError(RemoteError):
    """1029: a bulk export limit: too many jobs queued, the daily export allocation used up, or the job
    is queued already. The message says which; the bulk extract waits or pauses the load."""

    category = ErrorCategory.THROTTLED


@dataclass(frozen=True, slots=True)
class CodeRule:
    error: type[RemoteError]
    hint: str
    retry_after_s: float | None = None


RATE_WINDOW_S = 20.0
"""Marketo's rolling rate window: after one full window every call that filled it has left it."""
CONCURRENCY_WAIT_S = 3.0
"""A concurrency refusal (615) clears as soon as one of the 10 calls in flight returns."""

ENVELOPE_CODES: Mapping[str, CodeRule] = {
    "600": CodeRule(AuthError, "no access token was sent"),
    "601": CodeRule(AuthError, "the access token is invalid"),
    "602": CodeRule(AuthError, "the access token expired"),
    "603": CodeRule(
        AuthError, "access denied: the API user's role lacks a permission or the IP is not allowed"
    ),
    "604": CodeRule(TransientError, "the request timed out inside Marketo"),
    "605": CodeRule(RemoteError, "HTTP method not supported by the endpoint"),
    "606": CodeRule(ThrottledError, "rate limit of 100 calls per 20 s per instance reached", RATE_WINDOW_S),
    "607": CodeRule(QuotaExhaustedError, "daily API quota reached"),
    "608": CodeRule(TransientError, "the API is temporarily unavailable"),
    "609": CodeRule(RemoteError, "Marketo could not parse the JSON body"),
    "610": CodeRule(RemoteError, "resource not found: check base_url and the ids used"),
    "611": CodeRule(TransientError, "system error inside Marketo"),
    "612": CodeRule(RemoteError, "invalid content type"),
    "613": CodeRule(RemoteError, "invalid multipart request"),
    "614": CodeRule(RemoteError, "invalid subscription: check the Munchkin id in base_url"),
    "615": CodeRule(ThrottledError, "concurrency limit of 10 calls in flight reached", CONCURRENCY_WAIT_S),
    "616": CodeRule(RemoteError, "the subscription type has no API access"),
    "713": CodeRule(TransientError, "transient error inside Marketo"),
    "1029": CodeRule(ExportLimitError, "bulk export limit: 10 jobs queued, or the daily export allocation"),
    "1035": CodeRule(RemoteError, "the subscription does not offer this bulk export filter"),
    "1006": CodeRule(SchemaDriftError, "a field named in the request does not exist: check the mapping"),
}
"""Request-level codes. Unlisted 1xxx and 7xx codes refuse the request's content (RecordRejectedError);
other unlisted codes are RemoteError, which is never retried."""

RECORD_REASON_CATEGORIES: Mapping[str, ErrorCategory] = {"1006": ErrorCategory.SCHEMA_DRIFT}
"""Per-record ``skipped`` reasons; every other reason (1001–1005, 1007, ...) is a record rejection."""

HTTP_STATUS: Mapping[int, CodeRule] = {
    401: CodeRule(AuthError, "the identity endpoint refused the client id or client secret"),
    403: CodeRule(AuthError, "access refused"),
    404: CodeRule(RemoteError, "not found: check base_url and identity_url"),
    413: CodeRule(PayloadTooLargeError, "request body larger than 1 MB"),
    414: CodeRule(UriTooLongError, "request URI longer than 8 KB"),
    429: CodeRule(ThrottledError, "too many requests", RATE_WINDOW_S),
    500: CodeRule(TransientError, "server error"),
    502: CodeRule(TransientError, "bad gateway"),
    503: CodeRule(TransientError, "service unavailable"),
    504: CodeRule(TransientError, "gateway timeout"),
}

_FIELD_NAME = re.compile(r"[Ff]ield '([^']{1,80})'")


def envelope_error(errors: Sequence[Mapping[str, Any]], *, endpoint: str) -> RemoteError:
    """The error for a ``success: false`` answer, classified by its first code."""
    first = errors[0] if errors else {}
    code = str(first.get("code", ""))
    message = redact(first.get("message", "no error message"))
    rule = ENVELOPE_CODES.get(code) or _default_rule(code)
    text = f"{endpoint}: error {code} {message} ({rule.hint})"
    if rule.error is QuotaExhaustedError:
        text += f"; the quota resets at midnight US Central time, next at {next_quota_reset()}"
    return _build(rule, text, code=code, endpoint=endpoint)


def http_error(status: int, *, endpoint: str, body: str = "", retry_after: str | None = None) -> RemoteError:
    """The error for an HTTP status other than 200."""
    rule = HTTP_STATUS.get(status) or CodeRule(
        TransientError if status >= 500 else RemoteError, f"unexpected HTTP status {status}"
    )
    if retry_after and retry_after.isdigit():
        rule = CodeRule(rule.error, rule.hint, float(retry_after))
    detail = f": {redact(body[:200])}" if body else ""
    return _build(rule, f"{endpoint}: HTTP {status} ({rule.hint}){detail}", status=status, endpoint=endpoint)


def classify_transport(exc: BaseException) -> RemoteError | None:
    """A requests failure as a RemoteError; never includes the URL (it may carry emails)."""
    if not isinstance(exc, requests.RequestException):
        return None
    name = type(exc).__name__
    if isinstance(exc, requests.ConnectTimeout) or _never_sent(exc):
        return TransientError(describe_failure(exc) or f"could not connect ({name})", system=SYSTEM)
    if isinstance(
        exc, requests.ReadTimeout | requests.ConnectionError | requests.exceptions.ChunkedEncodingError
    ):
        return AmbiguousError(f"connection lost after the request was sent ({name})", system=SYSTEM)
    return TransientError(f"request failed ({name})", system=SYSTEM)


def record_error(reasons: Sequence[Mapping[str, Any]]) -> RecordError:
    """The RecordError for a ``skipped`` record; an unknown field (1006) outranks other reasons."""
    reasons = list(reasons) or [{"code": "unknown", "message": "skipped without a reason"}]
    codes = [str(reason.get("code", "")) for reason in reasons]
    drift = next((code for code in codes if code in RECORD_REASON_CATEGORIES), None)
    code = drift or codes[0]
    message = redact("; ".join(f"{r.get('code')} {r.get('message', '')}".strip() for r in reasons))
    fields = tuple(
        dict.fromkeys(name for reason in reasons for name in _FIELD_NAME.findall(str(reason.get("message"))))
    )
    category = RECORD_REASON_CATEGORIES.get(code, ErrorCategory.RECORD_REJECT)
    return RecordError(category=category, code=code, message=message, fields=fields)


def next_quota_reset(now: datetime | None = None) -> str:
    """The next midnight in US Central time (when Marketo's daily quota resets), as ISO UTC."""
    central = _central_time()
    local = (now or datetime.now(UTC)).astimezone(central)
    midnight = datetime.combine(local.date() + timedelta(days=1), time(0), tzinfo=central)
    return midnight.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _central_time() -> tzinfo:
    try:
        from zoneinfo import ZoneInfo

        return ZoneInfo("America/Chicago")
    except (ImportError, KeyError, ValueError):  # no tz database: Central Standard Time is close enough
        from datetime import timezone

        return timezone(timedelta(hours=-6), "CST")


def _default_rule(code: str) -> CodeRule:
    if code[:1] == "7" or len(code) == 4:
        return CodeRule(RecordRejectedError, "Marketo refused the request's content")
    return CodeRule(RemoteError, "unexpected Marketo error code")


def _build(rule: CodeRule, text: str, **context: Any) -> RemoteError:
    if rule.error is ThrottledError:
        return ThrottledError(text, retry_after=rule.retry_after_s, system=SYSTEM, **context)
    return rule.error(text, system=SYSTEM, **context)


def _never_sent(exc: requests.RequestException) -> bool:
    reason = getattr(exc.args[0], "reason", None) if exc.args else None
    return isinstance(reason, NewConnectionError | ConnectTimeoutError | NameResolutionError)
