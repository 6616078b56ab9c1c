"""The naive handoff a RevOps engineer would write by hand: one upsert and one update per record.

It is the comparison point of benchmarks/handoff.py, written the way such scripts usually are: page
through the contacts with hubspot-api-client, and for each qualifying contact call simple-salesforce's
single-record upsert, then update the contact in HubSpot.
"""

from __future__ import annotations

from hubspot import HubSpot
from simple_salesforce import Salesforce


def salesforce_client(sandbox) -> Salesforce:
    """simple-salesforce on the sandbox, with a client-credentials token, as a script would log in."""
    session = sandbox.session()
    client_id, client_secret = sandbox.salesforce_credentials
    token = session.post(
        f"{sandbox.urls['salesforce']}/services/oauth2/token",
        data={"grant_type": "client_credentials"},
        auth=(client_id, client_secret),
    ).json()["access_token"]
    return Salesforce(instance_url=sandbox.urls["salesforce"], session_id=token, session=session)


def hubspot_client(sandbox) -> HubSpot:
    return HubSpot(
        access_token=sandbox.hubspot_token, host=sandbox.urls["hubspot"], ssl_ca_cert=sandbox.ca_bundle
    )


def naive_handoff(sandbox, *, score_property: str, threshold: float) -> int:
    salesforce, hubspot = salesforce_client(sandbox), hubspot_client(sandbox)
    properties = ["firstname", "lastname", "email", "company", "phone", score_property]
    written = 0
    for contact in hubspot.crm.contacts.get_all(properties=properties):
        values = contact.properties
        if float(values.get(score_property) or 0) < threshold:
            continue
        lead = salesforce.Lead.upsert(
            f"Revloop_MA_Id__c/{contact.id}",
            {
                "LastName": values.get("lastname") or "(unknown)",
                "FirstName": values.get("firstname"),
                "Company": values.get("company") or "(not provided)",
                "Email": values.get("email"),
                "LeadSource": "Web",
            },
        )
        hubspot.crm.contacts.basic_api.update(
            contact.id, {"properties": {"revloop_sync_status": "created" if lead == 201 else "linked"}}
        )
        written += 1
    return written
