"""Exactly once: unchanged contacts cost nothing, changed ones update their Lead, linked ones stay in sync."""

from __future__ import annotations

from connector.state.db import flow_lock


def test_a_second_run_with_no_changes_reads_once_and_writes_nothing(env) -> None:
    contacts = env.contacts(
        [{"email": f"q{i}@example.com", "lastname": f"Q{i}", "company": "Q", "hubspotscore": 90}
         for i in range(3)]
    )  # fmt: skip
    env.run()
    env.run()  # reads back the contacts our writeback just modified: unchanged, no write
    env.reset_calls()

    outcome = env.run()

    assert outcome.status == "ok"
    assert outcome.api_calls["hubspot"] == {"objects.search": 1}
    assert outcome.api_calls["salesforce"] == {}
    assert env.hs.calls == {"search_objects": 1}
    assert env.sf.total_calls == 0
    assert not {"created", "updated", "linked", "written_back"} & outcome.counts.keys()
    assert env.creates() == dict.fromkeys(contacts, 1)


def test_the_run_after_the_writeback_costs_one_read_and_no_salesforce_call(env) -> None:
    env.contact(email="one@example.com", lastname="One", company="O", hubspotscore=90)
    env.run()
    env.reset_calls()

    outcome = env.run()

    assert outcome.api_calls["hubspot"] == {"objects.search": 1}
    assert env.sf.total_calls == 0
    assert outcome.counts["unchanged"] == 1


def test_a_changed_contact_updates_its_lead_and_never_creates_another(env) -> None:
    contact = env.contact(email="ch@example.com", lastname="Before", company="C", hubspotscore=90)
    env.run()
    (lead,) = env.sf_by_ma_id("Lead", contact)

    env.hs.touch("contacts", contact, {"lastname": "After", "company": "C2"})
    outcome = env.run()

    assert outcome.counts["updated"] == 1
    assert "created" not in outcome.counts
    (updated,) = env.sf_by_ma_id("Lead", contact)
    assert updated["Id"] == lead["Id"]
    assert (updated["LastName"], updated["Company"]) == ("After", "C2")
    assert env.creates()[contact] == 1
    assert outcome.api_calls["salesforce"]["composite.sobjects"] == 1
    assert "batch.update" not in outcome.api_calls["hubspot"]  # id and status did not change


def test_a_linked_contact_that_stops_qualifying_stays_in_sync(env) -> None:
    contact = env.contact(email="drop@example.com", lastname="Drop", company="D", hubspotscore=90)
    env.run()

    env.hs.touch("contacts", contact, {"hubspotscore": "10", "jobtitle": "VP Sales"})
    outcome = env.run()

    assert outcome.counts["updated"] == 1
    (lead,) = env.sf_by_ma_id("Lead", contact)
    assert lead["Title"] == "VP Sales"
    assert lead["Revloop_Qualification__c"] == "score 90 ≥ 80"  # why it first qualified stays
    assert env.creates()[contact] == 1


def test_a_contact_that_qualifies_later_is_created_then(env) -> None:
    contact = env.contact(email="late@example.com", lastname="Late", company="L", hubspotscore=40)
    assert env.run().counts["not_qualified"] == 1

    env.hs.touch("contacts", contact, {"hubspotscore": "81"})
    outcome = env.run()

    assert outcome.counts["created"] == 1
    assert env.creates() == {contact: 1}


def test_a_run_while_another_process_runs_the_flow_does_nothing(env) -> None:
    env.contact(email="locked@example.com", lastname="Locked", company="L", hubspotscore=90)
    env.reset_calls()

    with flow_lock(env.engine, "handoff"):  # another revloop process is running this flow
        outcome = env.run()

    assert (outcome.status, outcome.exit_code) == ("locked", 0)
    assert env.runs() == []
    assert env.hs.total_calls == env.sf.total_calls == 0
    assert env.run().counts["created"] == 1
