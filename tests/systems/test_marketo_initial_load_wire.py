"""Narrow wire tests of the Marketo initial load with `responses`: the exact list and bulk export requests."""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime, timedelta

import pytest
import responses
from responses import matchers

from connector.errors import TransientError
from connector.systems.guard import CallGuard, RetryPolicy
from connector.systems.marketo.adapter import MarketoSystem
from connector.systems.marketo.settings import MarketoSettings

HOST = "https://123-abc-456.mktorest.example"
REST = f"{HOST}/rest/v1/"
BULK = f"{HOST}/bulk/v1/leads/export/"
TOKEN = "0a1b2c3d-token-for-wire-tests:ab"
EXPORT_ID = "ce45a7a1-f19d-4ce2-882c-a3c795940a7d"
FIELDS = ["email", "leadScore", "unsubscribed"]
BEARER = matchers.header_matcher({"Authorization": f"Bearer {TOKEN}"})
CSV = (
    b"id,email,leadScore,unsubscribed,updatedAt\n"
    b"5,a@x.com,85,false,2024-03-02T10:00:00Z\n"
    b"6,null,null,true,null\n"
)


def build(monkeypatch, sleeps: list[float], **keys) -> MarketoSystem:
    monkeypatch.setenv("WIRE_MKTO_ID", "wire-client-id")
    monkeypatch.setenv("WIRE_MKTO_SECRET", "wire-secret-1f")
    settings = MarketoSettings(
        base_url=f"{HOST}/rest",
        identity_url=f"{HOST}/identity",
        client_id_env="WIRE_MKTO_ID",
        client_secret_env="WIRE_MKTO_SECRET",
        **keys,
    )
    guard = CallGuard("marketo", policy=RetryPolicy(attempts=2), sleep=lambda seconds: None)
    return MarketoSystem(settings, guard, sleep=sleeps.append)


@pytest.fixture
def wire():
    with responses.RequestsMock(assert_all_requests_are_fired=True) as mock:
        mock.post(f"{HOST}/identity/oauth/token", json={"access_token": TOKEN, "expires_in": 3599})
        yield mock


def ok(result=None, **extra):
    return {"requestId": "a1#b2", "success": True, "result": result or [], **extra}


def job(status: str, **extra):
    return ok([{"exportId": EXPORT_ID, "format": "CSV", "status": status, **extra}])


def activity_log(wire) -> None:
    wire.get(f"{REST}activities/pagingtoken.json", json={**ok(), "nextPageToken": "T0"})
    wire.get(f"{REST}activities.json", json={**ok(), "nextPageToken": "T1", "moreResult": False})


def yesterday() -> str:
    return (datetime.now(UTC) - timedelta(days=1)).date().isoformat()


def test_a_static_list_is_paged_with_batch_size_fields_and_the_next_page_token(monkeypatch, wire):
    marketo = build(monkeypatch, [], initial_load="list", initial_list_id=55)
    fields = "email,leadScore,unsubscribed,updatedAt"
    wire.get(
        f"{REST}lists/55/leads.json",
        json={**ok([{"id": 1, "email": "a@x.com"}]), "nextPageToken": "P2"},
        match=[BEARER, matchers.query_param_matcher({"batchSize": "300", "fields": fields})],
    )
    wire.get(
        f"{REST}lists/55/leads.json",
        json=ok([{"id": 2, "leadScore": 90}]),
        match=[matchers.query_param_matcher({"batchSize": "300", "fields": fields, "nextPageToken": "P2"})],
    )
    activity_log(wire)

    pages = list(marketo.read_changes("leads", None, FIELDS))

    assert [[r.id for r in page.records] for page in pages[:2]] == [["1"], ["2"]]
    assert pages[0].cursor["initial"]["token"] == "P2" and set(pages[1].cursor) == {"since"}
    since = datetime.fromisoformat(pages[1].cursor["since"].replace("Z", "+00:00"))
    assert (
        timedelta(days=29) < datetime.now(UTC) - since < timedelta(days=31)
    )  # backfill_days before the start


def test_a_bulk_window_is_created_enqueued_polled_and_its_file_read_typed(monkeypatch, wire):
    sleeps: list[float] = []
    marketo = build(
        monkeypatch,
        sleeps,
        initial_load="bulk_extract",
        initial_load_since=yesterday(),
        initial_load_poll_s=60,
    )
    create = wire.post(f"{BULK}create.json", json=job("Created"), match=[BEARER])
    wire.post(f"{BULK}{EXPORT_ID}/enqueue.json", json=job("Queued"), match=[BEARER])
    wire.get(f"{BULK}{EXPORT_ID}/status.json", json=job("Processing"))
    checksum = "sha256:" + hashlib.sha256(CSV).hexdigest()
    wire.get(
        f"{BULK}{EXPORT_ID}/status.json", json=job("Completed", fileSize=len(CSV), fileChecksum=checksum)
    )
    wire.get(f"{BULK}{EXPORT_ID}/file.json", body=CSV, content_type="text/csv", match=[BEARER])
    types = [{"name": "leadScore", "dataType": "integer"}, {"name": "unsubscribed", "dataType": "boolean"}]
    wire.get(f"{REST}leads/describe2.json", json=ok([{"searchableFields": [], "fields": types}]))
    activity_log(wire)

    pages = list(marketo.read_changes("leads", None, FIELDS))

    body = json.loads(create.calls[0].request.body)
    assert (
        body["fields"] == ["id", "email", "leadScore", "unsubscribed", "updatedAt"]
        and body["format"] == "CSV"
    )
    window = body["filter"]["createdAt"]
    assert window["startAt"] == f"{yesterday()}T00:00:00Z" and window["endAt"].endswith("Z")
    assert "." not in window["endAt"]  # ISO-8601 without milliseconds
    records = [record for page in pages for record in page.records]
    assert [(r.id, r.fields) for r in records] == [
        ("5", {"email": "a@x.com", "leadScore": 85, "unsubscribed": False}),
        ("6", {"email": None, "leadScore": None, "unsubscribed": True}),
    ]
    assert records[0].modified_at == "2024-03-02T10:00:00Z"
    assert sleeps == [60, 60]  # one wait after the enqueue, one between the two polls


def test_a_full_export_queue_is_waited_out(monkeypatch, wire):
    sleeps: list[float] = []
    marketo = build(monkeypatch, sleeps, initial_load="bulk_extract", initial_load_since=yesterday())
    wire.post(f"{BULK}create.json", json=job("Created"))
    full = {
        "requestId": "x",
        "success": False,
        "errors": [{"code": "1029", "message": "Too many jobs in queue"}],
    }
    wire.post(f"{BULK}{EXPORT_ID}/enqueue.json", json=full)
    wire.post(f"{BULK}{EXPORT_ID}/enqueue.json", json=job("Queued"))
    wire.get(f"{BULK}{EXPORT_ID}/status.json", json=job("Completed"))
    wire.get(f"{BULK}{EXPORT_ID}/file.json", body=b"id,email,leadScore,unsubscribed,updatedAt\n")
    wire.get(f"{REST}leads/describe2.json", json=ok([{"searchableFields": [], "fields": []}]))
    activity_log(wire)

    pages = list(marketo.read_changes("leads", None, FIELDS))

    assert set(pages[-1].cursor) == {"token"} and len(sleeps) == 2  # the full queue, then the poll


def test_a_used_up_daily_allocation_ends_the_reading_without_an_error(monkeypatch, wire, caplog):
    marketo = build(monkeypatch, [], initial_load="bulk_extract", initial_load_since=yesterday())
    quota = {
        "requestId": "x",
        "success": False,
        "errors": [{"code": "1029", "message": "Export daily quota exceeded"}],
    }
    wire.post(f"{BULK}create.json", json=quota)

    assert list(marketo.read_changes("leads", None, FIELDS)) == []
    assert "daily bulk export allocation is used up" in caplog.text


def test_a_file_that_fails_its_checksum_twice_is_a_transient_error(monkeypatch, wire):
    marketo = build(monkeypatch, [], initial_load="bulk_extract", initial_load_since=yesterday())
    wire.post(f"{BULK}create.json", json=job("Created"))
    wire.post(f"{BULK}{EXPORT_ID}/enqueue.json", json=job("Queued"))
    wire.get(f"{BULK}{EXPORT_ID}/status.json", json=job("Completed", fileChecksum="sha256:" + "0" * 64))
    wire.get(f"{BULK}{EXPORT_ID}/file.json", body=CSV)

    with pytest.raises(TransientError, match="checksum"):
        list(marketo.read_changes("leads", None, FIELDS))
    assert marketo.guard.calls["leads.export.file"] == 2
