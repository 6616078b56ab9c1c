"""Salesforce → HubSpot feedback: lead status, conversion, owner and opportunity stage reach the contact."""

from __future__ import annotations

from feedback_world import feedback, handed_off, hubspot_owners, person, sales_sets


def test_sales_progress_reaches_the_linked_contact(env) -> None:
    owners = hubspot_owners(env)
    [(contact, lead)] = handed_off(env, person(1))
    sales_sets(env, "Lead", lead, Status="Working - Contacted", OwnerId=env.rep_ids[1])

    outcome = feedback(env)

    assert outcome.status == "ok", outcome
    properties = env.contact_properties(contact)
    assert properties["hs_lead_status"] == "IN_PROGRESS"
    assert properties["lifecyclestage"] == "salesqualifiedlead"
    assert properties["hubspot_owner_id"] == owners["aiko.ueda@example.com"]
    assert properties["revloop_salesforce_id"] == lead
    assert properties["revloop_converted"] == "false"


def test_a_conversion_with_an_opportunity_moves_the_contact_forward(env) -> None:
    hubspot_owners(env)
    [(contact, lead)] = handed_off(env, person(2))
    feedback(env)
    converted = env.sf.convert_lead(lead, opportunity_name="Example 2 - first order")

    outcome = feedback(env)

    properties = env.contact_properties(contact)
    assert properties["revloop_converted"] == "true"
    assert properties["revloop_converted_contact_id"] == converted["contactId"]
    assert properties["revloop_converted_account_id"] == converted["accountId"]
    assert properties["revloop_converted_opportunity_id"] == converted["opportunityId"]
    assert properties["revloop_salesforce_id"] == converted["contactId"]
    assert properties["lifecyclestage"] == "opportunity"
    assert properties["hs_lead_status"] == "OPEN_DEAL"
    assert properties["revloop_opportunity_stage"] == "Prospecting"
    assert outcome.counts["updated"] == 1

    sales_sets(env, "Opportunity", converted["opportunityId"], StageName="Closed Won")
    feedback(env)

    properties = env.contact_properties(contact)
    assert properties["lifecyclestage"] == "customer"
    assert properties["revloop_opportunity_stage"] == "Closed Won"
    assert properties["hs_lead_status"] == "CONNECTED"  # the deal is closed: the Lead Status speaks again
