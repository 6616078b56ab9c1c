"""Marketo → Salesforce handoff: activity counts from the Marketo activity log decide who qualifies."""

from __future__ import annotations

import json

FLOW = "marketo_handoff"
PAGE_VIEW, FORM_FILL, LINK_CLICK = 1, 2, 3


def engage(env, lead_id: int, *events: tuple[int, str]) -> None:
    for activity_type, value in events:
        env.mk.add_activity(lead_id, activity_type, value)


def test_first_run_creates_leads_for_qualifying_marketo_leads(env) -> None:
    hot = env.lead(
        email="Taro.Yamada@Example.JP",
        firstName="Ｔａｒｏ",
        lastName="山田",
        company="(株)未来テック",
        phone="090-1234-5678",
        title="CTO",
        leadScore=85,
        leadSource="Webinar",
    )
    cold = env.lead(email="cold@example.jp", lastName="Cold", company="C", leadScore=20)

    outcome = env.run(FLOW)

    assert outcome.status == "ok", outcome
    assert outcome.counts["created"] == 1
    assert env.sf_by_ma_id("Lead", f"mkto-{cold}") == []
    (lead,) = env.sf_by_ma_id("Lead", f"mkto-{hot}")
    assert lead["Email"] == "taro.yamada@example.jp"
    assert lead["FirstName"] == "Taro"
    assert lead["Phone"] == "+819012345678"
    assert lead["LeadSource"] == "Seminar - Internal"
    assert lead["OwnerId"] in env.rep_ids
    assert lead["Description"].startswith("Qualified: score 85 ≥ 80")
    written = env.marketo_lead(hot)
    assert written["revloopSalesforceId"] == lead["Id"]
    assert written["revloopSyncStatus"] == "created"
    assert outcome.api_calls["marketo"]["leads.write"] == 1


def test_activities_counted_across_runs_qualify_a_lead_by_rule(env) -> None:
    lead_id = env.lead(email="rule@example.jp", lastName="Rule", company="R", leadScore=10)
    engage(env, lead_id, (PAGE_VIEW, "https://example.com/pricing"), (PAGE_VIEW, "/features"))

    first = env.run(FLOW)

    assert first.counts["not_qualified"] == 1
    assert env.sf_rows("Lead") == []

    engage(
        env,
        lead_id,
        (PAGE_VIEW, "https://example.com/pricing#enterprise"),
        (LINK_CLICK, "https://example.com/assets/case-study-sakura.pdf"),
        (FORM_FILL, "Contact Us"),
    )

    second = env.run(FLOW)

    assert second.status == "ok", second
    assert second.counts["created"] == 1
    (lead,) = env.sf_by_ma_id("Lead", f"mkto-{lead_id}")
    assert lead["Revloop_Qualification__c"].startswith("rule: pricing_views >= 2")
    engaged = lead["Description"].splitlines()[1]
    assert "case-study-sakura.pdf" in engaged
    assert "Contact Us" in engaged
    assert "/features" in engaged  # what the person looked at, not only what counted


def test_a_run_with_no_marketo_changes_reads_the_activity_log_once(env) -> None:
    lead_id = env.lead(email="quiet@example.jp", lastName="Quiet", company="Q", leadScore=99)
    env.run(FLOW)
    env.run(FLOW)  # reads the writeback's own data-value changes: nothing to write
    env.reset_calls()

    outcome = env.run(FLOW)

    assert outcome.counts.get("created", 0) == outcome.counts.get("updated", 0) == 0
    reads = {k: v for k, v in outcome.api_calls["marketo"].items() if k != "identity.token"}
    assert reads == {"activities": 1}
    assert outcome.api_calls["salesforce"] == {}
    assert env.creates()[f"mkto-{lead_id}"] == 1


def test_two_marketo_leads_of_one_person_are_one_write_and_the_second_waits_for_review(env) -> None:
    """Marketo allows duplicate leads. Was: the second linked to the Lead the first one created. One
    Salesforce record is never silently shared by two MA records: the second waits for an admin, and
    linking it (revloop review link) shares the Lead on the next run."""
    first = env.lead(email="dup@dup-co.example.jp", lastName="Dup", company="D", leadScore=90)
    second = env.lead(email="DUP@dup-co.example.jp", lastName="Dup", company="D", leadScore=95)

    outcome = env.run(FLOW)

    assert outcome.status == "ok" and outcome.counts["review"] == 1, outcome
    (lead,) = env.sf_rows("Lead")
    assert env.creates() == {f"mkto-{first}": 1}
    assert not env.marketo_lead(second).get("revloopSalesforceId")
    (case,) = [json.loads(line) for line in env.cli("review", "list", "--json").stdout.splitlines()]
    assert (case["source_key"], case["code"]) == (str(second), "linked_elsewhere")
    assert [c["record_id"] for c in case["candidates"]] == [lead["Id"]]

    assert env.cli("review", "link", str(case["id"]), lead["Id"], "--yes").code == 0
    env.run(FLOW)

    assert env.sf_rows("Lead") == [env.sf_row("Lead", lead["Id"])] and env.creates() == {f"mkto-{first}": 1}
    assert env.marketo_lead(second)["revloopSalesforceId"] == lead["Id"]
    assert env.marketo_lead(second)["revloopSyncStatus"] == "linked"


def test_a_marketo_daily_quota_stop_keeps_the_writebacks_pending(env) -> None:
    lead_id = env.lead(email="mq@example.jp", lastName="Quota", company="Q", leadScore=90)
    env.mk.set_knobs(daily_quota=4)  # token, paging token, activities, leads: the writeback gets 607

    outcome = env.run(FLOW)

    assert (outcome.status, outcome.exit_code) == ("stopped", 3), outcome
    (lead,) = env.sf_by_ma_id("Lead", f"mkto-{lead_id}")
    assert [row["record_key"] for row in env.waiting("writeback")] == [str(lead_id)]
    assert not env.marketo_lead(lead_id).get("revloopSalesforceId")

    env.mk.set_knobs(daily_quota=None)
    assert env.run(FLOW).status == "ok"
    assert env.marketo_lead(lead_id)["revloopSalesforceId"] == lead["Id"]
    assert env.creates() == {f"mkto-{lead_id}": 1}
