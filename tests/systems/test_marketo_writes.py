"""Marketo writes end to end: Sync Leads with per-record reasons, static lists, describe."""

from __future__ import annotations

import pytest

from connector.errors import ConfigError, ErrorCategory
from connector.records import Outcome, Outgoing

pytest_plugins = ("conftest_marketo",)


def test_create_or_update_300_leads_in_one_call_with_per_record_reasons(marketo, marketo_fake):
    batch = [Outgoing(f"new{n}@example.com", {"firstName": f"N{n}", "leadScore": n}) for n in range(296)]
    batch += [
        Outgoing("not-an-email", {"firstName": "Bad"}),
        Outgoing("drift@example.com", {"favouriteColour": "teal"}),
        Outgoing("score@example.com", {"leadScore": "high"}),
        Outgoing("ok@example.com", {"revloopSyncStatus": "synced"}),
    ]
    results = marketo.upsert("leads", "email", batch)
    assert marketo.guard.calls["leads.write"] == 1
    assert [result.key for result in results] == [outgoing.key for outgoing in batch]
    assert {result.outcome for result in results[:296]} == {Outcome.CREATED}
    assert results[-1].outcome is Outcome.CREATED
    bad_email, drift, bad_score = results[296:299]
    assert (bad_email.outcome, bad_email.error.code, bad_email.error.category) == (
        Outcome.FAILED,
        "1003",
        ErrorCategory.RECORD_REJECT,
    )
    assert (drift.error.code, drift.error.category, drift.error.fields) == (
        "1006",
        ErrorCategory.SCHEMA_DRIFT,
        ("favouriteColour",),
    )
    assert (bad_score.error.code, bad_score.error.category) == ("1001", ErrorCategory.RECORD_REJECT)
    assert marketo_fake.store.leads[int(results[0].id)]["leadScore"] == 0


def test_upsert_is_idempotent_by_lookup_field(marketo, marketo_fake):
    batch = [Outgoing("same@example.com", {"leadStatus": "MQL"})]
    first = marketo.upsert("leads", "email", batch)
    second = marketo.upsert("leads", "email", batch)
    assert (first[0].outcome, second[0].outcome) == (Outcome.CREATED, Outcome.UPDATED)
    assert first[0].id == second[0].id
    assert marketo_fake.creates_per_email["same@example.com"] == 1


def test_more_than_300_leads_are_refused_before_any_call(marketo):
    batch = [Outgoing(f"x{n}@example.com", {}) for n in range(301)]
    with pytest.raises(ValueError, match="300"):
        marketo.upsert("leads", "email", batch)
    assert marketo.guard.total_calls == 0


def test_duplicate_emails_make_a_write_by_email_fail_with_1007(marketo, marketo_fake):
    marketo_fake.seed({"leads": [{"email": "twin@example.com"}, {"email": "Twin@example.com"}]})
    [result] = marketo.upsert("leads", "email", [Outgoing("twin@example.com", {"leadStatus": "MQL"})])
    assert (result.outcome, result.error.code) == (Outcome.FAILED, "1007")


def test_writes_keyed_by_id_update_only(marketo, marketo_fake):
    [lead] = marketo_fake.seed({"leads": [{"email": "known@example.com"}]})["leads"]
    results = marketo.upsert(
        "leads",
        "id",
        [
            Outgoing(str(lead), {"leadStatus": "SQL"}),
            Outgoing("999999", {"leadStatus": "SQL"}),
            Outgoing("x", {}),
        ],
    )
    assert [result.outcome for result in results] == [Outcome.UPDATED, Outcome.FAILED, Outcome.FAILED]
    assert [result.error.code for result in results[1:]] == ["1004", "invalid_id"]
    assert marketo_fake.store.leads[lead]["leadStatus"] == "SQL"


def test_upsert_options_choose_the_action(marketo, marketo_fake):
    marketo_fake.seed({"leads": [{"email": "exists@example.com"}]})
    [result] = marketo.upsert(
        "leads", "email", [Outgoing("exists@example.com", {})], options={"action": "createOnly"}
    )
    assert result.error.code == "1005"
    with pytest.raises(ConfigError, match="unknown upsert option"):
        marketo.upsert("leads", "email", [Outgoing("a@example.com", {})], options={"dedupe": "yes"})


def test_a_dropped_answer_is_resent_without_creating_a_duplicate(marketo, marketo_fake):
    marketo_fake.set_knobs(faults=[{"nth": 1, "kind": "drop", "endpoint": "leads"}])
    [result] = marketo.upsert("leads", "email", [Outgoing("once@example.com", {"firstName": "Once"})])
    assert result.outcome is Outcome.UPDATED  # the first, unanswered attempt created it
    assert marketo.guard.calls["leads.write"] == 2
    assert marketo_fake.creates_per_email["once@example.com"] == 1


def test_static_lists_create_find_add_members_remove(marketo, make_marketo, marketo_settings, marketo_fake):
    ids = [
        str(lead)
        for lead in marketo_fake.seed({"leads": [{"email": f"m{n}@example.com"} for n in range(650)]})[
            "leads"
        ]
    ]
    with pytest.raises(ConfigError, match="list_folder"):
        marketo.find_or_create_list("Upsell: expansion")
    marketo = make_marketo(settings=marketo_settings.model_copy(update={"list_folder": 12}))
    list_id = marketo.find_or_create_list("Upsell: expansion")
    assert marketo.find_or_create_list("Upsell: expansion") == list_id
    assert (marketo.guard.calls["lists.byname"], marketo.guard.calls["lists.create"]) == (2, 1)

    added = marketo.add_to_list(list_id, [*ids, "999999"])
    assert marketo.guard.calls["lists.add"] == 3
    assert {result.outcome for result in added[:650]} == {Outcome.CREATED}
    assert (added[-1].outcome, added[-1].error.code) == (Outcome.FAILED, "1004")

    assert sorted(marketo.list_members(list_id)) == sorted(ids)
    assert marketo.guard.calls["lists.members"] == 3
    members = list(marketo.read_list(list_id, ["email"]))
    assert sorted(record.id for record in members) == sorted(ids)
    assert members[0].fields == {"email": marketo_fake.store.leads[int(members[0].id)]["email"]}
    assert marketo.guard.calls["lists.members"] == 6

    removed = marketo.remove_from_list(list_id, ids[:2])
    again = marketo.remove_from_list(list_id, ids[:1])
    assert [result.outcome for result in removed] == [Outcome.UPDATED, Outcome.UPDATED]
    assert again[0].outcome is Outcome.UNCHANGED
    assert len(list(marketo.list_members(list_id))) == 648


def test_list_ids_must_be_numeric(marketo):
    with pytest.raises(ValueError, match="list_id"):
        marketo.add_to_list("../leads", ["1"])


def test_describe_reports_types_lengths_and_searchable_keys(marketo):
    schema = marketo.describe("leads")
    assert schema.fields["leadScore"].type == "integer"
    assert schema.fields["email"].external_id
    assert schema.fields["revloopSalesforceId"].external_id
    assert schema.fields["revloopSalesforceId"].length == 18
    assert not schema.fields["updatedAt"].updateable
    assert not schema.fields["firstName"].external_id


def test_unknown_object_is_a_config_error(marketo):
    with pytest.raises(ConfigError, match="contacts"):
        marketo.describe("contacts")
