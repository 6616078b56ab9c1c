"""Exactly what the Salesforce adapter sends, and how it classifies every error shape (``responses``)."""

from __future__ import annotations

import base64
import json
import urllib.parse

import pytest
import requests
import responses
from simple_salesforce.exceptions import SalesforceBulkV2LoadError
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from connector.errors import (
    AmbiguousError,
    AuthError,
    ConfigError,
    ErrorCategory,
    QuotaExhaustedError,
    RecordRejectedError,
    SchemaDriftError,
    ThrottledError,
    TransientError,
)
from connector.records import Outgoing
from connector.systems import make_guard
from connector.systems.salesforce.adapter import SalesforceSystem
from connector.systems.salesforce.errors import SalesforceClassifier
from connector.systems.salesforce.settings import SalesforceSettings

INSTANCE = "https://acme.my.salesforce.com"
API = f"{INSTANCE}/services/data/v62.0/"
TOKEN = "00DXX0000001gPL!AQ4AQFQ-test-access-token"
SECRET = "wire-secret-5e4d3c2b1a"


@pytest.fixture
def wire(monkeypatch):
    monkeypatch.setenv("SF_WIRE_ID", "wire-client")
    monkeypatch.setenv("SF_WIRE_SECRET", SECRET)
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.post(f"{INSTANCE}/services/oauth2/token", json={"access_token": TOKEN, "instance_url": INSTANCE})
        yield mock


def make_adapter(*, attempts: int = 1, sleep=lambda seconds: None, **settings) -> SalesforceSystem:
    config = SalesforceSettings(
        instance_url=INSTANCE, client_id_env="SF_WIRE_ID", client_secret_env="SF_WIRE_SECRET", **settings
    )
    guard = make_guard("salesforce", config)
    guard.policy.attempts, guard.policy.initial_backoff_s, guard.policy.max_backoff_s = attempts, 0.001, 0.001
    return SalesforceSystem(config, guard, sleep=sleep)


def soql_of(call) -> str:
    return urllib.parse.parse_qs(urllib.parse.urlsplit(call.request.url).query)["q"][0]


# ---- requests ------------------------------------------------------------------------------------
def test_token_request_is_client_credentials_with_basic_auth(wire):
    wire.get(f"{API}limits/", json={"DailyApiRequests": {"Max": 15000, "Remaining": 14000}})
    adapter = make_adapter()
    adapter.check()
    token_call, limits_call = wire.calls
    assert token_call.request.body == "grant_type=client_credentials"
    assert (
        token_call.request.headers["Authorization"]
        == "Basic " + base64.b64encode(f"wire-client:{SECRET}".encode()).decode()
    )
    assert limits_call.request.headers["Authorization"] == f"Bearer {TOKEN}"
    assert adapter.guard.budget.vendor_remaining == 14000


def test_token_url_setting_is_used(wire):
    wire.replace(responses.POST, f"{INSTANCE}/services/oauth2/token", status=404)  # must not be called
    wire.assert_all_requests_are_fired = False
    wire.post(
        "https://login.example.com/services/oauth2/token",
        json={"access_token": TOKEN, "instance_url": INSTANCE},
    )
    wire.get(f"{API}limits/", json={}, headers={"Sforce-Limit-Info": "api-usage=40/15000"})
    adapter = make_adapter(token_url="https://login.example.com/services/oauth2/token")
    adapter.check()
    assert adapter.guard.budget.vendor_remaining == 14960
    assert wire.calls[0].request.url.startswith("https://login.example.com/")


@pytest.mark.parametrize(
    ("options", "header"),
    [
        (None, None),
        ({"assignment_rule": "default"}, "TRUE"),
        ({"assignment_rule": "none"}, "FALSE"),
        ({"assignment_rule": "01Q5g000000AbCdEAF"}, "01Q5g000000AbCdEAF"),
    ],
)
def test_upsert_request(wire, options, header):
    wire.patch(
        f"{API}composite/sobjects/Lead/Revloop_MA_Id__c",
        json=[
            {"id": "00Q5g00000A1", "success": True, "errors": [], "created": True},
            {"id": "00Q5g00000A2", "success": True, "errors": [], "created": False},
        ],
    )
    batch = [Outgoing("ma-1", {"LastName": "Sato", "Company": "Acme"}), Outgoing("ma-2", {"Title": None})]
    results = make_adapter().upsert("Lead", "Revloop_MA_Id__c", batch, options=options)
    request = wire.calls[1].request
    assert (request.method, request.headers.get("Sforce-Auto-Assign")) == ("PATCH", header)
    assert json.loads(request.body) == {
        "allOrNone": False,
        "records": [
            {
                "attributes": {"type": "Lead"},
                "LastName": "Sato",
                "Company": "Acme",
                "Revloop_MA_Id__c": "ma-1",
            },
            {"attributes": {"type": "Lead"}, "Title": None, "Revloop_MA_Id__c": "ma-2"},
        ],
    }
    assert [(r.key, r.outcome.value, r.id) for r in results] == [
        ("ma-1", "created", "00Q5g00000A1"),
        ("ma-2", "updated", "00Q5g00000A2"),
    ]


def test_update_by_id_uses_the_plain_collection(wire):
    wire.patch(f"{API}composite/sobjects", json=[{"id": "00Q5g00000A1", "success": True, "errors": []}])
    make_adapter().upsert(
        "Lead", "Id", [Outgoing("00Q5g00000A1", {"Id": "ignored", "Status": "Working - Contacted"})]
    )
    assert json.loads(wire.calls[1].request.body)["records"] == [
        {"attributes": {"type": "Lead"}, "Status": "Working - Contacted", "id": "00Q5g00000A1"}
    ]


@pytest.mark.parametrize("options", [{"assignmnt_rule": "none"}, {"assignment_rule": "round-robin"}])
def test_bad_upsert_options_are_config_errors(options):
    with pytest.raises(ConfigError):
        make_adapter().upsert("Lead", "Revloop_MA_Id__c", [Outgoing("k", {})], options=options)


def test_record_errors_are_classified_through_the_status_table(wire):
    wire.patch(
        f"{API}composite/sobjects/Lead/Revloop_MA_Id__c",
        json=[
            {
                "success": False,
                "errors": [{"statusCode": code, "message": f"{code} for {TOKEN}", "fields": ["F"]}],
            }
            for code in ("STRING_TOO_LONG", "INVALID_FIELD", "UNABLE_TO_LOCK_ROW", "SOMETHING_NEW")
        ],
    )
    results = make_adapter().upsert("Lead", "Revloop_MA_Id__c", [Outgoing(f"k{i}", {}) for i in range(4)])
    assert [r.error.category for r in results] == [
        ErrorCategory.RECORD_REJECT,
        ErrorCategory.SCHEMA_DRIFT,
        ErrorCategory.TRANSIENT,
        ErrorCategory.RECORD_REJECT,
    ]
    assert all(TOKEN not in r.error.message and r.error.fields == ("F",) for r in results)


def test_change_queries_are_escaped_and_datetimes_unquoted(wire):
    wire.get(f"{API}query/", json={"totalSize": 0, "done": True, "records": []})
    adapter = make_adapter()
    cursor = {"since": "2024-05-01T00:00:00Z", "last": ["2024-05-01T10:00:00.000+0000", "00Q5g00000A1'x"]}
    list(adapter.read_changes("Lead", None, ["LastName", "Id", "systemmodstamp"]))
    list(adapter.read_changes("Lead", cursor, ["LastName"]))
    assert (
        soql_of(wire.calls[1]) == "SELECT Id, SystemModstamp, LastName FROM Lead ORDER BY SystemModstamp, Id"
    )
    assert soql_of(wire.calls[2]) == (
        "SELECT Id, SystemModstamp, LastName FROM Lead WHERE SystemModstamp >= 2024-05-01T00:00:00+00:00 AND "
        "(SystemModstamp > 2024-05-01T10:00:00+00:00 OR (SystemModstamp = 2024-05-01T10:00:00+00:00 AND "
        "Id > '00Q5g00000A1\\'x')) ORDER BY SystemModstamp, Id"
    )
    with pytest.raises(ConfigError):
        list(adapter.read_changes("Lead; DELETE", None, []))


def test_next_pages_follow_next_records_url(wire):
    record = {"attributes": {"type": "Lead"}, "Id": "00Q1", "SystemModstamp": "2024-05-01T10:00:00.000+0000"}
    wire.get(
        f"{API}query/",
        json={
            "totalSize": 2,
            "done": False,
            "records": [record],
            "nextRecordsUrl": "/services/data/v62.0/query/01gXX-1",
        },
    )
    wire.get(
        f"{API}query/01gXX-1", json={"totalSize": 2, "done": True, "records": [{**record, "Id": "00Q2"}]}
    )
    pages = list(make_adapter().read_changes("Lead", None, []))
    assert [[r.id for r in page.records] for page in pages] == [["00Q1"], ["00Q2"]]
    assert pages[0].cursor == {"since": None, "last": ["2024-05-01T10:00:00.000+0000", "00Q1"]}
    assert pages[1].cursor == {"since": "2024-05-01T09:59:00Z"}


def test_keys_are_quoted_and_chunked(wire):
    wire.get(f"{API}query/", json={"totalSize": 0, "done": True, "records": []})
    keys = ["O'Brien@x.jp"] + [f"{i:04d}-" + "k" * 40 for i in range(400)]
    list(make_adapter().read_by_keys("Lead", "Email", keys, ["LastName"]))
    queries = [soql_of(call) for call in wire.calls[1:]]
    assert len(queries) > 1 and all(len(call.request.url) < 12_000 for call in wire.calls[1:])
    assert queries[0].startswith(
        "SELECT Id, Email, LastName FROM Lead WHERE Email IN ('O\\'Brien@x.jp','0000-"
    )


def test_describe_maps_field_metadata(wire):
    wire.get(
        f"{API}sobjects/Lead/describe",
        json={
            "fields": [
                {
                    "name": "LastName",
                    "type": "string",
                    "label": "Last Name",
                    "length": 80,
                    "nillable": False,
                    "createable": True,
                    "updateable": True,
                    "defaultedOnCreate": False,
                },
                {
                    "name": "IsHot__c",
                    "type": "boolean",
                    "length": 0,
                    "nillable": False,
                    "createable": True,
                    "defaultedOnCreate": False,
                },
                {
                    "name": "Status",
                    "type": "picklist",
                    "length": 255,
                    "nillable": False,
                    "createable": True,
                    "defaultedOnCreate": True,
                    "restrictedPicklist": True,
                    "picklistValues": [{"value": "Open", "active": True}, {"value": "Old", "active": False}],
                },
            ]
        },
    )
    fields = make_adapter().describe("Lead").fields
    assert (fields["LastName"].required, fields["LastName"].length) == (True, 80)
    assert (fields["IsHot__c"].required, fields["IsHot__c"].length, fields["IsHot__c"].updateable) == (
        False,
        None,
        False,
    )
    assert (fields["Status"].picklist, fields["Status"].restricted_picklist, fields["Status"].required) == (
        ("Open",),
        True,
        False,
    )


# ---- error shapes --------------------------------------------------------------------------------
def sf_error(code: str, message: str = "refused") -> list[dict[str, str]]:
    return [{"message": message, "errorCode": code}]


@pytest.mark.parametrize(
    ("status", "body", "expected", "code"),
    [
        (401, sf_error("INVALID_SESSION_ID", "Session expired or invalid"), AuthError, "INVALID_SESSION_ID"),
        (
            403,
            sf_error("REQUEST_LIMIT_EXCEEDED", "TotalRequests Limit exceeded."),
            QuotaExhaustedError,
            "REQUEST_LIMIT_EXCEEDED",
        ),
        (
            403,
            sf_error("REQUEST_LIMIT_EXCEEDED", "ConcurrentPerOrgLongTxn Limit exceeded."),
            ThrottledError,
            "REQUEST_LIMIT_EXCEEDED",
        ),
        (403, sf_error("INSUFFICIENT_ACCESS"), AuthError, "INSUFFICIENT_ACCESS"),
        (
            400,
            sf_error("INVALID_FIELD", "No such column 'Foo__c' on entity 'Lead'"),
            SchemaDriftError,
            "INVALID_FIELD",
        ),
        (400, sf_error("MALFORMED_QUERY"), SchemaDriftError, "MALFORMED_QUERY"),
        (400, sf_error("INVALID_TYPE"), SchemaDriftError, "INVALID_TYPE"),
        (400, sf_error("JSON_PARSER_ERROR"), RecordRejectedError, "JSON_PARSER_ERROR"),
        (400, sf_error("UNABLE_TO_LOCK_ROW"), TransientError, "UNABLE_TO_LOCK_ROW"),
        (404, sf_error("NOT_FOUND", "The requested resource does not exist"), SchemaDriftError, "NOT_FOUND"),
        (
            300,
            ["/services/data/v62.0/sobjects/Lead/00Q1", "/services/data/v62.0/sobjects/Lead/00Q2"],
            RecordRejectedError,
            None,
        ),
        (500, sf_error("UNKNOWN_EXCEPTION"), TransientError, "UNKNOWN_EXCEPTION"),
        (503, sf_error("SERVER_UNAVAILABLE"), TransientError, "SERVER_UNAVAILABLE"),
        (502, "<html>Bad Gateway</html>", TransientError, None),
    ],
)
def test_error_shapes(wire, status, body, expected, code):
    if isinstance(body, str):
        wire.get(f"{API}limits/", body=body, status=status)
    else:
        wire.get(f"{API}limits/", json=body, status=status)
    with pytest.raises(expected) as raised:
        make_adapter().check()
    assert (raised.value.status, raised.value.code, raised.value.endpoint) == (status, code, "limits")


def test_429_waits_retry_after(wire):
    wire.get(f"{API}limits/", json=sf_error("TOO_MANY"), status=429, headers={"Retry-After": "7"})
    with pytest.raises(ThrottledError) as raised:
        make_adapter().check()
    assert raised.value.retry_after == 7.0


def test_vendor_text_is_redacted(wire):
    wire.get(f"{API}limits/", json=sf_error("INVALID_FIELD", f"bad {SECRET} and Bearer {TOKEN}"), status=400)
    with pytest.raises(SchemaDriftError) as raised:
        make_adapter().check()
    assert SECRET not in str(raised.value) and TOKEN not in repr(raised.value)


def test_refused_credentials_are_an_auth_error(wire):
    wire.replace(
        responses.POST,
        f"{INSTANCE}/services/oauth2/token",
        status=400,
        json={"error": "invalid_client", "error_description": "invalid client credentials"},
    )
    with pytest.raises(AuthError, match="invalid_client") as raised:
        make_adapter().check()
    assert raised.value.endpoint == "oauth.token" and SECRET not in str(raised.value)


def test_a_401_refreshes_the_token_once(wire):
    wire.get(f"{API}limits/", json=sf_error("INVALID_SESSION_ID"), status=401)
    wire.get(f"{API}limits/", json={})
    make_adapter(attempts=3).check()
    assert [call.request.url.rsplit("/", 2)[-2] for call in wire.calls] == [
        "oauth2",
        "limits",
        "oauth2",
        "limits",
    ]


@pytest.mark.parametrize(
    ("exception", "expected"),
    [
        (requests.ConnectTimeout("connect timed out"), TransientError),
        (
            requests.ConnectionError(MaxRetryError(None, "/x", NewConnectionError(None, "refused"))),
            TransientError,
        ),
        (requests.exceptions.SSLError("certificate verify failed"), TransientError),
        (requests.ReadTimeout("read timed out"), AmbiguousError),
        (requests.exceptions.ChunkedEncodingError("IncompleteRead"), AmbiguousError),
        (
            requests.ConnectionError(ProtocolError("Connection aborted.", ConnectionResetError())),
            AmbiguousError,
        ),
        (requests.TooManyRedirects("redirected"), AuthError),
        (SalesforceBulkV2LoadError("Job failure. Response content: InvalidBatch"), SchemaDriftError),
        (ValueError("not a remote failure"), type(None)),
    ],
)
def test_transport_failures(exception, expected):
    classified = SalesforceClassifier()(exception)
    assert type(classified) is expected


def test_bulk_query_polls_then_follows_the_locator(wire):
    jobs = f"{API}jobs/query"
    wire.post(jobs, json={"id": "750Q", "state": "UploadComplete"})
    wire.get(f"{jobs}/750Q", json={"state": "InProgress"})
    wire.get(f"{jobs}/750Q", json={"state": "JobComplete"})
    wire.get(
        f"{jobs}/750Q/results",
        body='"Id","Title"\n"00Q1","CEO"\n',
        headers={"Sforce-Locator": "MTAwMDA"},
        match=[responses.matchers.query_param_matcher({"maxRecords": "50000"})],
    )
    wire.get(
        f"{jobs}/750Q/results",
        body='"Id","Title"\n"00Q2",""\n',
        headers={"Sforce-Locator": "null"},
        match=[responses.matchers.query_param_matcher({"maxRecords": "50000", "locator": "MTAwMDA"})],
    )
    sleeps: list[float] = []
    adapter = make_adapter(sleep=sleeps.append)

    rows = list(adapter.bulk_query("SELECT Id, Title FROM Lead", poll_s=0.25))

    assert json.loads(wire.calls[1].request.body) == {
        "operation": "query",
        "query": "SELECT Id, Title FROM Lead",
        "lineEnding": "LF",
        "columnDelimiter": "COMMA",
    }
    assert sleeps == [0.25]
    assert [(row.id, row.fields["Title"]) for row in rows] == [("00Q1", "CEO"), ("00Q2", None)]
