"""Opportunities in the Salesforce fake: relationship fields in SOQL, COUNT(), currencies, line items
(their Amount roll-up, deletes) and contact roles, as the won-deals flow reads them."""

from __future__ import annotations

import csv
import io

pytest_plugins = ("conftest_salesforce",)


def seed_deal(fake) -> dict[str, list[str]]:
    ids = fake.seed(
        {
            "Account": [{"Name": "株式会社サンプル", "Website": "https://www.sample.example.jp/about"}],
            "Product2": [{"Name": "revloop Pro", "ProductCode": "RL-PRO"}],
            "Contact": [{"LastName": "山田", "FirstName": "太郎", "Email": "taro@sample.example.jp"}],
        }
    )
    ids |= fake.seed(
        {
            "Opportunity": [
                {"Name": "Sample - Pro", "StageName": "Closed Won", "CloseDate": "2026-11-30",
                 "AccountId": ids["Account"][0], "CurrencyIsoCode": "USD", "Amount": 300},
                {"Name": "No account", "StageName": "Prospecting", "CloseDate": "2026-12-31"},
            ],
        }
    )  # fmt: skip
    opportunity = ids["Opportunity"][0]
    ids |= fake.seed(
        {
            "OpportunityLineItem": [
                {"OpportunityId": opportunity, "Product2Id": ids["Product2"][0], "Quantity": 3,
                 "UnitPrice": 100, "TotalPrice": 300},
            ],
            "OpportunityContactRole": [
                {"OpportunityId": opportunity, "ContactId": ids["Contact"][0], "Role": "Decision Maker",
                 "IsPrimary": True},
            ],
        }
    )  # fmt: skip
    return ids


def test_relationship_fields_are_nested_under_their_relationship(sf_bare, sf_api):
    ids = seed_deal(sf_bare)
    soql = (
        "SELECT Id, Name, Account.Name, Account.Website, CurrencyIsoCode FROM Opportunity ORDER BY Name DESC"
    )
    won, alone = sf_api.query(soql).get_json()["records"]

    account = won["Account"]
    assert account["attributes"]["type"] == "Account"
    assert account["attributes"]["url"].endswith(f"/sobjects/Account/{ids['Account'][0]}")
    assert (account["Name"], account["Website"]) == (
        "株式会社サンプル",
        "https://www.sample.example.jp/about",
    )
    assert won["CurrencyIsoCode"] == "USD"
    assert alone["Account"] is None  # an empty reference answers null, not a missing key
    assert alone["CurrencyIsoCode"] == "JPY"  # the corporate currency by default


def test_line_items_and_contact_roles_read_their_parents(sf_bare, sf_api):
    ids = seed_deal(sf_bare)
    opportunity = ids["Opportunity"][0]
    soql = (
        "SELECT Id, Quantity, Product2.ProductCode, Product2.Name, Opportunity.Account.Name, CurrencyIsoCode "
        f"FROM OpportunityLineItem WHERE OpportunityId IN ('{opportunity}')"
    )
    [line] = sf_api.query(soql).get_json()["records"]
    assert (line["Product2"]["ProductCode"], line["Product2"]["Name"]) == ("RL-PRO", "revloop Pro")
    assert line["Opportunity"]["Account"]["Name"] == "株式会社サンプル"  # two hops
    assert line["CurrencyIsoCode"] == "USD"  # a line item is in its opportunity's currency

    soql = (
        "SELECT ContactId, Role, Contact.Email FROM OpportunityContactRole "
        f"WHERE OpportunityId = '{opportunity}'"
    )
    [role] = sf_api.query(soql).get_json()["records"]
    assert (role["Role"], role["Contact"]["Email"]) == ("Decision Maker", "taro@sample.example.jp")


def test_an_unknown_relationship_is_invalid_field(sf_bare, sf_api):
    answer = sf_api.query("SELECT Id, Acount.Name FROM Opportunity")
    assert answer.status_code == 400
    assert answer.get_json()[0]["errorCode"] == "INVALID_FIELD"
    assert "Didn't understand relationship 'Acount'" in answer.get_json()[0]["message"]
    unknown_field = sf_api.query("SELECT Id, Account.Nmae FROM Opportunity")
    assert unknown_field.get_json()[0]["errorCode"] == "INVALID_FIELD"


def test_count_answers_the_number_of_matches_without_records(sf_bare, sf_api):
    seed_deal(sf_bare)
    assert sf_api.query("SELECT COUNT() FROM Opportunity").get_json() == {
        "totalSize": 2,
        "done": True,
        "records": [],
    }
    assert sf_api.query("SELECT COUNT() FROM Opportunity WHERE IsWon = true").get_json()["totalSize"] == 1


def test_line_item_writes_roll_up_the_opportunity_amount_and_move_its_stamp(sf_bare, sf_api):
    ids = seed_deal(sf_bare)
    opportunity = ids["Opportunity"][0]
    before = sf_bare.org.get("Opportunity", opportunity)["SystemModstamp"]
    sf_bare.advance_clock(5)
    item = {"OpportunityId": opportunity, "Product2Id": ids["Product2"][0], "Quantity": 2, "UnitPrice": 50}
    created = sf_api("POST", "sobjects/OpportunityLineItem/", json=item).get_json()

    parent = sf_bare.org.get("Opportunity", opportunity)
    assert parent["Amount"] == 400.0 and parent["SystemModstamp"] > before

    sf_bare.advance_clock(5)
    assert sf_api("DELETE", f"sobjects/OpportunityLineItem/{created['id']}").status_code == 204
    after = sf_bare.org.get("Opportunity", opportunity)
    assert after["Amount"] == 300.0 and after["SystemModstamp"] > parent["SystemModstamp"]
    again = sf_api("DELETE", f"sobjects/OpportunityLineItem/{created['id']}")
    assert again.status_code == 404 and again.get_json()[0]["errorCode"] == "ENTITY_IS_DELETED"
    assert sf_api("GET", f"sobjects/OpportunityLineItem/{created['id']}").status_code == 404


def test_a_line_item_a_user_adds_rolls_the_amount_up_as_the_api_does(sf_bare):
    ids = seed_deal(sf_bare)
    opportunity = ids["Opportunity"][0]
    item = {"OpportunityId": opportunity, "Product2Id": ids["Product2"][0], "Quantity": 3, "UnitPrice": 10}

    created = sf_bare.add("OpportunityLineItem", item)

    assert sf_bare.org.get("OpportunityLineItem", created)["TotalPrice"] == 30.0
    assert sf_bare.org.get("Opportunity", opportunity)["Amount"] == 330.0


def test_a_line_items_currency_cannot_be_written(sf_bare, sf_api):
    ids = seed_deal(sf_bare)
    item = {"OpportunityId": ids["Opportunity"][0], "Product2Id": ids["Product2"][0], "Quantity": 1,
            "UnitPrice": 5, "CurrencyIsoCode": "EUR"}  # fmt: skip
    answer = sf_api("POST", "sobjects/OpportunityLineItem/", json=item).get_json()
    assert answer[0]["errorCode"] == "INVALID_FIELD_FOR_INSERT_UPDATE"


def test_a_bulk_query_answers_relationship_fields_as_flat_columns(sf_bare, sf_api):
    seed_deal(sf_bare)
    body = {"operation": "query", "query": "SELECT Id, Account.Name FROM Opportunity"}
    job = sf_api("POST", "jobs/query/", json=body).get_json()
    text = sf_api("GET", f"jobs/query/{job['id']}/results/").get_data(as_text=True)
    rows = list(csv.DictReader(io.StringIO(text)))
    assert sorted(row["Account.Name"] for row in rows) == ["", "株式会社サンプル"]


def test_a_deleted_record_is_seen_by_query_all_only_stamped_with_its_deletion(sf_bare, sf_api):
    ids = seed_deal(sf_bare)
    opportunity = ids["Opportunity"][0]
    contact = ids["Contact"][0]
    seeded = sf_bare.seed({"OpportunityContactRole": [{"OpportunityId": opportunity, "ContactId": contact}]})
    [role] = seeded["OpportunityContactRole"]
    created = sf_bare.org.get("OpportunityContactRole", role)["SystemModstamp"]
    sf_bare.advance_clock(5)
    sf_bare.delete("OpportunityContactRole", role)
    soql = f"SELECT Id, IsDeleted, SystemModstamp FROM OpportunityContactRole WHERE Id = '{role}'"

    assert sf_api.query(soql).get_json()["records"] == []
    [deleted] = sf_api("GET", "queryAll/", query_string={"q": soql}).get_json()["records"]
    assert deleted["Id"] == role and deleted["IsDeleted"] is True
    assert deleted["SystemModstamp"] > created
