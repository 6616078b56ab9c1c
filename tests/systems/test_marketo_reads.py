"""Marketo reads end to end: incremental changes via activities, activity kinds, reads by key, deletions."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from connector.errors import ConfigError, SchemaDriftError

pytest_plugins = ("conftest_marketo",)

FIELDS = ["email", "firstName", "leadScore", "leadStatus"]


def api_calls(guard) -> dict[str, int]:
    return {endpoint: n for endpoint, n in guard.calls.items() if endpoint != "identity.token" and n}


def seed_leads(fake, count: int, *, prefix: str = "lead") -> list[int]:
    rows = [{"email": f"{prefix}{n}@example.com", "firstName": f"F{n}", "leadScore": n} for n in range(count)]
    return fake.seed({"leads": rows})["leads"]


def read_all(marketo, cursor, fields=FIELDS, **keywords):
    pages = list(marketo.read_changes("leads", cursor, fields, **keywords))
    return pages, pages[-1].cursor


def days_ago(days: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def test_first_run_reads_every_new_lead_with_the_requested_fields(marketo, marketo_fake):
    ids = seed_leads(marketo_fake, 5)
    pages, cursor = read_all(marketo, None)
    records = [record for page in pages for record in page.records]
    assert sorted(int(record.id) for record in records) == ids
    first = next(record for record in records if record.id == str(ids[0]))
    assert first.fields == {
        "email": "lead0@example.com",
        "firstName": "F0",
        "leadScore": 0,
        "leadStatus": None,
    }
    assert first.modified_at.endswith("Z")
    assert set(cursor) == {"token"}
    assert api_calls(marketo.guard) == {"activities.pagingtoken": 1, "activities": 1, "leads.read": 1}


def test_a_run_without_changes_costs_exactly_one_call(marketo, marketo_fake):
    seed_leads(marketo_fake, 3)
    _, cursor = read_all(marketo, None)
    before = dict(marketo.guard.calls)
    pages, next_cursor = read_all(marketo, cursor)
    assert [page.records for page in pages] == [()]
    assert sum(marketo.guard.calls.values()) - sum(before.values()) == 1
    assert next_cursor == cursor


def test_resuming_from_a_cursor_reads_only_later_changes(marketo, marketo_fake):
    ids = seed_leads(marketo_fake, 3)
    _, cursor = read_all(marketo, None)
    marketo_fake.touch(ids[1], {"leadStatus": "MQL"})
    marketo_fake.touch(ids[2], {"leadScore": 80})
    pages, cursor = read_all(marketo, cursor)
    records = {record.id: record for page in pages for record in page.records}
    assert set(records) == {str(ids[1]), str(ids[2])}
    assert records[str(ids[1])].fields["leadStatus"] == "MQL"
    assert records[str(ids[2])].fields["leadScore"] == 80
    assert read_all(marketo, cursor)[0][0].records == ()


def test_large_change_sets_come_in_pages_of_300_and_each_page_cursor_resumes(marketo, marketo_fake):
    ids = seed_leads(marketo_fake, 700)
    pages = list(marketo.read_changes("leads", None, FIELDS))
    assert [len(page.records) for page in pages] == [300, 300, 100]
    resumed = list(marketo.read_changes("leads", pages[0].cursor, FIELDS))
    resumed_ids = [int(record.id) for page in resumed for record in page.records]
    assert resumed_ids == ids[300:]
    assert marketo.guard.calls["leads.read"] == 3 + 2  # one id read per activities page


def test_backfill_days_limits_the_first_run(make_marketo, marketo_fake):
    marketo_fake.seed({"leads": [{"email": "old@example.com", "createdAt": days_ago(40)}]})
    recent = seed_leads(marketo_fake, 1)
    pages, _ = read_all(make_marketo(backfill_days=30), None)
    assert [record.id for page in pages for record in page.records] == [str(recent[0])]
    pages, _ = read_all(make_marketo(backfill_days=60), None)
    assert len([record for page in pages for record in page.records]) == 2


def test_requested_activity_kinds_are_reported_with_their_leads(marketo, marketo_fake):
    [lead] = marketo_fake.seed(
        {
            "leads": [{"email": "buyer@example.com", "createdAt": days_ago(90)}],
        }
    )["leads"]
    marketo_fake.seed(
        {
            "activities": [
                {"leadId": lead, "activityTypeId": 1, "primaryAttributeValue": "www.example.com/pricing",
                 "activityDate": days_ago(3)},
                {"leadId": lead, "activityTypeId": 2, "primaryAttributeValue": "Contact Us",
                 "activityDate": "2099-01-01T00:00:00+0000"},
                {"leadId": lead, "activityTypeId": 3, "primaryAttributeValue": "example.com/case-study.pdf"},
                {"leadId": lead, "activityTypeId": 10, "primaryAttributeValue": "Newsletter"},
            ]
        }
    )  # fmt: skip
    pages, _ = read_all(marketo, None, activities=["page_view", "form_fill", "link_click"])
    activities = [activity for page in pages for activity in page.activities]
    assert [(a.kind, a.value) for a in activities] == [
        ("page_view", "www.example.com/pricing"),
        ("link_click", "example.com/case-study.pdf"),
        ("form_fill", "Contact Us"),
    ]
    assert activities[2].at == "2099-01-01T00:00:00Z"
    assert all(a.record_id == str(lead) and a.id for a in activities)
    assert [record.id for page in pages for record in page.records] == [str(lead)]


def test_unrequested_activities_still_surface_their_lead_only_when_requested(marketo, marketo_fake):
    [lead] = marketo_fake.seed({"leads": [{"email": "quiet@example.com", "createdAt": days_ago(90)}]})[
        "leads"
    ]
    marketo_fake.add_activity(lead, 1, "www.example.com/blog")
    assert read_all(marketo, None)[0][0].records == ()
    pages, _ = read_all(marketo, None, activities=["page_view"])
    assert [record.id for record in pages[0].records] == [str(lead)]


def test_unknown_activity_kind_is_a_config_error_naming_it(marketo):
    with pytest.raises(ConfigError, match="'webinar'"):
        list(marketo.read_changes("leads", None, FIELDS, activities=["page_view", "webinar"]))
    assert api_calls(marketo.guard) == {}


def test_bad_cursor_is_a_config_error(marketo):
    with pytest.raises(ConfigError, match="not a Marketo cursor"):
        list(marketo.read_changes("leads", {"watermark": "x"}, FIELDS))


def test_read_by_keys_batches_300_keys_per_call(marketo, marketo_fake):
    seed_leads(marketo_fake, 650)
    emails = [f"LEAD{n}@example.com" for n in range(650)] + ["nobody@example.com"]
    records = list(marketo.read_by_keys("leads", "email", emails, ["email", "leadScore"]))
    assert len(records) == 650
    assert marketo.guard.calls["leads.read"] == 3


def test_read_by_keys_past_8kb_of_uri_is_sent_as_post_method_get(marketo, marketo_fake):
    long_emails = [f"{'x' * 40}.{n}@long-domain-for-uri-tests.example.com" for n in range(300)]
    marketo_fake.seed({"leads": [{"email": email} for email in long_emails]})
    records = list(marketo.read_by_keys("leads", "email", long_emails, ["email"]))
    assert sorted(record.fields["email"] for record in records) == sorted(long_emails)
    assert marketo.guard.calls["leads.read"] == 1
    assert marketo_fake.uri_refusals == 0


def test_read_by_keys_follows_next_page_token_when_a_filter_matches_more(marketo, marketo_fake):
    marketo_fake.seed({"leads": [{"email": "shared@example.com", "firstName": str(n)} for n in range(350)]})
    records = list(marketo.read_by_keys("leads", "email", ["shared@example.com"], ["firstName"]))
    assert len(records) == 350
    assert marketo.guard.calls["leads.read"] == 2


def test_unknown_field_in_a_read_is_schema_drift(marketo, marketo_fake):
    seed_leads(marketo_fake, 1)
    with pytest.raises(SchemaDriftError, match="1006"):
        list(marketo.read_by_keys("leads", "email", ["lead0@example.com"], ["noSuchField"]))


def test_a_deleted_lead_with_activities_is_left_out_of_records(marketo, marketo_fake):
    ids = seed_leads(marketo_fake, 2)
    marketo_fake.delete_lead(ids[0])
    pages, _ = read_all(marketo, None)
    assert [record.id for page in pages for record in page.records] == [str(ids[1])]
