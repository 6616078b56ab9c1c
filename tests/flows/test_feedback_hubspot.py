"""Salesforce → HubSpot feedback: lead status, conversion, owner and opportunity stage reach the contact."""

from __future__ import annotations

import pytest
from feedback_world import feedback, handed_off, hubspot_owners, person, sales_sets, with_mapping


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


def test_the_lifecycle_stage_never_moves_backwards(env) -> None:
    [(contact, lead)] = handed_off(env, person(3))
    env.hs.touch("contacts", contact, {"lifecyclestage": "customer"})  # marketing knows better
    sales_sets(env, "Lead", lead, Status="Working - Contacted")

    feedback(env)

    properties = env.contact_properties(contact)
    assert properties["lifecyclestage"] == "customer"  # not back to salesqualifiedlead
    assert properties["hs_lead_status"] == "IN_PROGRESS"  # the rest of the update went through


@pytest.mark.parametrize(("held", "updates"), [("customer", 2), ("marketingqualifiedlead", 1)])
def test_a_mapping_may_let_the_stage_move_back(env, held, updates) -> None:
    """Back from customer: HubSpot keeps a stage set to an earlier one unless it is blank, so a call
    clears it first; forward from an MQL: one call."""
    with_mapping(env, "feedback", lambda text: text.replace("backwards = false", "backwards = true"))
    [(contact, lead)] = handed_off(env, person(4))
    env.hs.touch("contacts", contact, {"lifecyclestage": held})
    sales_sets(env, "Lead", lead, Status="Working - Contacted")

    outcome = feedback(env)

    assert env.contact_properties(contact)["lifecyclestage"] == "salesqualifiedlead"
    assert outcome.api_calls["hubspot"]["batch.update"] == updates


def test_people_sales_disqualifies_go_back_to_nurture(env) -> None:
    people = handed_off(env, person(5), person(6))
    feedback(env)
    (dropped, lead), (kept, _) = people
    sales_sets(env, "Lead", lead, Status="Closed - Not Converted")

    outcome = feedback(env)

    assert outcome.counts["nurtured"] == 1
    assert env.contact_properties(dropped)["hs_lead_status"] == "UNQUALIFIED"
    lists = env.hs.dump_state()["lists"]
    (nurture,) = [entry for entry in lists if entry["name"] == "revloop: returned to nurture"]
    assert set(nurture["members"]) == {dropped}
    assert kept not in nurture["members"]


def test_an_owner_hubspot_does_not_know_leaves_the_contact_owner_alone(env) -> None:
    owners = hubspot_owners(env)
    [(contact, lead)] = handed_off(env, person(9))
    sales_sets(env, "Lead", lead, OwnerId=env.rep_ids[0])
    feedback(env)
    assert env.contact_properties(contact)["hubspot_owner_id"] == owners["kenji.mori@example.com"]
    stranger = env.sf_seed("User", {"LastName": "Nakamura", "Email": "nakamura@example.com"})[0]
    sales_sets(env, "Lead", lead, OwnerId=stranger, Status="Working - Contacted")

    feedback(env)

    properties = env.contact_properties(contact)
    assert properties["hubspot_owner_id"] == owners["kenji.mori@example.com"]
    assert properties["hs_lead_status"] == "IN_PROGRESS"


def test_a_property_hubspot_does_not_have_pauses_the_flow_with_everyone_waiting(env) -> None:
    with_mapping(env, "feedback", lambda t: t.replace("[fields.revloop_converted]", "[fields.revloop_gone]"))
    [(contact, lead)] = handed_off(env, person(10))

    outcome = env.run("feedback")

    assert outcome.status == "paused" and "PROPERTY_DOESNT_EXIST" in outcome.message
    assert [row["record_key"] for row in env.waiting()] == [lead]
    assert "hs_lead_status" not in env.contact_properties(contact)
    assert env.run("feedback").status == "paused"  # stays paused until an admin resumes it
