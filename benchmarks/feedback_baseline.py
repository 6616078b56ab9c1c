"""Sales at work in the benchmark's Salesforce, and the naive feedback a RevOps engineer would write by hand.

``sales_update`` changes Leads the way a team working through them would (composite updates of 200,
not counted by the benchmark). ``naive_feedback`` is the comparison point of benchmarks/feedback.py,
written the way such scripts usually are: query the Leads changed since a moment with simple-salesforce,
and for each one look the contact up in HubSpot by email and update it (lead status and, only forward,
the lifecycle stage). It does not even map owners.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from baseline import hubspot_client, salesforce_client
from hubspot.crm.contacts.exceptions import NotFoundException

LEAD_STATUS = {"Open - Not Contacted": "NEW", "Working - Contacted": "IN_PROGRESS",
               "Closed - Converted": "CONNECTED", "Closed - Not Converted": "UNQUALIFIED"}  # fmt: skip
STAGES = ("subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer")


def lead_ids(sandbox) -> list[str]:
    return [row["Id"] for row in salesforce_client(sandbox).query_all_iter("SELECT Id FROM Lead ORDER BY Id")]


def sales_update(sandbox, ids: Sequence[str], fields: Mapping[str, Any]) -> None:
    """The same edit on every Lead of ``ids``, 200 a call (sObject Collections update)."""
    client = salesforce_client(sandbox)
    for start in range(0, len(ids), 200):
        records = [{"attributes": {"type": "Lead"}, "id": i, **fields} for i in ids[start : start + 200]]
        client.restful("composite/sobjects", method="PATCH", json={"allOrNone": False, "records": records})


def naive_feedback(sandbox, since: str) -> int:
    """Per changed Lead: one HubSpot read by email and one update. Returns the contacts updated."""
    client = salesforce_client(sandbox)
    hubspot = hubspot_client(sandbox)
    contacts = hubspot.crm.contacts.basic_api
    written = 0
    soql = f"SELECT Id, Email, Status FROM Lead WHERE SystemModstamp >= {since}"
    for lead in client.query_all_iter(soql):
        try:
            contact = contacts.get_by_id(lead["Email"], id_property="email", properties=["lifecyclestage"])
        except NotFoundException:
            continue
        properties = {"hs_lead_status": LEAD_STATUS[lead["Status"]], "revloop_salesforce_id": lead["Id"]}
        stage = contact.properties.get("lifecyclestage")
        if stage not in STAGES or STAGES.index(stage) <= STAGES.index("salesqualifiedlead"):
            properties["lifecyclestage"] = "salesqualifiedlead"
        contacts.update(contact.id, {"properties": properties})
        written += 1
    return written
