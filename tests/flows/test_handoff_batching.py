"""Batching: API calls per run are the batching minimum, counted by the adapters and by the fakes."""

from __future__ import annotations

import math

CONTACTS = 450


def test_a_first_run_costs_the_batching_minimum(env) -> None:
    contacts = env.contacts(
        [
            {
                "email": f"bulk{i}@example.com",
                "lastname": f"Bulk{i}",
                "company": f"Co {i}",
                "hubspotscore": 85,
            }
            for i in range(CONTACTS)
        ]
    )

    outcome = env.run()

    assert outcome.status == "ok", outcome
    assert outcome.counts["created"] == CONTACTS
    assert outcome.counts["written_back"] == CONTACTS
    hubspot, salesforce = outcome.api_calls["hubspot"], outcome.api_calls["salesforce"]
    batches = math.ceil(CONTACTS / 200)
    assert salesforce["composite.sobjects"] == 2 * batches  # the Leads, then the follow-up Tasks
    assert hubspot["batch.update"] == math.ceil(CONTACTS / 100)
    assert hubspot["objects.search"] == batches
    # The identity mirror (Accounts, Leads, Contacts, once per run), then the Leads' owners per Task batch.
    assert salesforce["query"] == 3 + batches
    assert salesforce["describe"] == 2  # Lead and Contact, once per run
    assert env.sf.calls["collections_upsert"] == 2 * batches
    assert len(env.sf.creates_by_key("Task", "Revloop_Task_Key__c")) == CONTACTS
    assert env.hs.calls["batch_update"] == math.ceil(CONTACTS / 100)
    assert env.hs.calls["search_objects"] == math.ceil(CONTACTS / 200)
    assert env.creates() == dict.fromkeys(contacts, 1)


def test_an_incremental_run_with_one_percent_changed_writes_only_those(env) -> None:
    contacts = env.contacts(
        [
            {"email": f"inc{i}@example.com", "lastname": f"Inc{i}", "company": "Inc", "hubspotscore": 85}
            for i in range(200)
        ]
    )
    env.run()
    env.run()  # reads back what the writeback modified
    changed = contacts[::100]
    for contact in changed:
        env.hs.touch("contacts", contact, {"jobtitle": "Buyer"})
    env.reset_calls()

    outcome = env.run()

    assert outcome.counts["updated"] == len(changed)
    assert "created" not in outcome.counts
    assert outcome.api_calls["hubspot"] == {"objects.search": 1}
    assert outcome.api_calls["salesforce"]["composite.sobjects"] == 1
    assert env.creates() == dict.fromkeys(contacts, 1)


def test_links_spread_over_create_batches_cost_one_update_call(env) -> None:
    """People matched to existing Leads are updated by Id, a call of its own: the link lane sends them
    together instead of once per batch of creates."""
    linked = (0, 220, 440)  # one in each batch of 200
    leads = env.sf_seed(
        "Lead",
        *(
            {"LastName": f"Bulk{i}", "Company": "Old", "Email": f"bulk{i}@bulk-co.example.com"}
            for i in linked
        ),
    )
    env.contacts(
        [
            {"email": f"bulk{i}@bulk-co.example.com", "lastname": f"Bulk{i}", "company": f"Co {i}",
             "hubspotscore": 85}
            for i in range(CONTACTS)
        ]
    )  # fmt: skip
    env.reset_calls()

    outcome = env.run()

    assert (outcome.counts["created"], outcome.counts["linked"]) == (CONTACTS - 3, 3), outcome
    assert env.sf.calls["collections_update"] == 1
    assert env.sf.calls["collections_upsert"] == 2 * math.ceil((CONTACTS - 3) / 200)  # Leads, then Tasks
    assert {env.sf_row("Lead", lead)["Company"] for lead in leads} == {"Old"}  # linked: sales' value kept
    assert env.waiting("link") == []
