"""HubSpot failures: classification from error bodies, and retries, throttling and quota end to end."""

from __future__ import annotations

import json
import logging

import hubspot.crm.lists as lists_package
import hubspot.crm.objects as objects_package
import pytest
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError, ReadTimeoutError

from connector.errors import (
    AmbiguousError,
    AuthError,
    QuotaExhaustedError,
    RecordRejectedError,
    SchemaDriftError,
    ThrottledError,
    TransientError,
)
from connector.records import Outcome, Outgoing
from connector.systems.guard import DailyBudget
from connector.systems.hubspot.adapter import HubSpotSystem
from connector.systems.hubspot.errors import (
    BatchRejectedError,
    RequestRefusedError,
    classify,
    classify_batch_write,
)

pytest_plugins = ("conftest_hubspot",)


class FakeResponse:
    """The attributes an ApiException reads from the HTTP response it wraps."""

    def __init__(self, status: int, body: dict, headers: dict | None = None) -> None:
        self.status = status
        self.reason = "reason"
        self.data = json.dumps(body)
        self._headers = headers or {}

    def getheaders(self) -> dict:
        return self._headers


def api_exception(status: int, body: dict, headers: dict | None = None, package=objects_package):
    return package.ApiException(http_resp=FakeResponse(status, body, headers))


def error_body(category: str, message: str = "m", **extra) -> dict:
    return {"status": "error", "message": message, "correlationId": "c", "category": category, **extra}


VALIDATION = error_body(
    "VALIDATION_ERROR",
    'Property values were not valid: [{"isValid":false,"message":"Email address x is invalid",'
    '"error":"INVALID_EMAIL","name":"email"}]',
)


@pytest.mark.parametrize("package", [objects_package, lists_package])
def test_classification_reads_attributes_not_the_package_exception_class(package):
    assert isinstance(
        classify(api_exception(401, error_body("INVALID_AUTHENTICATION"), package=package)), AuthError
    )
    assert isinstance(
        classify(api_exception(503, error_body("INTERNAL_ERROR"), package=package)), TransientError
    )


@pytest.mark.parametrize(
    ("status", "body", "expected"),
    [
        (401, error_body("INVALID_AUTHENTICATION"), AuthError),
        (403, error_body("MISSING_SCOPES"), AuthError),
        (423, error_body("LOCKED"), TransientError),
        (500, error_body("INTERNAL_ERROR"), TransientError),
        (414, {}, RequestRefusedError),
        (409, error_body("CONFLICT", "Contact already exists. Existing ID: 5"), RecordRejectedError),
        (400, VALIDATION, RequestRefusedError),
        (
            400,
            error_body("VALIDATION_ERROR", 'x: [{"error":"PROPERTY_DOESNT_EXIST","name":"foo"}]'),
            SchemaDriftError,
        ),
    ],
)
def test_status_and_codes_map_to_the_taxonomy(status, body, expected):
    error = classify(api_exception(status, body))
    assert type(error) is expected
    assert error.status == status


def test_a_validation_error_on_a_batch_write_blames_records_and_names_the_property():
    error = classify_batch_write(api_exception(400, VALIDATION))
    assert isinstance(error, BatchRejectedError)
    assert (error.code, error.fields) == ("INVALID_EMAIL", ("email",))
    conflict = classify_batch_write(
        api_exception(409, error_body("CONFLICT", "Contact already exists. Existing ID: 5"))
    )
    assert isinstance(conflict, BatchRejectedError) and conflict.code == "CONFLICT"
    drift = classify_batch_write(
        api_exception(
            400, error_body("VALIDATION_ERROR", errors=[{"message": "m", "code": "READ_ONLY_VALUE"}])
        )
    )
    assert isinstance(drift, SchemaDriftError)


def test_429_daily_policy_is_quota_and_burst_policies_are_throttling():
    daily = classify(
        api_exception(429, {"message": "daily", "policyName": "DAILY", "errorType": "RATE_LIMIT"})
    )
    assert isinstance(daily, QuotaExhaustedError)
    burst = classify(api_exception(429, {"policyName": "TEN_SECONDLY_ROLLING"}, {"Retry-After": "2"}))
    assert isinstance(burst, ThrottledError) and burst.retry_after == 2.0
    window = classify(
        api_exception(
            429,
            {"policyName": "TEN_SECONDLY_ROLLING"},
            {"X-HubSpot-RateLimit-Interval-Milliseconds": "10000"},
        )
    )
    assert window.retry_after == 10.0
    assert classify(api_exception(429, {"policyName": "SECONDLY"})).retry_after == 1.0


def test_connection_failures_are_transient_or_ambiguous():
    refused = NewConnectionError(None, "refused")
    assert type(classify(refused)) is TransientError
    assert type(classify(MaxRetryError(None, "/", reason=refused))) is TransientError
    assert isinstance(classify(ReadTimeoutError(None, "/", "read timed out")), AmbiguousError)
    assert isinstance(classify(ProtocolError("Connection broken: IncompleteRead")), AmbiguousError)
    assert classify(ValueError("not a remote failure")) is None


def test_429_with_retry_after_is_waited_out_and_the_call_succeeds(
    make_hubspot, hubspot_fake, fast_hubspot_guard, sleeps
):
    hubspot_fake.seed({"contacts": [{"properties": {"email": "a@example.com"}}]})
    hubspot_fake.set_knobs(faults=[{"nth": 1, "kind": "429", "endpoint": "search_objects"}])
    system = make_hubspot(guard=fast_hubspot_guard(sleep=sleeps))
    records = [r for page in system.read_changes("contacts", None, ["email"]) for r in page.records]
    assert [r.fields["email"] for r in records] == ["a@example.com"]
    assert system.guard.calls == {"objects.search": 2}
    assert sleeps.waits == [1.0]


def test_the_daily_policy_stops_the_flow_without_retrying(hubspot, hubspot_fake):
    hubspot_fake.set_knobs(daily_quota=0)
    with pytest.raises(QuotaExhaustedError, match="daily"):
        hubspot.upsert("contacts", "email", [Outgoing("a@example.com", {})])
    assert hubspot.guard.calls == {"batch.upsert": 1}


def test_the_vendors_remaining_quota_is_observed_and_honoured(make_hubspot, hubspot_fake, fast_hubspot_guard):
    hubspot_fake.set_knobs(daily_quota=1000)
    guard = fast_hubspot_guard()
    guard.budget = DailyBudget(reserve=998)
    system = make_hubspot(guard=guard)
    system.upsert("contacts", "email", [Outgoing("a@example.com", {})])
    assert guard.budget.vendor_remaining == 999
    system.upsert("contacts", "email", [Outgoing("b@example.com", {})])
    with pytest.raises(QuotaExhaustedError, match="reserve"):
        system.upsert("contacts", "email", [Outgoing("c@example.com", {})])
    assert guard.calls == {"batch.upsert": 2}


def test_a_500_is_retried(hubspot, hubspot_fake):
    hubspot_fake.set_knobs(faults=[{"nth": 1, "kind": "500", "endpoint": "batch_read"}])
    hubspot_fake.seed({"contacts": [{"properties": {"email": "a@example.com"}}]})
    assert len(list(hubspot.read_by_keys("contacts", "email", ["a@example.com"], ["email"]))) == 1
    assert hubspot.guard.calls == {"batch.read": 2}


def test_a_dropped_upsert_answer_is_sent_again_without_a_duplicate(hubspot, hubspot_fake):
    hubspot_fake.set_knobs(faults=[{"nth": 1, "kind": "drop", "endpoint": "batch_upsert"}])
    batch = [Outgoing(f"d{n}@example.com", {"firstname": "D"}) for n in range(3)]
    results = hubspot.upsert("contacts", "email", batch)
    assert all(r.ok for r in results)
    assert [r.outcome for r in results] == [Outcome.UPDATED] * 3  # the first, lost answer had created them
    assert hubspot.guard.calls == {"batch.upsert": 2}
    assert set(hubspot_fake.creates_per_key("contacts", "email").values()) == {1}


def test_a_read_timeout_is_retried_as_ambiguous(hubspot_settings, hubspot_fake, fast_hubspot_guard):
    hubspot_fake.set_knobs(
        faults=[{"nth": 1, "kind": "timeout", "endpoint": "get_properties", "hang_s": 0.6}]
    )
    system = HubSpotSystem(hubspot_settings.model_copy(update={"timeout_s": 0.2}), fast_hubspot_guard())
    assert system.describe("contacts").field("email") is not None
    assert system.guard.calls == {"properties.list": 2}


def test_the_token_never_appears_in_errors_reprs_or_debug_logs(make_hubspot, hubspot_fake, caplog):
    token = hubspot_fake.static_token
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="urllib3")
    system = make_hubspot()
    assert logging.getLogger("urllib3").level == logging.DEBUG  # building the client left it alone
    for name in ("hubspot", "hubspot.crm.objects", "hubspot.crm.objects.rest"):
        caplog.set_level(logging.DEBUG, logger=name)
    system.upsert(
        "contacts", "email", [Outgoing("a@example.com", {"hubspotscore": "x"}), Outgoing("b@example.com", {})]
    )
    list(system.read_changes("contacts", None, ["email"]))
    errors = []
    try:
        system.upsert("contacts", "email", [Outgoing("c@example.com", {"nope": "1"})])
    except SchemaDriftError as exc:
        errors.append(exc)
    with hubspot_fake.lock:
        hubspot_fake.tokens[token] = 0.0  # the private app token was revoked
    try:
        system.check()
    except AuthError as exc:
        errors.append(exc)
    assert [type(e) for e in errors] == [SchemaDriftError, AuthError]
    texts = [str(e) for e in errors] + [repr(e) for e in errors] + [repr(system), repr(system.transport)]
    assert caplog.records, "the DEBUG capture must have seen the client's traffic"
    assert all(token not in text for text in [*texts, caplog.text])
