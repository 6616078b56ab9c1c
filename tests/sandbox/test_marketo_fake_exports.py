"""The Marketo fake's Bulk Lead Extract and old leads: job states, files, the export limits' errors."""

from __future__ import annotations

import csv
import hashlib
import io
from datetime import UTC, datetime, timedelta

import pytest
from werkzeug.test import Client

from connector.sandbox.marketo import MarketoFake

EXPORT = "/bulk/v1/leads/export"
JANUARY = {"createdAt": {"startAt": "2024-01-01T00:00:00Z", "endAt": "2024-01-31T00:00:00Z"}}


@pytest.fixture
def fake() -> MarketoFake:
    return MarketoFake()


@pytest.fixture
def client(fake) -> Client:
    return Client(fake)


@pytest.fixture
def auth(fake, client) -> dict[str, str]:
    form = {
        "grant_type": "client_credentials",
        "client_id": fake.client_id,
        "client_secret": fake.client_secret,
    }
    token = client.post("/identity/oauth/token", data=form).json["access_token"]
    return {"Authorization": f"Bearer {token}"}


def create(client, auth, export_filter=None, fields=("id", "email", "leadScore")) -> dict:
    body = {"fields": list(fields), "format": "CSV", "filter": export_filter or JANUARY}
    return client.post(f"{EXPORT}/create.json", json=body, headers=auth).json


def call(client, auth, export_id: str, action: str) -> dict:
    method = client.get if action == "status" else client.post
    return method(f"{EXPORT}/{export_id}/{action}.json", headers=auth).json


def run_to_completion(client, auth, export_filter=None, **keywords) -> tuple[str, list[str]]:
    export_id = create(client, auth, export_filter, **keywords)["result"][0]["exportId"]
    states = [call(client, auth, export_id, "enqueue")["result"][0]["status"]]
    while states[-1] != "Completed":
        states.append(call(client, auth, export_id, "status")["result"][0]["status"])
    return export_id, states


def error(body: dict) -> tuple[str, str] | None:
    return None if body["success"] else (body["errors"][0]["code"], body["errors"][0]["message"])


def seed_january(fake) -> list[int]:
    rows = [
        {"email": "a@example.com", "leadScore": 85, "createdAt": "2024-01-05T10:00:00Z"},
        {"email": "b@example.com", "createdAt": "2024-01-20T10:00:00Z"},
        {"email": "c@example.com", "leadScore": 10, "createdAt": "2024-03-01T10:00:00Z"},
    ]
    return fake.seed({"leads": rows})["leads"]


def test_a_job_goes_created_queued_processing_completed_and_its_file_is_csv(fake, client, auth):
    ids = seed_january(fake)
    created = create(client, auth)
    assert created["success"] and created["result"][0]["status"] == "Created"
    export_id, states = run_to_completion(client, auth)
    assert states == ["Queued", "Processing", "Completed"]

    status = call(client, auth, export_id, "status")["result"][0]
    answer = client.get(f"{EXPORT}/{export_id}/file.json", headers=auth)
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    assert status["fileSize"] == len(answer.data) and status["numberOfRecords"] == 2
    assert status["fileChecksum"] == "sha256:" + hashlib.sha256(answer.data).hexdigest()
    rows = list(csv.reader(io.StringIO(answer.data.decode())))
    assert rows == [["id", "email", "leadScore"], [str(ids[0]), "a@example.com", "85"],
                    [str(ids[1]), "b@example.com", "null"]]  # fmt: skip


def test_the_file_is_404_plain_text_until_completed_and_after_it_expires(fake, client, auth):
    export_id = create(client, auth)["result"][0]["exportId"]
    early = client.get(f"{EXPORT}/{export_id}/file.json", headers=auth)
    assert (early.status_code, early.mimetype) == (404, "text/plain")
    export_id, _ = run_to_completion(client, auth)
    fake.exports.expire(export_id)
    assert client.get(f"{EXPORT}/{export_id}/file.json", headers=auth).status_code == 404


def test_the_file_endpoint_serves_byte_ranges(fake, client, auth):
    seed_january(fake)
    export_id, _ = run_to_completion(client, auth)
    whole = client.get(f"{EXPORT}/{export_id}/file.json", headers=auth).data
    part = client.get(f"{EXPORT}/{export_id}/file.json", headers={**auth, "Range": "bytes=5-"})
    assert part.status_code == 206
    assert part.data == whole[5:]
    assert part.headers["Content-Range"] == f"bytes 5-{len(whole) - 1}/{len(whole)}"


def test_a_date_filter_longer_than_31_days_is_refused(client, auth):
    wide = {"createdAt": {"startAt": "2024-01-01T00:00:00Z", "endAt": "2024-02-01T00:00:01Z"}}
    assert error(create(client, auth, wide))[0] == "1003"
    exact = {"createdAt": {"startAt": "2024-01-01T00:00:00Z", "endAt": "2024-02-01T00:00:00Z"}}
    assert error(create(client, auth, exact)) is None


def test_unknown_fields_and_unsupported_filters_are_refused(fake, client, auth):
    assert error(create(client, auth, fields=("id", "nope")))[0] == "1006"
    fake.set_knobs(export_filters=("createdAt",))
    updated = {"updatedAt": JANUARY["createdAt"]}
    assert error(create(client, auth, updated)) == ("1035", "Unsupported filter type for target subscription")


def test_two_jobs_process_at_once_and_a_third_waits_queued(client, auth):
    jobs = [create(client, auth)["result"][0]["exportId"] for _ in range(3)]
    for export_id in jobs:
        call(client, auth, export_id, "enqueue")
    states = [call(client, auth, export_id, "status")["result"][0]["status"] for export_id in jobs]
    assert states == ["Processing", "Processing", "Queued"]


def test_the_queue_holds_ten_jobs_and_a_job_is_enqueued_once(fake, client, auth):
    fake.set_knobs(export_hold=True)
    jobs = [create(client, auth)["result"][0]["exportId"] for _ in range(11)]
    answers = [call(client, auth, export_id, "enqueue") for export_id in jobs]
    assert [error(answer) for answer in answers[:10]] == [None] * 10
    assert error(answers[10]) == ("1029", "Too many jobs in queue")
    assert error(call(client, auth, jobs[0], "enqueue")) == ("1029", "Job already queued")
    assert call(client, auth, jobs[0], "status")["result"][0]["status"] == "Queued"  # held


def test_the_daily_export_allocation_stops_new_jobs(fake, client, auth):
    seed_january(fake)
    fake.set_knobs(export_daily_bytes=10)
    run_to_completion(client, auth)  # a running job finishes even past the allocation
    assert error(create(client, auth)) == ("1029", "Export daily quota exceeded")


def test_list_filters_select_static_and_smart_list_members(fake, client, auth):
    ids = seed_january(fake)
    fake.seed({"lists": [{"id": 55, "name": "Static"}], "list_members": {"55": [ids[2]]},
               "smart_lists": [{"id": 77, "name": "MQLs", "members": [ids[0], ids[1]]}]})  # fmt: skip
    for export_filter, expected in (({"staticListId": 55}, 1), ({"smartListName": "MQLs"}, 2)):
        export_id, _ = run_to_completion(client, auth, export_filter)
        assert call(client, auth, export_id, "status")["result"][0]["numberOfRecords"] == expected


def test_a_canceled_job_has_no_file(client, auth):
    export_id = create(client, auth)["result"][0]["exportId"]
    call(client, auth, export_id, "enqueue")
    assert call(client, auth, export_id, "cancel")["result"][0]["status"] == "Canceled"
    assert client.get(f"{EXPORT}/{export_id}/file.json", headers=auth).status_code == 404


def test_old_leads_stay_out_of_a_recent_activity_read_whatever_the_seeding_order(fake, client, auth):
    now = datetime.now(UTC)
    [recent] = fake.seed({"leads": [{"email": "recent@example.com"}]})["leads"]
    old = {
        "email": "old@example.com",
        "createdAt": "2023-05-01T00:00:00Z",
        "updatedAt": "2023-06-01T00:00:00Z",
    }
    [old_id] = fake.seed({"leads": [old]})["leads"]
    since = (now - timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    token = client.get(f"/rest/v1/activities/pagingtoken.json?sinceDatetime={since}", headers=auth).json
    page = client.get(
        f"/rest/v1/activities.json?activityTypeIds=12&nextPageToken={token['nextPageToken']}", headers=auth
    ).json
    assert [row["leadId"] for row in page["result"]] == [recent]
    assert fake.store.leads[old_id]["updatedAt"] == "2023-06-01T00:00:00Z"
