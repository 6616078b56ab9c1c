"""Echo suppression: the handoff (MA → SFA) and the feedback (SFA → MA) never ping-pong.

A value revloop wrote itself is no change in either direction: run both flows again and again with no
outside change and nothing is written after the first round; change one field on both sides and the
field's conflict rule picks the winner, after which the flows fall quiet again.
"""

from __future__ import annotations

import pytest
from feedback_world import feedback, handed_off, hubspot_owners, person, sales_sets, with_mapping, writes


def test_both_flows_fall_quiet_after_the_first_round(env) -> None:
    hubspot_owners(env)
    people = handed_off(env, *(person(n, hs_lead_status="OPEN", jobtitle="CTO") for n in range(5)))
    for _contact, lead in people[:3]:
        sales_sets(env, "Lead", lead, Status="Working - Contacted", OwnerId=env.rep_ids[0])
    first = feedback(env)
    assert writes(first) > 0

    for _ in range(3):
        handoff, back = env.run("handoff"), feedback(env)
        assert handoff.status == "ok", handoff
        assert (writes(handoff), writes(back)) == (0, 0), (handoff.api_calls, back.api_calls)

    for contact, lead in people:
        (row,) = env.sf_by_ma_id("Lead", contact)
        assert row["Rating"] == "Warm"  # from the marketer's OPEN: the feedback's NEW/IN_PROGRESS is no edit
        assert env.contact_properties(contact)["revloop_salesforce_id"] == lead


def title_both_ways(handoff_rule: str, feedback_rule: str):
    """The job title synced both ways: the handoff's jobtitle → Title and the feedback's Title → jobtitle."""

    def handoff(text: str) -> str:
        return text.replace('conflict = "target_wins"                      # written on create',
                            f'conflict = "{handoff_rule}"  # written on create')  # fmt: skip

    def feedback_mapping(text: str) -> str:
        return text.replace("fields = []", 'fields = ["Title"]') + (
            f'\n[fields.jobtitle]\nfrom = "Title"\nconflict = "{feedback_rule}"\n'
        )

    return handoff, feedback_mapping


@pytest.mark.parametrize(
    ("handoff_rule", "feedback_rule", "winner"),
    [
        ("target_wins", "source_wins", "sales"),  # Salesforce owns the title: its edits win both ways
        ("source_wins", "target_wins", "marketing"),  # HubSpot owns it
    ],
)
def test_a_field_changed_on_both_sides_follows_its_conflict_rule(env, handoff_rule, feedback_rule, winner):
    handoff_edit, feedback_edit = title_both_ways(handoff_rule, feedback_rule)
    with_mapping(env, "handoff", handoff_edit)
    with_mapping(env, "feedback", feedback_edit)
    [(contact, lead)] = handed_off(env, person(7, jobtitle="CTO"))
    feedback(env)
    env.hs.touch("contacts", contact, {"jobtitle": "VP Marketing"})
    sales_sets(env, "Lead", lead, Title="Chief Technology Officer")

    for _ in range(2):
        assert env.run("handoff").status == "ok"
        feedback(env)

    expected = {"sales": "Chief Technology Officer", "marketing": "VP Marketing"}[winner]
    assert env.sf_row("Lead", lead)["Title"] == expected
    assert env.contact_properties(contact)["jobtitle"] == expected
    handoff, back = env.run("handoff"), feedback(env)
    assert (writes(handoff), writes(back)) == (0, 0)


def test_a_value_the_handoff_wrote_is_not_sent_back(env) -> None:
    """The handoff tidies the title into Salesforce; the feedback reads it back and knows it for its own
    echo, so the marketer's spelling stays in HubSpot (no write would be an edit of anyone's)."""
    _, feedback_edit = title_both_ways("target_wins", "source_wins")
    with_mapping(env, "feedback", feedback_edit)
    [(contact, lead)] = handed_off(env, person(8, jobtitle="  Head   of  Sales "))
    assert env.sf_row("Lead", lead)["Title"] == "Head of Sales"

    feedback(env)

    assert env.contact_properties(contact)["jobtitle"] == "  Head   of  Sales "
    sales_sets(env, "Lead", lead, Title="Head of Sales, APAC")  # a real edit by sales does go back
    feedback(env)
    assert env.contact_properties(contact)["jobtitle"] == "Head of Sales, APAC"


def test_marketo_and_salesforce_fall_quiet_too(env) -> None:
    """Marketo logs the feedback's writes as Change Data Value activities, so the Marketo handoff reads
    those leads again: it finds revloop's own values and writes nothing back."""
    ids = [env.lead(email=f"quiet{n}@mirai.example.jp", lastName=f"Kato{n}", company="Mirai", leadScore=90)
           for n in range(3)]  # fmt: skip
    assert env.run("marketo_handoff").status == "ok"
    leads = [env.sf_by_ma_id("Lead", f"mkto-{i}")[0]["Id"] for i in ids]
    sales_sets(env, "Lead", leads[0], Status="Working - Contacted")
    assert writes(feedback(env, "marketo_feedback")) > 0

    for round_ in range(2):
        handoff, back = env.run("marketo_handoff"), feedback(env, "marketo_feedback")
        assert handoff.status == "ok", handoff
        assert (writes(handoff), writes(back)) == (0, 0), (handoff.api_calls, back.api_calls)
        if round_ == 0:
            assert handoff.counts["read"] == len(ids)  # every lead the feedback wrote is read again
    assert env.marketo_lead(ids[0])["leadStatus"] == "Sales Qualified"
