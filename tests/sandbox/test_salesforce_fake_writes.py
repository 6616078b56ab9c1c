"""Writes to the Salesforce fake: collections, single records, validation, assignment, conversion, extras."""

from __future__ import annotations

import pytest

from connector.sandbox.salesforce.validate import SaveError

pytest_plugins = ("conftest_salesforce",)

UPSERT = "composite/sobjects/Lead/Revloop_MA_Id__c/"


def lead(key: str, **fields) -> dict:
    return {
        "attributes": {"type": "Lead"},
        "Revloop_MA_Id__c": key,
        "LastName": "Sato",
        "Company": "Acme",
        **fields,
    }


def upsert(sf_api, records, *, all_or_none=False, headers=None):
    response = sf_api("PATCH", UPSERT, json={"allOrNone": all_or_none, "records": records}, headers=headers)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


# ---- sObject Collections -------------------------------------------------------------------------
def test_upsert_creates_then_updates_with_created_flags(sf_bare, sf_api):
    first = upsert(sf_api, [lead("ma-1"), lead("ma-2")])
    assert [(r["success"], r["created"]) for r in first] == [(True, True), (True, True)]
    second = upsert(
        sf_api, [lead("MA-1", Title="CTO"), lead("ma-3")]
    )  # external ids match case-insensitively
    assert [(r["id"], r["created"]) for r in second] == [(first[0]["id"], False), (second[1]["id"], True)]
    assert sf_bare.creates_by_key("Lead", "Revloop_MA_Id__c") == {"ma-1": 1, "ma-2": 1, "ma-3": 1}


@pytest.mark.parametrize(
    ("fields", "code", "message", "error_fields"),
    [
        ({"Company": None}, "REQUIRED_FIELD_MISSING", "Required fields are missing: [Company]", ["Company"]),
        (
            {"Email": "not-an-email"},
            "INVALID_EMAIL_ADDRESS",
            "Email: invalid email address: not-an-email",
            ["Email"],
        ),
        ({"LastName": "x" * 81}, "STRING_TOO_LONG", "(max length=80)", ["LastName"]),
        (
            {"LeadSource": "Billboard"},
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            "Lead Source: bad value for restricted picklist field: Billboard",
            ["LeadSource"],
        ),
        (
            {"IsConverted": True},
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            "Unable to create/update fields: IsConverted",
            ["IsConverted"],
        ),
        (
            {"OwnerId": "005000000000000AAA"},
            "INVALID_CROSS_REFERENCE_KEY",
            "invalid cross reference id",
            ["OwnerId"],
        ),
        ({"OwnerId": "nope"}, "MALFORMED_ID", "Owner ID: id value of incorrect type: nope", ["OwnerId"]),
    ],
)
def test_per_record_validation(sf_api, fields, code, message, error_fields):
    ok, bad = upsert(sf_api, [lead("ma-ok"), lead("ma-bad", **fields)])
    assert ok["success"]
    [error] = bad["errors"]
    assert (bad["success"], error["statusCode"], error["fields"]) == (False, code, error_fields)
    assert message in error["message"]


def test_duplicate_rule_blocks_leads_sharing_an_email_in_any_case(sf_api):
    first, _ = upsert(
        sf_api, [lead("ma-1", Email="hana@acme.example"), lead("ma-2", Email="other@acme.example")]
    )
    [blocked] = upsert(sf_api, [lead("ma-3", Email="HANA@Acme.Example")])
    [error] = blocked["errors"]
    assert error["statusCode"] == "DUPLICATES_DETECTED"
    assert error["duplicateResult"]["matchResults"][0]["matchRecords"][0]["record"]["Id"] == first["id"]
    [edit] = upsert(sf_api, [lead("ma-2", Email="hana@acme.example")])  # updates are blocked too
    assert edit["errors"][0]["statusCode"] == "DUPLICATES_DETECTED"
    [own] = upsert(sf_api, [lead("ma-1", Email="HANA@acme.example", Title="CEO")])  # its own email is fine
    assert own["success"]


def test_unknown_field_refuses_the_whole_call(sf_bare, sf_api):
    response = sf_api(
        "PATCH", UPSERT, json={"allOrNone": False, "records": [lead("ma-1"), lead("ma-2", Foo__c=1)]}
    )
    assert response.status_code == 400
    assert response.get_json() == [
        {"message": "No such column 'Foo__c' on sobject of type Lead", "errorCode": "INVALID_FIELD"}
    ]
    assert sf_bare.creates_by_key("Lead", "Revloop_MA_Id__c") == {}


def test_201_records_are_refused_as_a_whole(sf_bare, sf_api):
    response = sf_api(
        "PATCH", UPSERT, json={"allOrNone": False, "records": [lead(f"ma-{i}") for i in range(201)]}
    )
    assert response.status_code == 400
    assert response.get_json() == [
        {
            "message": "record limit reached. cannot submit more than 200 records into this call",
            "errorCode": "EXCEEDED_ID_LIMIT",
        }
    ]
    assert len(upsert(sf_api, [lead(f"ma-{i}") for i in range(200)])) == 200


def test_all_or_none_rolls_every_record_back(sf_bare, sf_api):
    upsert(sf_api, [lead("ma-1", Title="before")])
    results = upsert(
        sf_api, [lead("ma-1", Title="after"), lead("ma-2"), lead("ma-3", Company=None)], all_or_none=True
    )
    assert [r["errors"][0]["statusCode"] for r in results] == [
        "ALL_OR_NONE_OPERATION_ROLLED_BACK",
        "ALL_OR_NONE_OPERATION_ROLLED_BACK",
        "REQUIRED_FIELD_MISSING",
    ]
    assert sf_bare.creates_by_key("Lead", "Revloop_MA_Id__c") == {"ma-1": 1}
    rows = sf_api.query("SELECT Title FROM Lead").get_json()["records"]
    assert [row["Title"] for row in rows] == ["before"]


def test_external_id_repeated_in_one_call_or_matching_several_records(sf_bare, sf_api):
    twice = upsert(sf_api, [lead("ma-1"), lead("MA-1"), lead("ma-2")])
    assert [r["success"] for r in twice] == [False, False, True]
    assert twice[0]["errors"][0]["statusCode"] == "DUPLICATE_VALUE"
    sf_bare.seed({"Lead": [{"LastName": "A", "Company": "X", "Revloop_MA_Id__c": "dup"}] * 2})
    [several] = upsert(sf_api, [lead("dup")])
    assert several["errors"][0]["statusCode"] == "DUPLICATE_EXTERNAL_ID"
    single = sf_api("PATCH", "sobjects/Lead/Revloop_MA_Id__c/dup", json={"Title": "x"})
    assert single.status_code == 300 and len(single.get_json()) == 2


def test_create_and_update_collections(sf_api):
    created = sf_api(
        "POST",
        "composite/sobjects/",
        json={
            "allOrNone": False,
            "records": [
                {"attributes": {"type": "Account"}, "Name": "Acme"},
                {"attributes": {"type": "Contact"}, "LastName": "Kato"},
                {"attributes": {"type": "Account"}, "Name": "x", "Id": "001000000000000AAA"},
            ],
        },
    ).get_json()
    assert [r["success"] for r in created] == [True, True, False]
    assert created[2]["errors"][0]["message"] == "cannot specify Id in an insert call"
    updated = sf_api(
        "PATCH",
        "composite/sobjects",
        json={
            "allOrNone": False,
            "records": [
                {"attributes": {"type": "Account"}, "id": created[0]["id"], "Type": "Customer"},
                {"attributes": {"type": "Account"}, "id": "001xx", "Type": "Customer"},
            ],
        },
    ).get_json()
    assert updated[0] == {"id": created[0]["id"], "success": True, "errors": []}
    assert updated[1]["errors"][0]["statusCode"] == "MALFORMED_ID"


# ---- single records ------------------------------------------------------------------------------
def test_single_record_routes(sf_api):
    created = sf_api("POST", "sobjects/Lead/", json={"LastName": "Ito", "Company": "Acme"})
    lead_id = created.get_json()["id"]
    assert created.status_code == 201 and created.get_json()["success"]
    assert sf_api("PATCH", f"sobjects/Lead/{lead_id}", json={"Title": "VP"}).status_code == 204
    assert sf_api("GET", f"sobjects/Lead/{lead_id}").get_json()["Title"] == "VP"
    assert sf_api(
        "GET", f"sobjects/Lead/{lead_id}", query_string={"fields": "Id,Title"}
    ).get_json().keys() == {"attributes", "Id", "Title"}
    refused = sf_api("POST", "sobjects/Lead/", json={"LastName": "NoCompany"})
    assert refused.status_code == 400
    assert (
        refused.get_json()[0]["errorCode"] == "REQUIRED_FIELD_MISSING" and "fields" in refused.get_json()[0]
    )
    assert sf_api("GET", "sobjects/Lead/00Q000000000000AAA").status_code == 404


def test_upsert_by_external_id_path_decodes_raw_values(sf_api):
    created = sf_api(
        "PATCH", "sobjects/Lead/Revloop_MA_Id__c/a%2Fb%20c@x.jp", json={"LastName": "S", "Company": "C"}
    )
    assert (created.status_code, created.get_json()["created"]) == (201, True)
    updated = sf_api("PATCH", "sobjects/Lead/Revloop_MA_Id__c/a%2Fb%20c@x.jp", json={"Title": "T"})
    assert (updated.status_code, updated.get_json()["created"]) == (200, False)
    found = sf_api("GET", "sobjects/Lead/Revloop_MA_Id__c/a%2Fb%20c@x.jp").get_json()
    assert (found["Revloop_MA_Id__c"], found["Title"]) == ("a/b c@x.jp", "T")
    assert sf_api("PATCH", "sobjects/Lead/Nope__c/1", json={}).get_json()[0]["errorCode"] == "NOT_FOUND"


# ---- assignment rules ----------------------------------------------------------------------------
def test_lead_assignment_rule_round_robin_and_header(sf_bare, sf_api):
    users = sf_bare.seed(
        {
            "User": [
                {"LastName": "Mori", "Email": "mori@x.jp"},
                {"LastName": "Ueda", "Email": "ueda@x.jp"},
                {"LastName": "Gone", "Email": "gone@x.jp", "IsActive": False},
            ]
        }
    )["User"]
    default = upsert(sf_api, [lead(f"ma-{i}") for i in range(3)])
    rule = upsert(sf_api, [lead("ma-r")], headers={"Sforce-Auto-Assign": sf_bare.assignment_rule_id})
    kept = upsert(sf_api, [lead("ma-k", OwnerId=users[1])], headers={"Sforce-Auto-Assign": "FALSE"})
    plain = upsert(sf_api, [lead("ma-p")], headers={"Sforce-Auto-Assign": "false"})
    owners = {
        row["Revloop_MA_Id__c"]: row["OwnerId"]
        for row in sf_api.query("SELECT Revloop_MA_Id__c, OwnerId FROM Lead").get_json()["records"]
    }
    assert [owners[f"ma-{i}"] for i in range(3)] == [users[0], users[1], users[0]]
    assert owners["ma-r"] == users[1] and owners["ma-k"] == users[1] and owners["ma-p"] == sf_bare.api_user_id
    assert all(r[0]["success"] for r in (default, rule, kept, plain))
    inactive = upsert(sf_api, [lead("ma-i", OwnerId=users[2])], headers={"Sforce-Auto-Assign": "FALSE"})
    assert inactive[0]["errors"][0]["statusCode"] == "INACTIVE_OWNER_OR_USER"
    bad_rule = sf_api(
        "PATCH", UPSERT, json={"records": [lead("x")]}, headers={"Sforce-Auto-Assign": "01Q000000000000"}
    )
    assert bad_rule.status_code == 400


# ---- sandbox extras ------------------------------------------------------------------------------
def test_convert_lead_then_api_writes_are_refused(sf_bare, sf_api):
    [created] = upsert(sf_api, [lead("ma-1", FirstName="Hana", Email="hana@acme.example")])
    converted = sf_bare.convert_lead(created["id"])
    contact = sf_api("GET", f"sobjects/Contact/{converted['contactId']}").get_json()
    account = sf_api("GET", f"sobjects/Account/{converted['accountId']}").get_json()
    row = sf_api("GET", f"sobjects/Lead/{created['id']}").get_json()
    assert (contact["Email"], contact["AccountId"], account["Name"]) == (
        "hana@acme.example",
        account["Id"],
        "Acme",
    )
    assert (row["IsConverted"], row["Status"], row["ConvertedContactId"]) == (
        True,
        "Closed - Converted",
        contact["Id"],
    )
    [refused] = upsert(sf_api, [lead("ma-1", Title="x")])
    assert refused["errors"][0]["statusCode"] == "CANNOT_UPDATE_CONVERTED_LEAD"
    [other] = upsert(sf_api, [lead("ma-2")])
    again = sf_bare.convert_lead(other["id"], account_id=account["Id"])
    assert again["accountId"] == account["Id"] and len(sf_bare.org.records["Account"]) == 1


def test_a_failed_conversion_changes_nothing(sf_bare):
    [lead_id] = sf_bare.seed({"Lead": [{"LastName": "Bad", "Company": "Acme", "Email": "not-an-email"}]})[
        "Lead"
    ]
    with pytest.raises(SaveError, match="invalid email"):
        sf_bare.convert_lead(lead_id)
    assert sf_bare.org.records["Account"] == {} and sf_bare.org.records["Contact"] == {}
    assert not sf_bare.org.get("Lead", lead_id)["IsConverted"]


def test_touch_edits_like_a_salesperson(sf_bare, sf_api):
    owner = sf_bare.seed({"User": [{"LastName": "Mori", "Email": "mori@x.jp"}]})["User"][0]
    [created] = upsert(sf_api, [lead("ma-1")])
    sf_bare.advance_clock(3)
    row = sf_bare.touch("Lead", created["id"], {"Status": "Working - Contacted"})
    assert row["Status"] == "Working - Contacted" and row["LastModifiedById"] == owner
    assert row["SystemModstamp"] > row["CreatedDate"]


def test_control_routes(sf_bare, sf_api):
    [created] = upsert(sf_api, [lead("ma-1"), lead("ma-1b")])[:1]
    touched = sf_api.client.post(
        "/__sandbox__/salesforce/touch",
        json={"object": "Lead", "id": created["id"], "fields": {"Rating": "Hot"}},
    )
    assert touched.get_json()["Rating"] == "Hot"
    creates = sf_api.client.get(
        "/__sandbox__/salesforce/creates?object=Lead&field=Revloop_MA_Id__c"
    ).get_json()
    assert creates == {"ma-1": 1, "ma-1b": 1}
    converted = sf_api.client.post(
        "/__sandbox__/salesforce/convert", json={"lead_id": created["id"]}
    ).get_json()
    assert converted["contactId"].startswith("003")
    refused = sf_api.client.post(
        "/__sandbox__/salesforce/touch",
        json={"object": "Lead", "id": created["id"], "fields": {"Rating": "Cold"}},
    )
    assert refused.status_code == 400 and refused.get_json()["errorCode"] == "CANNOT_UPDATE_CONVERTED_LEAD"
    assert sf_api.client.post("/__sandbox__/salesforce/clock", json={"advance_s": 60}).get_json() == {
        "ok": True
    }
    assert sf_bare.total_calls == 1  # control routes are not API calls


def test_opportunity_line_items_derive_prices(sf_bare, sf_api):
    ids = sf_bare.seed(
        {
            "Product2": [{"Name": "revloop Pro", "ProductCode": "RL-PRO"}],
            "Opportunity": [{"Name": "Deal", "StageName": "Closed Won", "CloseDate": "2024-06-30"}],
        }
    )
    item = {
        "OpportunityId": ids["Opportunity"][0],
        "Product2Id": ids["Product2"][0],
        "Quantity": 3,
        "UnitPrice": 100,
    }
    created = sf_api("POST", "sobjects/OpportunityLineItem/", json=item).get_json()
    row = sf_api("GET", f"sobjects/OpportunityLineItem/{created['id']}").get_json()
    assert (row["TotalPrice"], row["Name"], created["id"][:3]) == (300.0, "revloop Pro", "00k")
    both = sf_api("POST", "sobjects/OpportunityLineItem/", json={**item, "TotalPrice": 1})
    assert both.get_json()[0]["errorCode"] == "FIELD_INTEGRITY_EXCEPTION"


def test_seed_and_dump_state(sf_bare):
    ids = sf_bare.seed(
        {"Account": [{"Name": "Acme", "Revloop_CRM_Id__c": "c-1"}], "Contact": [{"LastName": "K"}]}
    )
    state = sf_bare.dump_state()
    assert [row["Id"] for row in state["Account"]] == ids["Account"]
    assert state["Contact"][0]["OwnerId"] == sf_bare.api_user_id and "Lead" not in state
    with pytest.raises(ValueError, match="unknown objects"):
        sf_bare.seed({"Leads": []})


def test_converting_with_an_opportunity_makes_the_contact_its_primary_role(sf_bare, sf_api):
    [created] = upsert(sf_api, [lead("ma-1", FirstName="Hana", Email="hana@acme.example")])

    converted = sf_bare.convert_lead(created["id"], opportunity_name="Acme - first order")

    opportunity = sf_api("GET", f"sobjects/Opportunity/{converted['opportunityId']}").get_json()
    row = sf_api("GET", f"sobjects/Lead/{created['id']}").get_json()
    assert (opportunity["Name"], opportunity["StageName"], opportunity["IsClosed"]) == (
        "Acme - first order",
        "Prospecting",
        False,
    )
    assert opportunity["AccountId"] == converted["accountId"]
    assert row["ConvertedOpportunityId"] == converted["opportunityId"]
    (role,) = sf_bare.org.records["OpportunityContactRole"].values()
    assert (role["OpportunityId"], role["ContactId"], role["IsPrimary"]) == (
        converted["opportunityId"],
        converted["contactId"],
        True,
    )
