"""The Marketo fake on its own: wire shapes, limits and error codes the adapter relies on."""

from __future__ import annotations

import pytest
from werkzeug.test import Client

from connector.sandbox.marketo import MarketoFake


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


def error_code(body) -> str | None:
    return None if body["success"] else body["errors"][0]["code"]


def test_identity_returns_the_same_token_while_it_lives(fake, client):
    query = f"grant_type=client_credentials&client_id={fake.client_id}&client_secret={fake.client_secret}"
    first = client.get(f"/identity/oauth/token?{query}").json
    second = client.post("/identity/oauth/token", query_string=query).json
    assert first["access_token"] == second["access_token"]
    assert second["expires_in"] <= first["expires_in"] <= 3600
    assert first["token_type"] == "bearer"


def test_identity_refuses_bad_client_credentials_with_401(fake, client):
    form = {"grant_type": "client_credentials", "client_id": fake.client_id, "client_secret": "nope"}
    answer = client.post("/identity/oauth/token", data=form)
    assert answer.status_code == 401
    assert answer.json["error"] == "unauthorized"


def test_missing_invalid_and_expired_tokens(fake, client, auth):
    url = "/rest/v1/stats/usage.json"
    assert error_code(client.get(url).json) == "600"
    assert error_code(client.get(url, headers={"Authorization": "Bearer forged"}).json) == "601"
    fake.control_tokens_expire(None)
    assert error_code(client.get(url, headers=auth).json) == "602"


def test_rate_and_daily_limits_answer_606_and_607(fake, client, auth):
    fake.set_knobs(rate_limit={"calls": 1, "per_seconds": 60})
    client.get("/rest/v1/stats/usage.json", headers=auth)
    answer = client.get("/rest/v1/stats/usage.json", headers=auth).json
    assert answer["errors"] == [{"code": "606", "message": "Max rate limit '1' exceeded with in '60' secs"}]
    fake.set_knobs(rate_limit=None, daily_quota=1)
    assert client.get("/rest/v1/stats/usage.json", headers=auth).json["errors"][0]["code"] == "607"


def test_uris_over_8kb_are_refused_with_414(client, auth):
    answer = client.get("/rest/v1/leads.json?filterType=email&filterValues=" + "a" * 8200, headers=auth)
    assert answer.status_code == 414


def test_lead_reads_enforce_marketo_limits(fake, client, auth):
    fake.seed({"leads": [{"email": "a@x.com"}]})
    too_many = ",".join(str(n) for n in range(301))
    cases = {
        f"filterType=id&filterValues={too_many}": "1003",
        "filterType=firstName&filterValues=Ann": "1003",
        "filterType=email&filterValues=a@x.com&batchSize=301": "1003",
        "filterType=email&filterValues=a@x.com&fields=shoeSize": "1006",
        "filterType=email&filterValues=A@X.com": None,
    }
    for query, code in cases.items():
        assert error_code(client.get(f"/rest/v1/leads.json?{query}", headers=auth).json) == code, query


def test_lead_reads_omit_null_fields_and_accept_method_get_posts(fake, client, auth):
    [lead] = fake.seed({"leads": [{"email": "a@x.com", "firstName": "Ann"}]})["leads"]
    form = {"filterType": "id", "filterValues": str(lead), "fields": "email,firstName,phone"}
    answer = client.post("/rest/v1/leads.json?_method=GET", data=form, headers=auth).json
    assert answer["result"] == [{"id": lead, "email": "a@x.com", "firstName": "Ann"}]


def test_sync_leads_actions_and_reasons(fake, client, auth):
    def sync(action, records, lookup="email"):
        body = {"action": action, "lookupField": lookup, "input": records}
        return client.post("/rest/v1/leads.json", json=body, headers=auth).json

    assert sync("createOnly", [{"email": "a@x.com"}])["result"][0]["status"] == "created"
    assert sync("createOnly", [{"email": "a@x.com"}])["result"][0]["reasons"][0]["code"] == "1005"
    assert sync("updateOnly", [{"email": "b@x.com"}])["result"][0]["reasons"][0]["code"] == "1004"
    assert sync("createDuplicate", [{"email": "A@x.com"}])["result"][0]["status"] == "created"
    assert sync("createOrUpdate", [{"email": "a@x.com"}])["result"][0]["reasons"][0]["code"] == "1007"
    assert sync("createOrUpdate", [{"firstName": "NoEmail"}])["result"][0]["reasons"][0]["code"] == "1002"
    assert error_code(sync("createOrUpdate", [{"email": f"{n}@x.com"} for n in range(301)])) == "1003"
    assert error_code(sync("createOrUpdate", [{"id": 1}], lookup="id")) == "1003"
    assert fake.creates_per_email["a@x.com"] == 2


def test_writes_need_a_json_content_type(client, auth):
    answer = client.post("/rest/v1/leads.json", data="input=x", headers=auth).json
    assert error_code(answer) == "612"


def test_activities_page_with_more_result_and_leave_result_out_when_empty(fake, client, auth):
    ids = fake.seed({"leads": [{"email": f"{n}@x.com"} for n in range(5)]})["leads"]
    token = client.get("/rest/v1/activities/pagingtoken.json?sinceDatetime=2000-01-01", headers=auth).json[
        "nextPageToken"
    ]
    seen, more = [], True
    while more:
        page = client.get(
            f"/rest/v1/activities.json?nextPageToken={token}&activityTypeIds=12&batchSize=2", headers=auth
        ).json
        seen += [row["leadId"] for row in page.get("result", [])]
        token, more = page["nextPageToken"], page["moreResult"]
    assert seen == ids
    empty = client.get(
        f"/rest/v1/activities.json?nextPageToken={token}&activityTypeIds=12", headers=auth
    ).json
    assert "result" not in empty and empty["moreResult"] is False and empty["nextPageToken"] == token
    fake.touch(ids[0], {"leadStatus": "MQL"})
    later = client.get(
        f"/rest/v1/activities.json?nextPageToken={token}&activityTypeIds=13", headers=auth
    ).json
    [change] = later["result"]
    assert change["primaryAttributeValue"] == "Lead Status"
    assert {"name": "New Value", "value": "MQL"} in change["attributes"]


def test_activity_requests_are_validated(client, auth):
    token = client.get("/rest/v1/activities/pagingtoken.json?sinceDatetime=2000-01-01", headers=auth).json[
        "nextPageToken"
    ]
    eleven = ",".join(["1", "2", "3", "6", "7", "10", "11", "12", "13", "22", "24"])
    for query in (f"nextPageToken={token}&activityTypeIds={eleven}", "nextPageToken=XYZ&activityTypeIds=1"):
        assert error_code(client.get(f"/rest/v1/activities.json?{query}", headers=auth).json) == "1003"
    leadchanges = client.get(f"/rest/v1/activities/leadchanges.json?nextPageToken={token}", headers=auth).json
    assert error_code(leadchanges) == "1003"


def test_seeded_history_is_found_by_paging_token_date(fake, client, auth):
    [lead] = fake.seed({"leads": [{"email": "h@x.com", "createdAt": "2024-01-01T00:00:00Z"}]})["leads"]
    fake.seed(
        {
            "activities": [
                {
                    "leadId": lead,
                    "activityTypeId": 1,
                    "primaryAttributeValue": "/pricing",
                    "activityDate": "2024-02-01",
                },
                {
                    "leadId": lead,
                    "activityTypeId": 2,
                    "primaryAttributeValue": "Contact Us",
                    "activityDate": "2024-03-01",
                },
            ]
        }
    )
    since = "2024-02-15T00:00:00Z"
    token = client.get(f"/rest/v1/activities/pagingtoken.json?sinceDatetime={since}", headers=auth).json
    rows = client.get(
        f"/rest/v1/activities.json?nextPageToken={token['nextPageToken']}&activityTypeIds=1,2,12",
        headers=auth,
    ).json["result"]
    assert [(row["activityTypeId"], row["activityDate"]) for row in rows] == [(2, "2024-03-01T00:00:00Z")]


def test_static_lists_and_membership(fake, client, auth):
    ids = fake.seed({"leads": [{"email": "l@x.com"}], "lists": [{"id": 77, "name": "Seeded"}]})["leads"]
    fake.seed({"list_members": {"77": ids}})
    member = client.get(f"/rest/v1/lists/77/leads/ismember.json?id={ids[0]},5", headers=auth).json["result"]
    assert [row["status"] for row in member] == ["memberof", "notmemberof"]
    assert client.get("/rest/v1/lists.json?name=Seeded", headers=auth).json["result"][0]["id"] == 77
    assert error_code(client.get("/rest/v1/lists/78/leads.json", headers=auth).json) == "1013"
    duplicate = client.post(
        "/rest/asset/v1/staticLists.json", data={"name": "Seeded", "folder": "12"}, headers=auth
    )
    assert error_code(duplicate.json) == "709"
    assert fake.dump_state()["list_members"] == {"77": ids}


def test_reset_forgets_everything_but_the_credentials(fake):
    fake.seed({"leads": [{"email": "r@x.com"}]})
    client_id = fake.client_id
    fake.reset()
    assert fake.dump_state()["leads"] == [] and fake.client_id == client_id
