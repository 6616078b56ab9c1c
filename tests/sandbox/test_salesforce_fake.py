"""The Salesforce fake on the wire: auth, limits, SOQL subset, query paging, describe, ids and stamps."""

from __future__ import annotations

import re

import pytest

from connector.sandbox.salesforce.store import to_18

pytest_plugins = ("conftest_salesforce",)

STAMP = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}\+0000$")


def seed_people(fake) -> dict[str, list[str]]:
    return fake.seed(
        {
            "Lead": [
                {
                    "FirstName": "Ann",
                    "LastName": "Archer",
                    "Company": "Acme",
                    "Email": "ann@acme.example",
                    "Rating": "Hot",
                    "SystemModstamp": "2024-05-01T10:00:00.000+0000",
                },
                {
                    "FirstName": "Bob",
                    "LastName": "O'Brien",
                    "Company": "Beta 50%",
                    "Email": "BOB@beta.example",
                    "Rating": "Warm",
                    "SystemModstamp": "2024-05-01T11:00:00.000+0000",
                },
                {
                    "FirstName": None,
                    "LastName": "Chen",
                    "Company": "Acme",
                    "Email": None,
                    "Rating": "Cold",
                    "SystemModstamp": "2024-05-02T09:00:00.000+0000",
                },
                {
                    "FirstName": "Dee",
                    "LastName": "Dunn",
                    "Company": "Delta_Co",
                    "Email": "dee@delta.example",
                    "SystemModstamp": "2024-05-03T00:00:00.000+0000",
                },
            ]
        }
    )


def names(response) -> list[str]:
    assert response.status_code == 200, response.get_json()
    return [record["LastName"] for record in response.get_json()["records"]]


# ---- routing, auth, limits -----------------------------------------------------------------------
@pytest.mark.parametrize(
    "path", ["limits", "limits/", "/services/data/v59.0/limits/", "/services/data/v64.0/limits"]
)
def test_any_version_and_optional_trailing_slash(sf_api, path):
    response = sf_api("GET", path)
    assert response.status_code == 200
    assert response.get_json()["DailyApiRequests"]["Max"] == 100_000


def test_every_answer_reports_daily_usage(sf_bare, sf_api):
    sf_api("GET", "limits/")
    response = sf_api("GET", "limits/")
    assert response.headers["Sforce-Limit-Info"] == "api-usage=2/100000"
    assert response.get_json()["DailyApiRequests"] == {"Max": 100_000, "Remaining": 99_998}


def test_bad_token_answers_401_json_array(sf_api):
    response = sf_api("GET", "limits/", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
    assert response.get_json() == [
        {"message": "Session expired or invalid", "errorCode": "INVALID_SESSION_ID"}
    ]


def test_daily_quota_and_concurrency_limits_answer_403(sf_bare, sf_api):
    sf_bare.set_knobs(daily_quota=1)
    assert sf_api("GET", "limits/").status_code == 200
    refused = sf_api("GET", "limits/")
    assert refused.status_code == 403
    assert refused.get_json() == [
        {"message": "TotalRequests Limit exceeded.", "errorCode": "REQUEST_LIMIT_EXCEEDED"}
    ]
    sf_bare.reset()
    sf_bare.set_knobs(rate_limit={"calls": 1, "per_seconds": 60})
    sf_api("GET", "limits/")
    limited = sf_api("GET", "limits/")
    assert limited.status_code == 403
    assert "ConcurrentPerOrgLongTxn" in limited.get_json()[0]["message"]


def test_client_credentials_token(sf_bare, sf_api):
    sf_bare.client_credentials = ("id-1", "secret-1")
    form = {"grant_type": "client_credentials"}
    ok = sf_api.client.post(
        "/services/oauth2/token", data=form, headers={"Authorization": basic("id-1", "secret-1")}
    )
    body = ok.get_json()
    assert ok.status_code == 200
    assert body["instance_url"] == "http://localhost" and body["token_type"] == "Bearer"
    assert {"access_token", "id", "issued_at", "signature"} <= set(body)
    assert (
        sf_api("GET", "limits/", headers={"Authorization": f"Bearer {body['access_token']}"}).status_code
        == 200
    )
    in_form = sf_api.client.post(
        "/services/oauth2/token", data={**form, "client_id": "id-1", "client_secret": "secret-1"}
    )
    assert in_form.status_code == 200
    wrong = sf_api.client.post(
        "/services/oauth2/token", data=form, headers={"Authorization": basic("id-1", "x")}
    )
    assert (wrong.status_code, wrong.get_json()["error"]) == (400, "invalid_client")
    grant = sf_api.client.post("/services/oauth2/token", data={"grant_type": "password"})
    assert grant.get_json()["error"] == "unsupported_grant_type"


def basic(user: str, password: str) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()


# ---- SOQL ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("where", "expected"),
    [
        ("Company = 'acme'", ["Archer", "Chen"]),  # text compares case-insensitively
        ("Company != 'Acme'", ["O'Brien", "Dunn"]),
        ("LastName = 'O\\'Brien'", ["O'Brien"]),
        ("Email = null", ["Chen"]),
        ("Email != null AND Rating = 'Hot'", ["Archer"]),
        ("(Rating = 'Hot' OR Rating = 'Cold') AND Company = 'Acme'", ["Archer", "Chen"]),
        ("NOT Company = 'Acme'", ["O'Brien", "Dunn"]),
        ("NOT (Rating = 'Hot' OR Rating = null)", ["O'Brien", "Chen"]),
        ("Rating IN ('hot', 'Warm')", ["Archer", "O'Brien"]),
        ("Rating NOT IN ('Hot', 'Warm')", ["Chen", "Dunn"]),
        ("Company LIKE 'ac%'", ["Archer", "Chen"]),
        ("Company LIKE '%50\\%'", ["O'Brien"]),
        ("Company LIKE 'Delta\\_C_'", ["Dunn"]),
        ("SystemModstamp > 2024-05-01T10:00:00Z", ["O'Brien", "Chen", "Dunn"]),
        ("SystemModstamp >= 2024-05-01T19:00:00+09:00", ["Archer", "O'Brien", "Chen", "Dunn"]),
        ("SystemModstamp < 2024-05-02T00:00:00.000+0000", ["Archer", "O'Brien"]),
        ("SystemModstamp <= 2024-05-01T11:00:00Z AND IsConverted = false", ["Archer", "O'Brien"]),
        ("IsConverted = true", []),
    ],
)
def test_where_clause(sf_bare, sf_api, where, expected):
    seed_people(sf_bare)
    assert names(sf_api.query(f"SELECT LastName FROM Lead WHERE {where} ORDER BY SystemModstamp")) == expected


@pytest.mark.parametrize(
    ("order", "expected"),
    [
        ("LastName", ["Archer", "Chen", "Dunn", "O'Brien"]),
        ("Company DESC, LastName DESC", ["Dunn", "O'Brien", "Chen", "Archer"]),
        ("Email NULLS LAST, LastName", ["Archer", "O'Brien", "Dunn", "Chen"]),
        ("Email DESC NULLS FIRST", ["Chen", "Dunn", "O'Brien", "Archer"]),
        ("SystemModstamp DESC LIMIT 2", ["Dunn", "Chen"]),
        ("LastName LIMIT 2 OFFSET 1", ["Chen", "Dunn"]),
    ],
)
def test_order_limit_offset(sf_bare, sf_api, order, expected):
    seed_people(sf_bare)
    assert names(sf_api.query(f"select lastname from lead order by {order}")) == expected


def test_date_literals_and_numbers(sf_bare, sf_api):
    sf_bare.seed(
        {
            "Opportunity": [
                {"Name": "Small", "StageName": "Prospecting", "CloseDate": "2024-06-30", "Amount": 100},
                {"Name": "Big", "StageName": "Closed Won", "CloseDate": "2024-07-31", "Amount": 250000.5},
            ]
        }
    )
    response = sf_api.query(
        "SELECT Name, IsWon, IsClosed, Amount FROM Opportunity "
        "WHERE CloseDate > 2024-07-01 AND Amount >= 1000"
    )
    assert [(r["Name"], r["IsWon"], r["IsClosed"], r["Amount"]) for r in response.get_json()["records"]] == [
        ("Big", True, True, 250000.5)
    ]


@pytest.mark.parametrize(
    ("soql", "code", "fragment"),
    [
        ("SELECT Id, Foo__c FROM Lead", "INVALID_FIELD", "No such column 'Foo__c' on entity 'Lead'"),
        ("SELECT Id, id FROM Lead", "INVALID_FIELD", "duplicate field selected: id"),
        ("SELECT Id FROM Leed", "INVALID_TYPE", "sObject type 'Leed' is not supported"),
        ("SELECT Id FROM Lead WHERE", "MALFORMED_QUERY", "unexpected end of query"),
        (
            "SELECT Id FROM Lead WHERE SystemModstamp > '2024-05-01T00:00:00Z'",
            "MALFORMED_QUERY",
            "must be of type dateTime",
        ),
        ("SELECT Id FROM Lead WHERE LastName = Archer", "MALFORMED_QUERY", "unexpected token"),
        (
            "SELECT Id FROM Lead WHERE Rating = 'Hot' AND Company = 'A' OR Email = null",
            "MALFORMED_QUERY",
            "'OR'",
        ),
        ("SELECT Id FROM Lead LIMIT x", "MALFORMED_QUERY", "expecting a number"),
    ],
)
def test_query_errors(sf_api, soql, code, fragment):
    response = sf_api.query(soql)
    assert response.status_code == 400
    [error] = response.get_json()
    assert error["errorCode"] == code
    assert fragment in error["message"] and "ERROR at Row:1:Column:" in error["message"]


# ---- paging --------------------------------------------------------------------------------------
def seed_many(fake, count: int) -> None:
    fake.seed(
        {
            "Lead": [
                {
                    "LastName": f"L{i:05d}",
                    "Company": "Acme",
                    "SystemModstamp": f"2024-05-01T10:{i // 60 % 60:02d}:{i % 60:02d}.000+0000",
                }
                for i in range(count)
            ]
        }
    )


def test_paging_follows_next_records_url_over_a_snapshot(sf_bare, sf_api):
    seed_many(sf_bare, 4500)
    first = sf_api.query("SELECT Id, LastName FROM Lead ORDER BY LastName").get_json()
    assert (first["totalSize"], first["done"], len(first["records"])) == (4500, False, 2000)
    assert re.fullmatch(r"/services/data/v62\.0/query/01g\w{15}-2000", first["nextRecordsUrl"])
    sf_bare.seed({"Lead": [{"LastName": "L00000-late", "Company": "Acme"}]})
    sf_bare.touch("Lead", first["records"][0]["Id"], {"LastName": "Z"})
    second = sf_api("GET", first["nextRecordsUrl"]).get_json()
    third = sf_api("GET", second["nextRecordsUrl"]).get_json()
    assert (len(second["records"]), len(third["records"]), third["done"]) == (2000, 500, True)
    assert "nextRecordsUrl" not in third
    everything = [r["LastName"] for page in (first, second, third) for r in page["records"]]
    assert everything == [f"L{i:05d}" for i in range(4500)]  # the answer as it was when the query ran


def test_batch_size_header_is_honoured_within_200_to_2000(sf_bare, sf_api):
    seed_many(sf_bare, 700)
    sizes = {}
    for asked in (500, 50, 5000):
        page = sf_api.query(
            "SELECT Id FROM Lead", headers={"Sforce-Query-Options": f"batchSize={asked}"}
        ).get_json()
        sizes[asked] = len(page["records"])
    assert sizes == {500: 500, 50: 200, 5000: 700}


def test_query_all_pages_too_and_records_carry_attributes(sf_bare, sf_api):
    seed_many(sf_bare, 2001)
    first = sf_api("GET", "queryAll/", query_string={"q": "SELECT Id FROM Lead"}).get_json()
    assert first["nextRecordsUrl"].startswith("/services/data/v62.0/queryAll/01g")
    record = first["records"][0]
    assert record["attributes"] == {
        "type": "Lead",
        "url": f"/services/data/v62.0/sobjects/Lead/{record['Id']}",
    }
    assert sf_api("GET", "query/01gnotalocator-2000").get_json()[0]["errorCode"] == "INVALID_QUERY_LOCATOR"


# ---- describe, ids, stamps -----------------------------------------------------------------------
def test_describe_lead(sf_api):
    described = sf_api("GET", "sobjects/Lead/describe/").get_json()
    fields = {field["name"]: field for field in described["fields"]}
    assert (described["name"], described["keyPrefix"]) == ("Lead", "00Q")
    assert fields["LastName"]["length"] == 80 and not fields["LastName"]["nillable"]
    assert fields["Company"]["length"] == 255
    assert fields["Status"]["restrictedPicklist"] and fields["Status"]["defaultedOnCreate"]
    assert [v["value"] for v in fields["Status"]["picklistValues"] if v["defaultValue"]] == [
        "Open - Not Contacted"
    ]
    assert len(fields["LeadSource"]["picklistValues"]) == 9 and fields["LeadSource"]["restrictedPicklist"]
    assert fields["Revloop_MA_Id__c"]["externalId"] and fields["Revloop_MA_Id__c"]["unique"]
    assert fields["Revloop_MA_Id__c"]["length"] == 64 and fields["Revloop_MA_Id__c"]["custom"]
    assert fields["OwnerId"]["referenceTo"] == ["User"] and fields["OwnerId"]["defaultedOnCreate"]
    assert not fields["IsConverted"]["createable"] and not fields["ConvertedContactId"]["updateable"]
    assert fields["Description"]["type"] == "textarea" and fields["Description"]["length"] == 32000
    assert sf_api("GET", "sobjects/Nope/describe").status_code == 404


@pytest.mark.parametrize(
    ("obj", "prefix", "values"),
    [
        ("Lead", "00Q", {"LastName": "A", "Company": "B"}),
        ("Contact", "003", {"LastName": "A"}),
        ("Account", "001", {"Name": "A"}),
        ("Opportunity", "006", {"Name": "A", "StageName": "Prospecting", "CloseDate": "2024-06-30"}),
        ("Product2", "01t", {"Name": "P"}),
        ("Task", "00T", {"Subject": "Call"}),
    ],
)
def test_ids_are_18_characters_with_key_prefix_and_checksum(sf_api, obj, prefix, values):
    created = sf_api("POST", f"sobjects/{obj}/", json=values)
    record_id = created.get_json()["id"]
    assert created.status_code == 201
    assert len(record_id) == 18 and record_id.startswith(prefix) and to_18(record_id[:15]) == record_id


def test_writes_stamp_records_in_order(sf_bare, sf_api):
    ids = [sf_api("POST", "sobjects/Account/", json={"Name": f"A{i}"}).get_json()["id"] for i in range(3)]
    sf_bare.advance_clock(5)
    ids.append(sf_api("POST", "sobjects/Account/", json={"Name": "late"}).get_json()["id"])
    rows = sf_api.query(
        "SELECT Id, SystemModstamp, CreatedDate FROM Account ORDER BY SystemModstamp, Id"
    ).get_json()
    stamps = [row["SystemModstamp"] for row in rows["records"]]
    assert all(STAMP.match(stamp) for stamp in stamps)
    assert [row["Id"] for row in rows["records"]] == ids
    assert stamps == sorted(stamps) and stamps[3] > stamps[2]
