"""The naive won-deals sync a RevOps engineer would write by hand: a few calls per record.

It is the comparison point of benchmarks/won_deals.py, written the way such scripts usually are: query
the won opportunities with simple-salesforce, and for each one query its products and contact roles,
then with hubspot-api-client look for the company by domain, create it, create the deal and associate
it; per line item find the product by SKU, create the line item and associate it; per person find the
contact by email, create or update it (lifecycle customer) and associate it.
"""

from __future__ import annotations

from baseline import hubspot_client, salesforce_client
from hubspot import HubSpot
from hubspot.crm.associations.v4 import BatchInputPublicDefaultAssociationMultiPost
from simple_salesforce import Salesforce

DEAL_FIELDS = "Id, Name, Amount, CurrencyIsoCode, CloseDate, Account.Name, Account.Website"
LINE_FIELDS = "Id, Quantity, UnitPrice, Product2.ProductCode"


def naive_won_deals(sandbox) -> int:
    salesforce, hubspot = salesforce_client(sandbox), hubspot_client(sandbox)
    written = 0
    won = salesforce.query_all(f"SELECT {DEAL_FIELDS} FROM Opportunity WHERE IsWon = true")["records"]
    for opportunity in won:
        company = _company(hubspot, opportunity["Account"] or {})
        deal = hubspot.crm.deals.basic_api.create({"properties": {
            "dealname": opportunity["Name"], "amount": str(opportunity["Amount"]), "dealstage": "closedwon",
            "pipeline": "default", "deal_currency_code": opportunity["CurrencyIsoCode"],
            "revloop_salesforce_opportunity_id": opportunity["Id"],
        }})  # fmt: skip
        _associate(hubspot, "deals", deal.id, "companies", company)
        for line in _children(salesforce, "OpportunityLineItem", LINE_FIELDS, opportunity["Id"]):
            product = _find(hubspot, "products", "hs_sku", line["Product2"]["ProductCode"])
            item = hubspot.crm.line_items.basic_api.create({"properties": {
                "quantity": str(line["Quantity"]), "price": str(line["UnitPrice"]), "hs_product_id": product,
                "revloop_salesforce_line_id": line["Id"],
            }})  # fmt: skip
            _associate(hubspot, "line_items", item.id, "deals", deal.id)
        for role in _children(salesforce, "OpportunityContactRole", "Contact.Email", opportunity["Id"]):
            person = _person(hubspot, role["Contact"]["Email"])
            _associate(hubspot, "deals", deal.id, "contacts", person)
        written += 1
    return written


def _children(salesforce: Salesforce, obj: str, fields: str, opportunity_id: str) -> list[dict]:
    return salesforce.query(f"SELECT {fields} FROM {obj} WHERE OpportunityId = '{opportunity_id}'")["records"]


def _find(hubspot: HubSpot, obj: str, prop: str, value: str) -> str | None:
    equal = {"propertyName": prop, "operator": "EQ", "value": value}
    search = {"filterGroups": [{"filters": [equal]}], "limit": 1}
    results = hubspot.crm.objects.search_api.do_search(obj, search).results
    return results[0].id if results else None


def _company(hubspot: HubSpot, account: dict) -> str:
    domain = (account.get("Website") or "").split("//")[-1].split("/")[0].removeprefix("www.")
    found = _find(hubspot, "companies", "domain", domain) if domain else None
    if found:
        return found
    properties = {"name": account.get("Name"), "domain": domain}
    return hubspot.crm.companies.basic_api.create({"properties": properties}).id


def _person(hubspot: HubSpot, email: str) -> str:
    found = _find(hubspot, "contacts", "email", email)
    if found:
        hubspot.crm.contacts.basic_api.update(found, {"properties": {"lifecyclestage": "customer"}})
        return found
    properties = {"email": email, "lifecyclestage": "customer"}
    return hubspot.crm.contacts.basic_api.create({"properties": properties}).id


def _associate(hubspot: HubSpot, from_type: str, from_id: str, to_type: str, to_id: str | None) -> None:
    if to_id is None:
        return
    pair = {"from": {"id": from_id}, "to": {"id": to_id}}
    body = BatchInputPublicDefaultAssociationMultiPost(inputs=[pair])
    hubspot.crm.associations.v4.batch_api.create_default(from_type, to_type, body)
