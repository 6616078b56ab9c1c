"""The demo's story: one person from a form fill to a customer in the CRM, through every flow.

1. 佐藤 美咲 (さくら精機) views the pricing page three times, downloads a case study and fills the contact
   form on the HubSpot-tracked site: HubSpot holds her as a contact with those counts.
2. The handoff qualifies her by the MQL rule agreed with sales and creates a Salesforce Lead with the
   context; the assignment rule picks her owner and a follow-up Task is created for them.
3. The demo plays sales in Salesforce (the only step no flow does): it converts the Lead (Contact,
   Account, Opportunity) and wins the Opportunity with two products.
4. The feedback tells HubSpot: lifecycle stage customer, the lead status, the converted ids.
5. Won deals creates her company, the deal and its line items in the CRM (here the same HubSpot portal)
   and associates her with it: a customer.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from rich.table import Table

from connector.sandbox.server import Sandbox

MA_ID = "Revloop_MA_Id__c"
STAR = {
    "firstname": "美咲",
    "lastname": "佐藤",
    "email": "misaki.sato@sakura-seiki.co.jp",
    "company": "株式会社さくら精機",
    "jobtitle": "情報システム部 課長",
    "phone": "03-5555-0142",
    "hubspotscore": "45",  # below the threshold: the MQL rule qualifies her, not the score
    "revloop_pricing_page_views": "3",
    "revloop_case_study_downloads": "1",
    "revloop_contact_form_visits": "1",
    "hs_analytics_source_data_1": "2026-webinar-revops",
}
WON_LINES = (("RL-PRO", 1, 150_000.0), ("RL-OPT-JA", 1, 30_000.0))
"""What she buys: product code, quantity, unit price (yen)."""


@dataclass(frozen=True)
class Won:
    lead_id: str
    contact_id: str
    account_id: str
    opportunity_id: str
    amount: float


def seed_star(sandbox: Sandbox) -> str:
    """Seed her HubSpot contact (step 1); returns its id."""
    hubspot = sandbox.service("hubspot")
    with hubspot.lock:
        return str(hubspot.seed({"contacts": [{"properties": dict(STAR)}]})["contacts"][0])


def play_sales(sandbox: Sandbox, contact_id: str) -> Won | None:
    """Step 3, as sales would in Salesforce; None when the handoff did not create her Lead."""
    salesforce = sandbox.service("salesforce")
    lead = _one(salesforce, "Lead", MA_ID, contact_id)
    if lead is None:
        return None
    converted = salesforce.convert_lead(lead["Id"], opportunity_name="さくら精機 - revloop Pro")
    opportunity = converted["opportunityId"]
    for code, quantity, price in WON_LINES:
        product = _one(salesforce, "Product2", "ProductCode", code)
        line = {"OpportunityId": opportunity, "Product2Id": product["Id"], "Quantity": quantity}
        salesforce.add("OpportunityLineItem", {**line, "UnitPrice": price})
    today = datetime.now(UTC).date().isoformat()
    salesforce.touch("Opportunity", opportunity, {"StageName": "Closed Won", "CloseDate": today})
    amount = sum(quantity * price for _, quantity, price in WON_LINES)
    return Won(lead["Id"], converted["contactId"], converted["accountId"], opportunity, amount)


def journey_table(sandbox: Sandbox, contact_id: str, won: Won | None) -> Table:
    """Where she is in each system now, step by step (read from the fakes' state)."""
    salesforce, hubspot = sandbox.service("salesforce"), sandbox.service("hubspot")
    table = Table(title="one person, form fill to customer", title_justify="left")
    for column in ("step", "where", "what"):
        table.add_column(column)
    contact = _properties(hubspot, "contacts", contact_id)
    table.add_row("1 form fill", f"HubSpot contact {contact_id}", _engagement(contact))
    lead = _one(salesforce, "Lead", MA_ID, contact_id) or {}
    table.add_row("2 MQL", "revloop handoff", str(lead.get("Revloop_Qualification__c") or "not qualified"))
    table.add_row("3 Salesforce Lead", f"Lead {lead.get('Id', '-')}", _owner_and_task(salesforce, lead))
    if won is None:
        return table
    table.add_row(
        "4 won by sales",
        f"Opportunity {won.opportunity_id}",
        f"Closed Won ¥{won.amount:,.0f}, {len(WON_LINES)} products; Contact {won.contact_id}, "
        f"Account {won.account_id}",
    )
    table.add_row(
        "5 feedback",
        f"HubSpot contact {contact_id}",
        f"lifecycle stage {contact.get('lifecyclestage')}, lead status {contact.get('hs_lead_status')}",
    )
    table.add_row("6 won deals", *_deal(hubspot, won.opportunity_id, contact_id))
    return table


def _one(salesforce: Any, obj: str, field: str, value: str) -> dict[str, Any] | None:
    with salesforce.lock:
        rows = [row for row in salesforce.org.records[obj].values() if str(row.get(field)) == str(value)]
    return dict(rows[0]) if rows else None


def _properties(hubspot: Any, object_type: str, record_id: str) -> dict[str, Any]:
    with hubspot.lock:
        record = hubspot.portal.table(object_type).live(int(record_id))
        return dict(record.properties) if record is not None else {}


def _engagement(contact: dict[str, Any]) -> str:
    views, downloads = contact.get("revloop_pricing_page_views"), contact.get("revloop_case_study_downloads")
    forms, score = contact.get("revloop_contact_form_visits"), contact.get("hubspotscore")
    return f"pricing page {views}×, case study {downloads}×, contact form {forms}× (score {score})"


def _owner_and_task(salesforce: Any, lead: dict[str, Any]) -> str:
    if not lead:
        return "-"
    owner = _one(salesforce, "User", "Id", str(lead.get("OwnerId"))) or {}
    task = _one(salesforce, "Task", "WhoId", lead["Id"]) or {}
    return f"owner {owner.get('Name') or lead.get('OwnerId')}; Task {task.get('Subject', '-')!r}"


def _deal(hubspot: Any, opportunity_id: str, contact_id: str) -> tuple[str, str]:
    with hubspot.lock:
        deals = hubspot.portal.table("deals")
        key = "revloop_salesforce_opportunity_id"
        found = [record for record in deals.scan() if record.properties.get(key) == opportunity_id]
        if not found:
            return "CRM", "no deal yet"
        deal = found[0]
        associated = {
            kind: hubspot.associations.targets(deals.name, deal.id, hubspot.portal.table(kind).name)
            for kind in ("line_items", "companies", "contacts")
        }
        companies = [hubspot.portal.table("companies").live(i) for i in associated["companies"]]
    company = next((c.properties.get("name") for c in companies if c is not None), "-")
    people = "her contact associated" if int(contact_id) in associated["contacts"] else "no contact"
    what = (
        f"{deal.properties.get('dealname')}: {float(deal.properties.get('amount') or 0):,.0f} "
        f"{deal.properties.get('deal_currency_code') or ''}, {len(associated['line_items'])} line items, "
        f"company {company}, {people}"
    )
    return f"HubSpot deal {deal.id}", what
