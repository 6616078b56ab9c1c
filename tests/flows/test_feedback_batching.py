"""The feedback's API costs: writes at the MA's batch maximum, one read per object when nothing changed,
and a large first load through one Bulk API 2.0 query job."""

from __future__ import annotations

import math

from feedback_world import feedback, handed_off, hubspot_owners, person

from connector.flows.feedback import source


def change_statuses(env, leads: list[str], status: str) -> None:
    for lead in leads:
        env.sf.touch("Lead", lead, {"Status": status})


def test_writes_and_reads_of_the_ma_go_at_its_batch_maximum(sqlite_env) -> None:
    env = sqlite_env
    hubspot_owners(env)
    people = handed_off(env, *(person(n) for n in range(250)))
    feedback(env)
    change_statuses(env, [lead for _, lead in people], "Working - Contacted")

    outcome = feedback(env)

    assert outcome.counts["updated"] == 250
    hubspot = outcome.api_calls["hubspot"]
    batches = math.ceil(250 / 100)
    assert hubspot == {"batch.read": batches, "batch.update": batches, "owners.list": 1}
    assert outcome.api_calls["salesforce"] == {"oauth.token": 1, "query": 5}  # 4 streams + the owners' emails


def test_a_run_with_nothing_changed_reads_each_object_once(sqlite_env) -> None:
    env = sqlite_env
    handed_off(env, person(1), person(2))
    feedback(env)

    outcome = feedback(env)

    assert outcome.api_calls == {
        "salesforce": {"oauth.token": 1, "query": len(source.STREAMS)},
        "hubspot": {},
    }
    assert outcome.counts.get("updated") is None


def test_a_large_first_load_goes_through_bulk_api_2(sqlite_env, monkeypatch) -> None:
    """2,500 Leads sales created, 2,500 HubSpot contacts with their emails: one query job reads the Leads
    (more than a SOQL page), the people are matched 100 emails a call, linked and updated."""
    env = sqlite_env
    monkeypatch.setattr(source, "BULK_FIRST_LOAD_ABOVE", 2_000)
    count = 2_500
    env.contacts(
        [
            {"email": f"taro.yamada{n}@bench.example.jp", "firstname": "Taro", "lastname": f"Yamada{n}"}
            for n in range(count)
        ]
    )
    people = ({"LastName": f"Yamada{n}", "FirstName": "Taro", "Company": "Example KK",
               "Email": f"taro.yamada{n}@bench.example.jp"} for n in range(count))  # fmt: skip
    leads = env.sf_seed("Lead", *people)

    first = feedback(env)

    assert first.counts.get("linked") == count, first
    salesforce, hubspot = first.api_calls["salesforce"], first.api_calls["hubspot"]
    assert salesforce["bulk.create"] == 1 and salesforce["bulk.results"] == 1  # the Leads, 2,500 > 2,000
    batches = math.ceil(count / 100)
    assert hubspot["batch.update"] == batches and hubspot["batch.read"] == 2 * batches  # match, then current
    env.sf.touch("Lead", leads[7], {"Status": "Working - Contacted"})
    later = feedback(env)  # the cursor the bulk load left: incremental SOQL from here
    assert later.counts["updated"] == 1 and "bulk.create" not in later.api_calls["salesforce"]
