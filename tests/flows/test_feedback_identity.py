"""People sales created in Salesforce: matched to MA records by the handoff's identity rules, or skipped;
never created in the MA, never duplicated."""

from __future__ import annotations

import json

from feedback_world import feedback, sales_sets, with_mapping


def lead(env, **fields) -> str:
    values = {"LastName": "Tanaka", "FirstName": "Hanako", "Company": "Sakura KK"}
    values["Status"] = "Working - Contacted"
    return env.sf_seed("Lead", {**values, **fields})[0]


def contacts_in_hubspot(env) -> int:
    return len(env.hs.dump_state()["contacts"])


def test_a_lead_sales_created_is_linked_to_the_contact_with_its_email(env) -> None:
    contact = env.contact(email="hanako.tanaka@sakura.example.jp", firstname="Hanako", lastname="Tanaka")
    created = lead(env, Email="Hanako.Tanaka@Sakura.example.jp")
    before = contacts_in_hubspot(env)

    outcome = feedback(env)

    assert outcome.counts["linked"] == 1
    assert env.contact_properties(contact)["hs_lead_status"] == "IN_PROGRESS"
    assert env.contact_properties(contact)["revloop_salesforce_id"] == created
    assert {("salesforce", "Lead", created), ("hubspot", "contacts", contact)} <= env.link_keys()
    assert contacts_in_hubspot(env) == before

    env.hs.touch("contacts", contact, {"hubspotscore": "95"})  # later the contact qualifies
    assert env.run("handoff").status == "ok"
    assert env.creates() == {}  # the handoff follows the link: the Lead is updated, not created again
    # revloop linked this Lead rather than created it: its identity fields stay as sales typed them
    assert env.sf_row("Lead", created)["Email"] == "Hanako.Tanaka@Sakura.example.jp"


def test_nobody_in_the_ma_means_nothing_is_written_or_created(env) -> None:
    env.contact(email="someone.else@example.jp", firstname="Hanako", lastname="Tanaka")
    lead(env, Email="hanako@nowhere.example.jp")
    before = contacts_in_hubspot(env)

    outcome = feedback(env)

    assert outcome.counts["not_in_ma"] == 1
    assert "updated" not in outcome.counts and "linked" not in outcome.counts
    assert contacts_in_hubspot(env) == before
    assert env.errors() == []


def test_a_weak_match_is_reported_for_review_and_not_written(env) -> None:
    married = env.contact(email="hanako@sakura.example.jp", firstname="Hanako", lastname="Suzuki")
    renamed = lead(env, Email="hanako@sakura.example.jp")  # the same address, another family name

    outcome = feedback(env)

    assert outcome.status == "record_errors"
    (error,) = env.errors()
    assert (error["category"], error["record_key"], error["stage"]) == ("ambiguous_match", renamed, "write")
    assert "review" in error["message"] and "hanako" not in error["message"].lower()  # ids, no personal data
    assert "hs_lead_status" not in env.contact_properties(married)
    assert ("hubspot", "contacts", married) not in env.link_keys()


def test_a_contact_linked_to_another_salesforce_person_is_not_taken(env) -> None:
    contact = env.contact(email="ken@example.jp", firstname="Ken", lastname="Sato", hubspotscore="95")
    assert env.run("handoff").status == "ok"  # linked to the Lead the handoff created
    duplicate = lead(env, Email="ken@example.jp", FirstName="Ken", LastName="Sato")

    feedback(env)

    errors = [e for e in env.errors() if e["record_key"] == duplicate]
    assert [e["category"] for e in errors] == ["ambiguous_match"]
    assert env.contact_properties(contact)["revloop_salesforce_id"] != duplicate


def test_unlinked_people_can_be_left_alone(env) -> None:
    with_mapping(env, "feedback", lambda text: text.replace('unlinked = "match"', 'unlinked = "skip"'))
    contact = env.contact(email="hanako@sakura.example.jp", firstname="Hanako", lastname="Tanaka")
    created = lead(env, Email="hanako@sakura.example.jp")

    outcome = feedback(env)

    assert outcome.counts["unlinked"] == 1 and env.waiting() == []
    assert "hs_lead_status" not in env.contact_properties(contact)
    sales_sets(env, "Lead", created, Status="Closed - Not Converted")
    assert feedback(env).counts["unlinked"] == 1


def test_a_contact_sales_created_gets_the_stage_of_the_deal_it_joins(env) -> None:
    contact = env.contact(email="ken.sato@kaisha.example.com", firstname="Ken", lastname="Sato")
    [account] = env.sf_seed("Account", {"Name": "Kaisha KK", "Type": "Prospect"})
    [person] = env.sf_seed("Contact", {"LastName": "Sato", "FirstName": "Ken", "AccountId": account,
                                       "Email": "ken.sato@kaisha.example.com"})  # fmt: skip
    [deal] = env.sf_seed("Opportunity", {"Name": "Kaisha - pilot", "StageName": "Proposal/Price Quote",
                                         "CloseDate": "2027-01-31", "AccountId": account})  # fmt: skip
    assert feedback(env).counts["linked"] == 1
    assert "revloop_opportunity_stage" not in env.contact_properties(contact)  # no contact role yet

    env.sf_seed("OpportunityContactRole", {"OpportunityId": deal, "ContactId": person, "IsPrimary": True})
    feedback(env)

    properties = env.contact_properties(contact)
    assert properties["revloop_opportunity_stage"] == "Proposal/Price Quote"
    assert properties["lifecyclestage"] == "opportunity" and properties["hs_lead_status"] == "OPEN_DEAL"
    assert properties["revloop_salesforce_id"] == person


def test_a_contact_whose_identity_waits_for_review_is_not_linked_until_an_admin_decides(env) -> None:
    same = {"Email": "ken@kaisha.example.jp", "FirstName": "Ken", "LastName": "Sato", "Company": "Kaisha KK"}
    first, second = lead(env, **same), lead(env, **same)  # duplicates sales never merged
    contact = env.contact(email="ken@kaisha.example.jp", firstname="Ken", lastname="Sato",
                          company="Kaisha KK", hubspotscore="95")  # fmt: skip
    assert env.run("handoff").counts["review"] == 1  # which of the two Leads is she? an admin decides
    listed = env.cli("review", "list", "--json").stdout.splitlines()
    (case,) = [c for c in map(json.loads, listed) if c["source_key"] == contact]

    outcome = feedback(env)

    assert outcome.status == "record_errors" and "linked" not in outcome.counts
    messages = {e["record_key"]: e["message"] for e in env.errors()}
    assert set(messages) == {first, second}
    assert all(f"waits for review case {case['id']}" in message for message in messages.values())
    assert ("hubspot", "contacts", contact) not in env.link_keys()

    assert env.cli("review", "link", str(case["id"]), first, "--yes").code == 0
    env.run("handoff")  # sales' duplicate rule refuses the write: the decision waits to be written
    assert [e["code"] for e in env.errors() if e["flow"] == "handoff"] == ["DUPLICATES_DETECTED"]
    assert env.cli("errors", "retry", "--flow", "feedback", "--yes").code == 0
    feedback(env)  # the decision is not written yet: neither Lead takes the contact
    assert ("hubspot", "contacts", contact) not in env.link_keys()

    env.sf.delete("Lead", second)  # sales merges the duplicates
    assert env.cli("errors", "retry", "--flow", "handoff", "--yes").code == 0
    assert env.run("handoff").status == "ok"  # the decision is written: the contact is linked to `first`
    assert env.cli("errors", "retry", "--flow", "feedback", "--yes").code == 0
    feedback(env)

    assert env.contact_properties(contact)["revloop_salesforce_id"] == first
    assert first not in [e["record_key"] for e in env.errors(status="open")]
