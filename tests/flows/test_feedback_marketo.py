"""Salesforce → Marketo feedback: the same flow kind with Marketo as the target (300 leads a call, by id)."""

from __future__ import annotations

from feedback_world import feedback, sales_sets

FLOW = "marketo_feedback"


def handed_off_from_marketo(env, n: int, **fields) -> tuple[int, str]:
    lead_id = env.lead(email=f"lead{n}@example.jp", firstName=f"Jiro{n}", lastName=f"Sato{n}",
                       company="Mirai Tech", leadScore=90, **fields)  # fmt: skip
    assert env.run("marketo_handoff").status == "ok"
    return lead_id, env.sf_by_ma_id("Lead", f"mkto-{lead_id}")[0]["Id"]


def test_sales_progress_reaches_the_marketo_lead(env) -> None:
    marketo_id, lead = handed_off_from_marketo(env, 1)
    sales_sets(env, "Lead", lead, Status="Working - Contacted", OwnerId=env.rep_ids[1])

    outcome = feedback(env, FLOW)

    assert outcome.status == "ok" and outcome.counts["updated"] == 1
    written = env.marketo_lead(marketo_id)
    assert written["leadStatus"] == "Sales Qualified"
    assert written["revloopSalesStage"] == "Working - Contacted"
    assert written["revloopOwnerEmail"] == "aiko.ueda@example.com"
    assert written["revloopSalesforceId"] == lead
    assert outcome.api_calls["marketo"].get("leads.write") == 1


def test_forward_only_and_nurture_on_marketo(env) -> None:
    ahead, ahead_lead = handed_off_from_marketo(env, 2)
    dropped, dropped_lead = handed_off_from_marketo(env, 3)
    env.mk.touch(ahead, {"leadStatus": "Customer"})  # a marketer moved it on
    sales_sets(env, "Lead", ahead_lead, Status="Working - Contacted")
    sales_sets(env, "Lead", dropped_lead, Status="Closed - Not Converted")

    feedback(env, FLOW)

    assert env.marketo_lead(ahead)["leadStatus"] == "Customer"  # never back to Sales Qualified
    assert env.marketo_lead(ahead)["revloopSalesStage"] == "Working - Contacted"
    assert env.marketo_lead(dropped)["leadStatus"] == "Recycled"  # nurture may move it back


def test_a_lead_sales_created_is_matched_to_the_marketo_lead_by_email(env) -> None:
    marketo_id = env.lead(email="hanako@sakura.example.jp", firstName="Hanako", lastName="Tanaka")
    created = env.sf_seed("Lead", {"LastName": "Tanaka", "FirstName": "Hanako", "Company": "Sakura",
                                   "Email": "hanako@sakura.example.jp"})[0]  # fmt: skip

    outcome = feedback(env, FLOW)

    assert outcome.counts["linked"] == 1
    assert env.marketo_lead(marketo_id)["revloopSalesforceId"] == created
    assert len(env.mk.dump_state()["leads"]) == 1
