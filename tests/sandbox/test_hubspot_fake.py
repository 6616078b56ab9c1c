"""The HubSpot fake's wire behaviour, called with plain HTTPS requests: codes, limits, search, headers."""

from __future__ import annotations

import time

import pytest

from connector.systems.http import PinnedSession
from connector.systems.network import ConnectPolicy

LOOPBACK = ConnectPolicy("test", allow_private_network=True)
"""The test servers listen on 127.0.0.1, which only an explicit opt-in may reach."""

pytest_plugins = ("conftest_hubspot",)

CONTACTS = "/crm/v3/objects/contacts"


@pytest.fixture
def api(hubspot_sandbox, hubspot_fake):
    """``api(method, path, json=...)`` → requests.Response, authenticated with the fake's token."""
    session = PinnedSession(policy=LOOPBACK, ca_bundle=str(hubspot_sandbox.ca_bundle), timeout=10)
    session.headers["Authorization"] = f"Bearer {hubspot_fake.static_token}"
    base = hubspot_sandbox.url("hubspot")

    def call(method: str, path: str, **keywords):
        return session.request(method, base + path, **keywords)

    yield call
    session.close()


def seed(fake, count: int, **properties) -> list[str]:
    rows = [{"properties": {"email": f"s{n}@example.com", **properties}} for n in range(count)]
    return fake.seed({"contacts": rows})["contacts"]


def search(api, filters, *, after="0", limit=200, sort=None, properties=("email",)):
    body = {
        "filterGroups": [{"filters": filters}] if filters else [],
        "sorts": [sort or {"propertyName": "hs_object_id", "direction": "ASCENDING"}],
        "properties": list(properties),
        "limit": limit,
        "after": after,
    }
    return api("POST", f"{CONTACTS}/search", json=body)


def test_success_codes_match_hubspot(api, hubspot_fake):
    assert api("POST", CONTACTS, json={"properties": {"email": "a@example.com"}}).status_code == 201
    create = api(
        "POST", f"{CONTACTS}/batch/create", json={"inputs": [{"properties": {"email": "b@example.com"}}]}
    )
    assert create.status_code == 201
    upsert = {"inputs": [{"id": "a@example.com", "idProperty": "email", "properties": {"city": "Kyoto"}}]}
    assert api("POST", f"{CONTACTS}/batch/upsert", json=upsert).status_code == 200
    assert (
        api(
            "POST", "/crm/v3/lists/", json={"name": "L", "objectTypeId": "0-1", "processingType": "MANUAL"}
        ).status_code
        == 200
    )
    assert api("DELETE", f"{CONTACTS}/1001").status_code == 204
    assert api("GET", f"{CONTACTS}/1001").status_code == 404


def test_101_inputs_and_duplicate_ids_are_refused_whole(api):
    inputs = [{"id": f"x{n}@example.com", "idProperty": "email", "properties": {}} for n in range(101)]
    answer = api("POST", f"{CONTACTS}/batch/upsert", json={"inputs": inputs})
    assert answer.status_code == 400
    assert answer.json()["category"] == "VALIDATION_ERROR" and "100" in answer.json()["message"]
    twice = api("POST", f"{CONTACTS}/batch/upsert", json={"inputs": inputs[:1] * 2})
    assert twice.status_code == 400 and "Duplicate IDs" in twice.json()["message"]


def test_batch_create_is_all_or_nothing_unless_every_input_is_traced(api, hubspot_fake):
    inputs = [{"properties": {"email": "ok@example.com"}}, {"properties": {"email": "not-an-email"}}]
    whole = api("POST", f"{CONTACTS}/batch/create", json={"inputs": inputs})
    assert whole.status_code == 400
    assert whole.json()["errors"][0]["code"] == "INVALID_EMAIL"
    assert hubspot_fake.dump_state()["contacts"] == []

    traced = [entry | {"objectWriteTraceId": f"t{n}"} for n, entry in enumerate(inputs)]
    partial = api("POST", f"{CONTACTS}/batch/create", json={"inputs": traced}).json()
    assert [r["objectWriteTraceId"] for r in partial["results"]] == ["t0"]
    assert partial["numErrors"] == 1 and partial["errors"][0]["context"]["objectWriteTraceId"] == ["t1"]


def test_an_existing_email_conflicts_and_creates_are_counted_per_key(api, hubspot_fake):
    [first] = seed(hubspot_fake, 1)
    again = api("POST", CONTACTS, json={"properties": {"email": "S0@example.com"}})
    assert again.status_code == 409
    assert again.json()["message"] == f"Contact already exists. Existing ID: {first}"
    assert hubspot_fake.creates_per_key("contacts", "email") == {"s0@example.com": 1}


def test_two_new_inputs_with_one_email_conflict(api, hubspot_fake):
    inputs = [{"properties": {"email": "twin@example.com"}, "associations": []}] * 2
    answer = api("POST", f"{CONTACTS}/batch/create", json={"inputs": inputs})
    assert (answer.status_code, answer.json()["category"]) == (409, "CONFLICT")
    assert hubspot_fake.dump_state()["contacts"] == []


def test_property_validation_codes(api, hubspot_fake):
    [contact] = seed(hubspot_fake, 1)
    bad = {
        "lifecyclestage": "prospect",
        "hubspotscore": "ten",
        "revloop_last_synced_at": "yesterday",
        "unknown_thing": "1",
        "hs_object_id": "5",
    }
    answer = api("PATCH", f"{CONTACTS}/{contact}", json={"properties": bad}).json()
    codes = {e["context"]["propertyName"][0]: e["code"] for e in answer["errors"]}
    assert codes == {
        "lifecyclestage": "INVALID_OPTION",
        "hubspotscore": "INVALID_INTEGER",
        "revloop_last_synced_at": "INVALID_DATETIME",
        "unknown_thing": "PROPERTY_DOESNT_EXIST",
        "hs_object_id": "READ_ONLY_VALUE",
    }
    assert '"error": "PROPERTY_DOESNT_EXIST"' in answer["message"]


def test_search_operators(api, hubspot_fake):
    people = [
        {"email": "ann@acme.example", "firstname": "Ann", "hubspotscore": "90", "city": "Tokyo"},
        {"email": "bob@acme.example", "firstname": "Bob", "hubspotscore": "40"},
        {"email": "cy@other.example", "firstname": "Cy", "hubspotscore": "70", "city": "Osaka"},
    ]
    hubspot_fake.seed({"contacts": [{"properties": person} for person in people]})

    def names(*filters, **keywords):
        answer = search(api, list(filters), properties=["firstname"], **keywords).json()
        return [r["properties"]["firstname"] for r in answer["results"]]

    assert names({"propertyName": "hubspotscore", "operator": "GTE", "value": "70"}) == ["Ann", "Cy"]
    assert names(
        {"propertyName": "hubspotscore", "operator": "BETWEEN", "value": "50", "highValue": "80"}
    ) == ["Cy"]
    assert names({"propertyName": "firstname", "operator": "IN", "values": ["ann", "cy"]}) == ["Ann", "Cy"]
    assert names({"propertyName": "firstname", "operator": "NOT_IN", "values": ["ann"]}) == ["Bob", "Cy"]
    assert names({"propertyName": "city", "operator": "HAS_PROPERTY"}) == ["Ann", "Cy"]
    assert names({"propertyName": "city", "operator": "NOT_HAS_PROPERTY"}) == ["Bob"]
    assert names({"propertyName": "email", "operator": "CONTAINS_TOKEN", "value": "*@acme.example"}) == [
        "Ann",
        "Bob",
    ]
    assert names({"propertyName": "firstname", "operator": "NEQ", "value": "Bob"}) == ["Ann", "Cy"]
    assert names(sort={"propertyName": "hubspotscore", "direction": "DESCENDING"}) == ["Ann", "Cy", "Bob"]
    or_groups = {
        "filterGroups": [
            {"filters": [{"propertyName": "firstname", "operator": "EQ", "value": "Bob"}]},
            {"filters": [{"propertyName": "city", "operator": "EQ", "value": "osaka"}]},
        ],
        "properties": ["firstname"],
    }
    answer = api("POST", f"{CONTACTS}/search", json=or_groups).json()
    assert [r["properties"]["firstname"] for r in answer["results"]] == ["Bob", "Cy"]


def test_search_dates_accept_ms_epoch_and_iso(api, hubspot_fake):
    hubspot_fake.seed({"contacts": [
        {"properties": {"email": "old@example.com"}, "updatedAt": "2024-01-01T00:00:00Z"},
        {"properties": {"email": "new@example.com"}, "updatedAt": "2024-06-01T00:00:00Z"},
    ]})  # fmt: skip
    for value in ("1714521600000", "2024-05-01T00:00:00Z"):
        answer = search(api, [{"propertyName": "lastmodifieddate", "operator": "GT", "value": value}]).json()
        assert [r["properties"]["email"] for r in answer["results"]] == ["new@example.com"]
        assert answer["results"][0]["properties"]["lastmodifieddate"] == "2024-06-01T00:00:00.000Z"


def test_search_pages_up_to_10000_results_then_refuses(api, hubspot_fake):
    seed(hubspot_fake, 10_050)
    answer = search(api, [], after="9800").json()
    assert answer["total"] == 10_050
    assert answer["paging"]["next"]["after"] == "10000"
    refused = search(api, [], after="10000")
    assert refused.status_code == 400
    assert refused.json()["category"] == "VALIDATION_ERROR"
    assert search(api, [], limit=201).status_code == 400


def test_rate_limit_headers_on_everything_but_search(api, hubspot_fake):
    hubspot_fake.set_knobs(daily_quota=500, rate_limit={"calls": 50, "per_seconds": 10})
    listed = api("GET", f"{CONTACTS}?limit=1")
    assert listed.headers["X-HubSpot-RateLimit-Daily"] == "500"
    assert listed.headers["X-HubSpot-RateLimit-Daily-Remaining"] == "499"
    assert listed.headers["X-HubSpot-RateLimit-Interval-Milliseconds"] == "10000"
    assert listed.headers["X-HubSpot-RateLimit-Max"] == "50"
    assert listed.headers["X-HubSpot-RateLimit-Remaining"] == "49"
    assert not any(h.startswith("X-HubSpot-RateLimit") for h in search(api, []).headers)


def test_429_bodies_name_their_policy(api, hubspot_fake):
    hubspot_fake.set_knobs(rate_limit={"calls": 1, "per_seconds": 60})
    api("GET", CONTACTS)
    burst = api("GET", CONTACTS)
    assert burst.status_code == 429 and burst.headers["Retry-After"] == "1"
    assert burst.json()["policyName"] == "TEN_SECONDLY_ROLLING"
    hubspot_fake.set_knobs(rate_limit=None, daily_quota=0)
    daily = api("GET", CONTACTS)
    assert (daily.status_code, daily.json()["policyName"]) == (429, "DAILY")
    hubspot_fake.set_knobs(daily_quota=None)
    hubspot_fake.set_search_rate_limit(1)
    assert search(api, []).status_code == 200
    secondly = search(api, [])
    assert (secondly.status_code, secondly.json()["policyName"]) == (429, "SECONDLY")


def test_properties_may_be_repeated_or_comma_separated(api, hubspot_fake):
    seed(hubspot_fake, 1, firstname="Ann", city="Nara")
    answer = api(
        "GET", f"{CONTACTS}/s0@example.com?idProperty=email&properties=firstname,city&properties=phone"
    )
    assert answer.json()["properties"] | {} == {
        "firstname": "Ann",
        "city": "Nara",
        "phone": None,
        "hs_object_id": "1001",
        "createdate": answer.json()["createdAt"],
        "lastmodifieddate": answer.json()["updatedAt"],
    }


def test_seeded_records_keep_their_historical_dates(hubspot_fake):
    entry = {"properties": {"email": "old@example.com"}, "createdAt": "2023-01-02T03:04:05Z"}
    hubspot_fake.seed({"contacts": [entry | {"updatedAt": "2024-02-03T04:05:06.789Z", "id": "42"}]})
    [row] = hubspot_fake.dump_state()["contacts"]
    assert (row["id"], row["createdAt"], row["updatedAt"]) == (
        "42",
        "2023-01-02T03:04:05.000Z",
        "2024-02-03T04:05:06.789Z",
    )
    assert row["properties"]["lastmodifieddate"] == row["updatedAt"]


def test_touch_moves_the_modified_date_forward_with_the_clock(hubspot_fake):
    ids = seed(hubspot_fake, 3)
    before = hubspot_fake.touch("contacts", ids[0], {"firstname": "A"})["updatedAt"]
    first = hubspot_fake.touch("contacts", ids[0], {"firstname": "B"})
    time.sleep(0.002)
    second = hubspot_fake.touch("contacts", ids[1], {"firstname": "C"})
    assert before <= first["updatedAt"] < second["updatedAt"]
    with pytest.raises(ValueError, match="allowed options"):
        hubspot_fake.touch("contacts", ids[2], {"lifecyclestage": "nope"})


def test_pipelines_and_a_single_property(api):
    [pipeline] = api("GET", "/crm/v3/pipelines/deals").json()["results"]
    assert pipeline["id"] == "default"
    assert [stage["id"] for stage in pipeline["stages"]][-2:] == ["closedwon", "closedlost"]
    status = api("GET", "/crm/v3/properties/contacts/hs_lead_status").json()
    assert [option["value"] for option in status["options"]][:3] == ["NEW", "OPEN", "IN_PROGRESS"]
    assert api("GET", "/crm/v3/properties/contacts/nope").status_code == 404
