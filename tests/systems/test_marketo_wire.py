"""Narrow wire tests of the Marketo adapter with `responses`: exact requests and error envelopes."""

from __future__ import annotations

from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

import pytest
import responses
from responses import matchers

from connector.errors import (
    AuthError,
    ErrorCategory,
    QuotaExhaustedError,
    RecordRejectedError,
    RemoteError,
    SchemaDriftError,
    ThrottledError,
    TransientError,
    UnreachableError,
)
from connector.records import Outcome, Outgoing
from connector.systems.guard import CallGuard, RetryPolicy
from connector.systems.marketo.adapter import MarketoSystem
from connector.systems.marketo.errors import next_quota_reset
from connector.systems.marketo.settings import MarketoSettings

HOST = "https://123-abc-456.mktorest.example"
TOKEN_URL = f"{HOST}/identity/oauth/token"
REST = f"{HOST}/rest/v1/"
SECRET = "wire-Secret-5d1c9a"
TOKEN = "0a1b2c3d-token-for-wire-tests:ab"


@pytest.fixture
def marketo(monkeypatch) -> MarketoSystem:
    monkeypatch.setenv("WIRE_MKTO_ID", "wire-client-id")
    monkeypatch.setenv("WIRE_MKTO_SECRET", SECRET)
    settings = MarketoSettings(
        base_url=f"{HOST}/rest",
        identity_url=f"{HOST}/identity",
        client_id_env="WIRE_MKTO_ID",
        client_secret_env="WIRE_MKTO_SECRET",
    )
    guard = CallGuard("marketo", policy=RetryPolicy(attempts=2), sleep=lambda seconds: None)
    return MarketoSystem(settings, guard)


@pytest.fixture
def wire():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.post(TOKEN_URL, json={"access_token": TOKEN, "token_type": "bearer", "expires_in": 3599})
        yield mock


def ok(result=None, **extra):
    body = {"requestId": "a1#b2", "success": True, **extra}
    if result is not None:
        body["result"] = result
    return body


def failed(code: str, message: str = "refused"):
    return {"requestId": "a1#b2", "success": False, "errors": [{"code": code, "message": message}]}


def test_token_is_a_form_post_and_calls_send_only_the_bearer_header(marketo):
    with responses.RequestsMock() as mock:
        form = {"grant_type": "client_credentials", "client_id": "wire-client-id", "client_secret": SECRET}
        token_call = mock.post(
            TOKEN_URL,
            json={"access_token": TOKEN, "expires_in": 3599},
            match=[matchers.urlencoded_params_matcher(form), matchers.query_string_matcher("")],
        )
        usage = mock.get(
            f"{REST}stats/usage.json",
            json=ok([]),
            match=[
                matchers.header_matcher({"Authorization": f"Bearer {TOKEN}"}),
                matchers.query_string_matcher(""),
            ],
        )
        marketo.check()
    assert token_call.call_count == usage.call_count == 1
    assert "?" not in token_call.calls[0].request.url


def test_read_by_keys_sends_filter_fields_and_batch_size(marketo, wire):
    params = {
        "filterType": "email",
        "filterValues": "a@x.com,b@x.com",
        "fields": "email,leadScore,updatedAt",
        "batchSize": "300",
    }
    wire.get(
        f"{REST}leads.json",
        json=ok([{"id": 7, "email": "a@x.com", "updatedAt": "2024-05-01T10:00:00+0000"}]),
        match=[matchers.query_param_matcher(params)],
    )
    [record] = marketo.read_by_keys(
        "leads", "email", ["a@x.com", "b@x.com", "a@x.com", ""], ["email", "leadScore"]
    )
    assert (record.id, record.fields, record.modified_at) == (
        "7",
        {"email": "a@x.com", "leadScore": None},
        "2024-05-01T10:00:00Z",
    )


def test_long_filters_are_posted_with_method_get(marketo, wire):
    emails = [f"{'y' * 30}{n}@example.com" for n in range(300)]
    form = {
        "filterType": "email",
        "filterValues": ",".join(emails),
        "fields": "email,updatedAt",
        "batchSize": "300",
    }
    wire.post(
        f"{REST}leads.json",
        json=ok([]),
        match=[matchers.query_param_matcher({"_method": "GET"}), matchers.urlencoded_params_matcher(form)],
    )
    assert list(marketo.read_by_keys("leads", "email", emails, ["email"])) == []


def test_a_414_answer_is_resent_as_post_with_method_get(marketo, wire):
    wire.get(f"{REST}leads.json", status=414, body="<h1>Request-URI Too Large</h1>")
    wire.post(
        f"{REST}leads.json", json=ok([{"id": 1}]), match=[matchers.query_param_matcher({"_method": "GET"})]
    )
    assert [record.id for record in marketo.read_by_keys("leads", "id", ["1"], [])] == ["1"]


def test_activities_are_paged_from_a_paging_token_and_a_missing_result_is_an_empty_page(marketo, wire):
    token_call = wire.get(f"{REST}activities/pagingtoken.json", json=ok(nextPageToken="T1"))
    wire.get(
        f"{REST}activities.json",
        json=ok(nextPageToken="T2", moreResult=False),
        match=[
            matchers.query_param_matcher(
                {"nextPageToken": "T1", "activityTypeIds": "12,13,22,1,2", "batchSize": "300"}
            )
        ],
    )
    pages = list(marketo.read_changes("leads", None, ["email"], activities=["page_view", "form_fill"]))
    assert [(page.records, page.cursor, page.activities) for page in pages] == [((), {"token": "T2"}, ())]
    since = parse_qs(urlsplit(token_call.calls[0].request.url).query)["sinceDatetime"][0]
    assert since.endswith("Z") and since < datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_upsert_body_and_results_in_input_order(marketo, wire):
    body = {
        "action": "createOrUpdate",
        "lookupField": "email",
        "input": [{"firstName": "A", "email": "a@x.com"}, {"email": "b@x.com"}],
    }
    answers = [
        {"id": 5, "status": "updated"},
        {"status": "skipped", "reasons": [{"code": "1003", "message": "x"}]},
    ]
    wire.post(f"{REST}leads.json", json=ok(answers), match=[matchers.json_params_matcher(body)])
    results = marketo.upsert(
        "leads", "email", [Outgoing("a@x.com", {"firstName": "A"}), Outgoing("b@x.com", {})]
    )
    assert [(r.outcome, r.id) for r in results] == [(Outcome.UPDATED, "5"), (Outcome.FAILED, None)]


def test_upsert_by_id_is_update_only_with_numeric_ids(marketo, wire):
    body = {"action": "updateOnly", "lookupField": "id", "input": [{"leadStatus": "MQL", "id": 42}]}
    wire.post(
        f"{REST}leads.json",
        json=ok([{"id": 42, "status": "updated"}]),
        match=[matchers.json_params_matcher(body)],
    )
    assert (
        marketo.upsert("leads", "id", [Outgoing("42", {"leadStatus": "MQL"})])[0].outcome is Outcome.UPDATED
    )


def test_a_413_answer_splits_the_batch(marketo, wire):
    wire.post(f"{REST}leads.json", status=413, body="")
    wire.post(f"{REST}leads.json", json=ok([{"id": 1, "status": "created"}]))
    wire.post(f"{REST}leads.json", json=ok([{"id": 2, "status": "created"}]))
    results = marketo.upsert("leads", "email", [Outgoing("a@x.com", {}), Outgoing("b@x.com", {})])
    assert [r.id for r in results] == ["1", "2"]


def test_a_request_level_refusal_of_a_write_fails_each_record(marketo, wire):
    wire.post(f"{REST}leads.json", json=failed("1003", "Invalid lookupField"))
    results = marketo.upsert("leads", "nickname", [Outgoing("a", {}), Outgoing("b", {})])
    assert [(r.outcome, r.error.code) for r in results] == [(Outcome.FAILED, "1003")] * 2


@pytest.mark.parametrize(
    ("code", "error", "attempts"),
    [
        ("601", AuthError, 2),
        ("602", AuthError, 2),
        ("603", AuthError, 2),
        ("604", UnreachableError, 2),
        ("606", ThrottledError, 2),
        ("607", QuotaExhaustedError, 1),
        ("608", UnreachableError, 2),
        ("609", RemoteError, 1),
        ("610", RemoteError, 1),
        ("611", UnreachableError, 2),
        ("615", ThrottledError, 2),
        ("713", UnreachableError, 2),
        ("1006", SchemaDriftError, 1),
        ("1003", RecordRejectedError, 1),
        ("702", RecordRejectedError, 1),
    ],
)
def test_envelope_codes_are_classified(marketo, wire, code, error, attempts):
    usage = wire.get(f"{REST}stats/usage.json", json=failed(code, f"problem {SECRET}"))
    if error is AuthError:
        wire.post(TOKEN_URL, json={"access_token": TOKEN + "2", "expires_in": 3599})
    with pytest.raises(error) as caught:
        marketo.check()
    assert type(caught.value) is error
    assert usage.call_count == attempts
    assert caught.value.code in (code, None)
    assert SECRET not in str(caught.value)


def test_throttling_carries_a_window_aware_wait():
    from connector.systems.marketo.errors import envelope_error

    rate = envelope_error(
        [{"code": "606", "message": "Max rate limit '100' exceeded"}], endpoint="leads.read"
    )
    concurrency = envelope_error(
        [{"code": "615", "message": "Concurrent access limit"}], endpoint="leads.read"
    )
    assert (rate.retry_after, concurrency.retry_after) == (20.0, 3.0)


def test_skip_reasons_become_record_errors_and_an_unknown_field_outranks_the_rest():
    from connector.systems.marketo.errors import record_error

    error = record_error(
        [
            {"code": "1001", "message": "Invalid value 'x' for field 'leadScore'"},
            {"code": "1006", "message": "Field 'shoeSize' not found"},
        ]
    )
    assert (error.category, error.code, error.fields) == (
        ErrorCategory.SCHEMA_DRIFT,
        "1006",
        ("leadScore", "shoeSize"),
    )
    assert "1001 Invalid value" in error.message


def test_quota_message_names_the_reset_in_us_central_time():
    assert next_quota_reset(datetime(2024, 1, 15, 12, 0, tzinfo=UTC)) == "2024-01-16T06:00:00Z"
    assert next_quota_reset(datetime(2024, 7, 15, 12, 0, tzinfo=UTC)) == "2024-07-16T05:00:00Z"


def test_a_non_json_answer_is_transient(marketo, wire):
    wire.get(f"{REST}stats/usage.json", body="<html>maintenance</html>", content_type="text/html")
    with pytest.raises(TransientError, match="not a JSON object"):
        marketo.check()


def test_refused_client_credentials_are_not_retried_and_hide_the_secret(marketo):
    with responses.RequestsMock() as mock:
        token_call = mock.post(
            TOKEN_URL,
            status=401,
            json={"error": "unauthorized", "error_description": "Bad client credentials"},
        )
        with pytest.raises(AuthError, match="Bad client credentials") as caught:
            marketo.check()
    assert token_call.call_count == 1
    assert SECRET not in str(caught.value) and SECRET not in repr(caught.value)
