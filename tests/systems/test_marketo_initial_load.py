"""The Marketo initial load on the fake: a first run reads leads older than any activity window (a static
list, a smart list, bulk export windows), resumes from any page's cursor, and then reads the activity log."""

from __future__ import annotations

import math

import pytest

from connector.errors import ConfigError
from connector.systems.marketo.bulk import MAX_POLLS

pytest_plugins = ("conftest_marketo",)

FIELDS = ["email", "leadScore", "leadStatus"]
LIST_ID = 55


def calls(marketo) -> dict[str, int]:
    return {endpoint: n for endpoint, n in marketo.guard.calls.items() if endpoint != "identity.token" and n}


def old_leads(fake, count: int, *, month: int = 3) -> list[int]:
    """Leads created in 2024 (a window of ``month``), untouched since: no activity log read finds them."""
    rows = [
        {
            "email": f"old{n}@example.com",
            "leadScore": 80 + n % 20,
            "createdAt": f"2024-{month:02d}-{1 + n % 28:02d}T08:00:00Z",
            "updatedAt": "2024-06-30T00:00:00Z",
        }
        for n in range(count)
    ]
    return fake.seed({"leads": rows})["leads"]


@pytest.fixture
def loading(make_marketo, marketo_settings):
    """``loading(initial_load="list", ...)``: an adapter whose first run does that initial load."""

    def build(**keys):
        settings = type(marketo_settings).model_validate(
            {**marketo_settings.model_dump(), "initial_load_poll_s": 0.001, **keys}
        )
        return make_marketo(settings=settings, sleep=lambda seconds: None)

    return build


def read(marketo, cursor=None):
    pages = list(marketo.read_changes("leads", cursor, FIELDS))
    return pages, [record for page in pages for record in page.records]


def test_a_static_list_is_read_300_a_call_then_the_activity_log(loading, marketo_fake):
    ids = old_leads(marketo_fake, 700)
    marketo_fake.seed(
        {"lists": [{"id": LIST_ID, "name": "MQL candidates"}], "list_members": {str(LIST_ID): ids}}
    )
    [recent] = marketo_fake.seed({"leads": [{"email": "new@example.com"}]})["leads"]
    marketo = loading(initial_load="list", initial_list_id=LIST_ID)

    pages, records = read(marketo)

    assert [len(page.records) for page in pages[:3]] == [300, 300, 100]
    assert [int(r.id) for r in records[:700]] == ids and [r.id for r in records[700:]] == [str(recent)]
    assert records[0].fields == {"email": "old0@example.com", "leadScore": 80, "leadStatus": None}
    assert calls(marketo) == {
        "lists.members": math.ceil(700 / 300),
        "activities.pagingtoken": 1,
        "activities": 1,
        "leads.read": 1,
    }
    assert set(pages[-1].cursor) == {"token"}
    marketo.guard.calls.clear()
    assert read(marketo, pages[-1].cursor)[1] == [] and calls(marketo) == {"activities": 1}


def test_a_static_list_load_resumes_from_the_page_it_stopped_at(loading, marketo_fake):
    ids = old_leads(marketo_fake, 700)
    marketo_fake.seed({"lists": [{"id": LIST_ID, "name": "All"}], "list_members": {str(LIST_ID): ids}})
    first = loading(initial_load="list", initial_list_id=LIST_ID)
    stopped = next(iter(first.read_changes("leads", None, FIELDS)))  # killed after the first page

    resumed = loading(initial_load="list", initial_list_id=LIST_ID)
    _, records = read(resumed, stopped.cursor)

    assert [int(r.id) for r in records] == ids[300:]
    assert resumed.guard.calls["lists.members"] == 2


def test_bulk_extract_reads_every_lead_since_the_day_in_31_day_windows(loading, marketo_fake):
    march, may = old_leads(marketo_fake, 5, month=3), old_leads(marketo_fake, 3, month=5)
    marketo = loading(initial_load="bulk_extract", initial_load_since="2024-03-01")

    pages, records = read(marketo)

    assert sorted(int(r.id) for r in records) == sorted(march + may)
    assert {r.fields["leadScore"] for r in records} <= set(range(80, 100))  # typed as over REST
    assert all(r.fields["leadStatus"] is None for r in records)
    windows = len([p for p in pages if "initial" in p.cursor and p.cursor["initial"]["rows"] == 0])
    assert windows >= 32  # March 2024 to today, 31 days at a time
    assert calls(marketo) == {
        "leads.export.create": windows,
        "leads.export.enqueue": windows,
        "leads.export.status": 2 * windows,
        "leads.export.file": windows,
        "leads.describe": 1,
        "activities.pagingtoken": 1,
        "activities": 1,
    }
    assert set(pages[-1].cursor) == {"token"}


def test_a_bulk_load_resumes_inside_a_file_without_a_new_job(loading, marketo_fake):
    ids = old_leads(marketo_fake, 700)
    first = loading(initial_load="bulk_extract", initial_load_since="2024-03-01")
    stream = first.read_changes("leads", None, FIELDS)
    [created, page] = [next(stream), next(stream)]  # the job, then the first 300 leads: killed here
    assert created.records == () and created.cursor["initial"]["export"] == page.cursor["initial"]["export"]

    resumed = loading(initial_load="bulk_extract", initial_load_since="2024-03-01")
    _, records = read(resumed, page.cursor)

    assert [int(r.id) for r in records] == ids[300:]
    window = marketo_fake.exports.jobs[page.cursor["initial"]["export"]].filter_value
    assert [job.filter_value for job in marketo_fake.exports.jobs.values()].count(window) == 1


def test_a_used_up_export_allocation_pauses_the_load_until_a_later_run(loading, marketo_fake):
    march, may = old_leads(marketo_fake, 5, month=3), old_leads(marketo_fake, 3, month=5)
    marketo_fake.set_knobs(export_daily_bytes=1)  # the first window's file uses the day up
    marketo = loading(initial_load="bulk_extract", initial_load_since="2024-03-01")

    pages, records = read(marketo)

    assert sorted(int(r.id) for r in records) == march
    assert pages[-1].cursor["initial"]["job"] == 0 and pages[-1].cursor["initial"]["rows"] == 5
    marketo_fake.set_knobs(export_daily_bytes=10**9)  # midnight Central
    later = loading(initial_load="bulk_extract", initial_load_since="2024-03-01")
    _, rest = read(later, pages[-1].cursor)
    assert sorted(int(r.id) for r in rest) == may


def test_a_job_still_queued_after_the_polls_is_picked_up_by_the_next_run(loading, marketo_fake):
    ids = old_leads(marketo_fake, 4)
    marketo_fake.set_knobs(export_hold=True)  # other integrations hold both processing slots
    marketo = loading(initial_load="bulk_extract", initial_load_since="2024-03-01")

    pages, records = read(marketo)

    assert records == [] and marketo.guard.calls["leads.export.status"] == MAX_POLLS
    export = pages[-1].cursor["initial"]["export"]
    marketo_fake.set_knobs(export_hold=False)
    later = loading(initial_load="bulk_extract", initial_load_since="2024-03-01")
    _, records = read(later, pages[-1].cursor)
    assert sorted(int(r.id) for r in records) == ids
    held = marketo_fake.exports.jobs[export]
    assert held.status == "Completed"
    assert [job.filter_value for job in marketo_fake.exports.jobs.values()].count(held.filter_value) == 1


def test_an_expired_export_file_is_made_again_by_a_new_job(loading, marketo_fake):
    ids = old_leads(marketo_fake, 400)
    first = loading(initial_load="bulk_extract", initial_load_since="2024-03-01")
    stream = first.read_changes("leads", None, FIELDS)
    next(stream)
    page = next(stream)
    marketo_fake.exports.expire(page.cursor["initial"]["export"])  # the run came back 8 days later

    later = loading(initial_load="bulk_extract", initial_load_since="2024-03-01")
    _, records = read(later, page.cursor)

    assert {int(r.id) for r in records} >= set(ids[300:])  # the new job's file is read from its start
    assert later.guard.calls["leads.export.create"] >= 2  # the lost window again, then the next ones


def test_a_smart_list_is_read_by_one_export_job(loading, marketo_fake):
    ids = old_leads(marketo_fake, 6)
    marketo_fake.seed({"smart_lists": [{"id": 77, "name": "Sales ready", "members": ids[:4]}]})
    marketo = loading(initial_load="list", initial_list_id=77, initial_list_type="smart")

    _, records = read(marketo)

    assert [int(r.id) for r in records] == ids[:4]
    assert marketo.guard.calls["leads.export.create"] == 1


def test_a_filter_the_subscription_lacks_is_a_config_error_naming_the_key(loading, marketo_fake):
    marketo_fake.set_knobs(export_filters=("createdAt", "staticListId"))
    marketo = loading(
        initial_load="bulk_extract", initial_load_since="2024-03-01", initial_load_filter="updatedAt"
    )
    with pytest.raises(ConfigError, match="initial_load_filter"):
        read(marketo)


def test_a_changed_plan_starts_the_new_load_and_keeps_where_the_activity_log_goes_on(loading, marketo_fake):
    ids = old_leads(marketo_fake, 3)
    marketo_fake.seed({"lists": [{"id": LIST_ID, "name": "All"}], "list_members": {str(LIST_ID): ids[:1]}})
    progress = {
        "plan": "list:static:55",
        "until": "2024-06-01T00:00:00Z",
        "job": 0,
        "export": None,
        "rows": 0,
    }
    cursor = {"since": "2026-01-01T00:00:00Z", "initial": {**progress, "token": "stale"}}

    bulk = loading(initial_load="bulk_extract", initial_load_since="2024-03-01")
    pages, records = read(bulk, cursor)
    assert sorted(int(r.id) for r in records) == ids
    assert all(page.cursor.get("since", cursor["since"]) == cursor["since"] for page in pages[:-1])

    activities_only = loading()
    pages, records = read(activities_only, cursor)
    assert records == [] and set(pages[-1].cursor) == {"token"}
    assert activities_only.guard.calls["activities.pagingtoken"] == 1
