"""The feedback in `status`, `runs`, `errors`, `mappings check` and `mappings preview`: all through the Flow
protocol, nothing kind-specific in the commands."""

from __future__ import annotations

import json

from feedback_world import feedback, handed_off, person, sales_sets, with_mapping


def score_from_title(text: str) -> str:
    """A mapping HubSpot refuses some records of: a Salesforce text field into a number property."""
    return text.replace("fields = []", 'fields = ["Title"]') + '\n[fields.hubspotscore]\nfrom = "Title"\n'


def test_a_record_the_ma_refuses_is_an_error_row_retried_until_it_goes_through(env) -> None:
    with_mapping(env, "feedback", score_from_title)
    (bad, bad_lead), (good, good_lead) = handed_off(env, person(1), person(2))
    sales_sets(env, "Lead", bad_lead, Title="CTO")  # not a number: HubSpot refuses this contact only
    sales_sets(env, "Lead", good_lead, Title="42")

    outcome = feedback(env)

    assert outcome.status == "record_errors" and outcome.counts["failed"] == 1
    assert env.contact_properties(good)["hubspotscore"] == "42"
    listed = [json.loads(line) for line in env.cli("errors", "list", "--json").stdout.splitlines()]
    (error,) = [row for row in listed if row["flow"] == "feedback"]
    assert (error["record_key"], error["stage"], error["category"]) == (bad_lead, "write", "record_reject")
    assert "hubspot refused it" in error["message"]
    status_line = next(line for line in env.cli("status").stdout.splitlines() if "│ feedback " in line)
    assert "write 1" in status_line and "record_errors" in status_line
    runs = env.cli("runs")
    assert "feedback" in runs.stdout and "updated 1" in runs.stdout and "failed 1" in runs.stdout

    assert env.cli("errors", "retry", str(error["id"])).code == 0
    again = feedback(env)  # due again: refused again, with one more attempt on its row
    assert again.counts["failed"] == 1
    assert [row["attempts"] for row in env.errors() if row["flow"] == "feedback"] == [2]

    sales_sets(env, "Lead", bad_lead, Title="77")  # sales fixes it
    fixed = feedback(env)
    assert fixed.status == "ok"
    assert env.contact_properties(bad)["hubspotscore"] == "77"
    assert [row["status"] for row in env.errors() if row["flow"] == "feedback"] == ["resolved"]


def test_mappings_check_validates_the_translation_tables_against_the_live_picklists(sqlite_env) -> None:
    env = sqlite_env

    def broken(text: str) -> str:
        typo = '"Wroking - Contacted" = "IN_PROGRESS", '
        text = text.replace('"Working - Contacted" = "IN_PROGRESS", ', typo)
        text = text.replace('"Closed - Converted" = "CONNECTED"', '"Closed - Converted" = "ESCALATED"')
        text = text.replace('lead_statuses = ["Closed - Not Converted"]', 'lead_statuses = ["Disqualified"]')
        return text.replace("[fields.revloop_converted]", "[fields.revloop_no_such_property]")

    with_mapping(env, "feedback", broken)

    result = env.cli("mappings", "check", "feedback", columns=80)

    assert result.code == 2, result
    text = result.stdout
    assert "fields.hs_lead_status.map: ['Wroking - Contacted'] not values of Lead.Status" in text
    assert "Lead.Status also has ['Working - Contacted']" in text
    assert "fields.hs_lead_status.map.Closed - Converted" in text and "ESCALATED" in text
    assert "nurture.lead_statuses: 'Disqualified' is not a value of Lead.Status" in text
    assert "fields.revloop_no_such_property: contacts has no field" in text


def test_preview_shows_the_updates_and_writes_nothing(sqlite_env) -> None:
    env = sqlite_env
    (contact, lead), _ = handed_off(env, person(3), person(4))
    feedback(env)
    sales_sets(env, "Lead", lead, Status="Working - Contacted")
    before = env.contact_properties(contact)
    env.reset_calls()

    result = env.cli("mappings", "preview", "feedback")

    assert result.code == 0, result
    assert f"update contacts {contact}" in result.stdout
    assert "hs_lead_status: 'NEW' → 'IN_PROGRESS'" in result.stdout
    assert env.contact_properties(contact) == before
    assert env.hs.calls["batch_update"] == 0 and env.waiting() == []
    assert feedback(env).counts["updated"] == 1  # the run after the preview still sees the change
