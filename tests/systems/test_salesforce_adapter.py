"""The Salesforce adapter end to end: real simple-salesforce over HTTPS against the fake, calls counted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from connector.errors import ErrorCategory, RecordRejectedError
from connector.records import Outcome, Outgoing
from connector.systems.base import System

pytest_plugins = ("conftest_salesforce",)

MA_ID = "Revloop_MA_Id__c"
BASE = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)


def stamp(seconds: int) -> str:
    return (BASE + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S.000+0000")


def seed_leads(fake, count: int, *, start: int = 0) -> list[str]:
    """``count`` Leads one second apart (two per second for odd indexes, to exercise the Id tie-break)."""
    leads = [
        {"LastName": f"L{i:05d}", "Company": "Acme", MA_ID: f"ma-{i}", "SystemModstamp": stamp(i - i % 2)}
        for i in range(start, start + count)
    ]
    return fake.seed({"Lead": leads})["Lead"]


def lead(key: str, **fields) -> Outgoing:
    return Outgoing(key=key, fields={"LastName": "Sato", "Company": "Acme", **fields})


def test_the_adapter_is_a_system(make_salesforce):
    adapter = make_salesforce()
    assert isinstance(adapter, System)
    assert (adapter.kind, adapter.max_write_batch, adapter.max_read_page) == ("salesforce", 200, 2000)


def test_login_and_refresh_after_tokens_expire(make_salesforce, sf_fake):
    adapter = make_salesforce()
    adapter.check()
    assert dict(adapter.guard.calls) == {"oauth.token": 1, "limits": 1}
    assert adapter.guard.budget.vendor_remaining == 100_000 - 2
    sf_fake.control_tokens_expire(None)
    adapter.check()
    assert dict(adapter.guard.calls) == {"oauth.token": 2, "limits": 3}  # 401, new token, the call again
    assert sf_fake.calls["limits"] == 3


def test_read_changes_pages_resumes_and_overlaps(make_salesforce, sf_fake):
    ids = seed_leads(sf_fake, 2500)
    adapter = make_salesforce()
    pages = list(adapter.read_changes("Lead", None, ["LastName", MA_ID]))
    assert [len(page.records) for page in pages] == [2000, 500]
    assert [r.id for page in pages for r in page.records] == ids  # (SystemModstamp, Id) order
    assert adapter.guard.calls["query"] == 1 and adapter.guard.calls["query.more"] == 1
    first = pages[0]
    assert first.cursor == {"since": None, "last": [stamp(1998), ids[1999]]}
    assert first.records[0].fields[MA_ID] == "ma-0" and "attributes" not in first.records[0].fields
    assert first.records[0].modified_at == stamp(0)

    resumed = list(adapter.read_changes("Lead", first.cursor, ["LastName"]))
    assert [r.id for page in resumed for r in page.records] == ids[2000:]
    final = pages[-1].cursor
    assert (
        final
        == resumed[-1].cursor
        == {"since": (BASE + timedelta(seconds=2498 - 60)).strftime("%Y-%m-%dT%H:%M:%SZ")}
    )

    overlap = list(adapter.read_changes("Lead", final, ["LastName"]))
    assert [r.id for page in overlap for r in page.records] == ids[2438:]  # 60 s of lag re-read on purpose
    assert overlap[-1].cursor == final


def test_a_read_without_changes_costs_one_call(make_salesforce, sf_fake):
    adapter = make_salesforce()
    adapter.check()
    before = dict(adapter.guard.calls)
    [page] = list(adapter.read_changes("Contact", {"since": "2024-05-01T00:00:00Z"}, ["LastName"]))
    assert page.records == () and page.cursor == {"since": "2024-05-01T00:00:00Z"}
    assert adapter.guard.total_calls - sum(before.values()) == 1


def test_read_changes_sees_new_writes_after_the_cursor(make_salesforce, sf_fake):
    seed_leads(sf_fake, 10)
    adapter = make_salesforce(lag_s=0)
    cursor = list(adapter.read_changes("Lead", None, []))[-1].cursor
    [written] = adapter.upsert("Lead", MA_ID, [lead("ma-new")])
    [page] = list(adapter.read_changes("Lead", cursor, []))
    assert [r.id for r in page.records][-1] == written.id


def test_read_by_keys_chunks_long_key_lists(make_salesforce, sf_fake):
    seed_leads(sf_fake, 1200)
    adapter = make_salesforce()
    urls: list[str] = []
    adapter.session.hooks["response"].append(lambda response, *a, **k: urls.append(response.request.url))
    keys = [f"ma-{i}" for i in range(1200)] + ["ma-missing", "ma-0"]
    found = list(adapter.read_by_keys("Lead", MA_ID, keys, ["LastName"]))
    assert sorted(r.fields[MA_ID] for r in found) == sorted(f"ma-{i}" for i in range(1200))
    queries = [url for url in urls if "/query/" in url]
    assert len(queries) == adapter.guard.calls["query"] > 1
    assert all(len(url) < 12_000 for url in queries)


def test_upsert_creates_updates_and_reports_refusals(make_salesforce, sf_fake):
    adapter = make_salesforce()
    created = adapter.upsert("Lead", MA_ID, [lead("ma-1"), lead("ma-2", Email="hana@acme.example")])
    assert [(r.key, r.outcome) for r in created] == [("ma-1", Outcome.CREATED), ("ma-2", Outcome.CREATED)]
    batch = [
        lead("ma-1", Title="CTO"),
        lead("ma-3", Company=None),
        lead("ma-4", Email="not-an-email"),
        lead("ma-5", LeadSource="Billboard"),
        lead("ma-6", Email="HANA@acme.example"),
        lead("ma-7"),
    ]
    results = adapter.upsert("Lead", MA_ID, batch)
    assert [r.outcome for r in results] == [Outcome.UPDATED] + [Outcome.FAILED] * 4 + [Outcome.CREATED]
    assert results[0].id == created[0].id
    errors = [(r.error.code, r.error.category, r.error.fields) for r in results[1:5]]
    assert errors == [
        ("REQUIRED_FIELD_MISSING", ErrorCategory.RECORD_REJECT, ("Company",)),
        ("INVALID_EMAIL_ADDRESS", ErrorCategory.RECORD_REJECT, ("Email",)),
        ("INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST", ErrorCategory.SCHEMA_DRIFT, ("LeadSource",)),
        ("DUPLICATES_DETECTED", ErrorCategory.RECORD_REJECT, ()),
    ]
    assert adapter.guard.calls["composite.sobjects"] == 2


def test_update_by_id_and_assignment_options(make_salesforce, sf_fake):
    [mori] = sf_fake.seed({"User": [{"LastName": "Mori", "Email": "mori@x.jp"}]})["User"]
    adapter = make_salesforce()
    [assigned] = adapter.upsert("Lead", MA_ID, [lead("ma-1")], options={"assignment_rule": "default"})
    [kept] = adapter.upsert(
        "Lead", MA_ID, [lead("ma-2", OwnerId=sf_fake.api_user_id)], options={"assignment_rule": "none"}
    )
    [updated] = adapter.upsert("Lead", "Id", [Outgoing(key=kept.id, fields={"Title": "VP"})])
    owners = {
        r.fields[MA_ID]: (r.fields["OwnerId"], r.fields["Title"])
        for r in adapter.query("SELECT Revloop_MA_Id__c, OwnerId, Title FROM Lead")
    }
    assert owners == {"ma-1": (mori, None), "ma-2": (sf_fake.api_user_id, "VP")}
    assert (assigned.outcome, updated.outcome, updated.id) == (Outcome.CREATED, Outcome.UPDATED, kept.id)


def test_more_than_200_records_are_refused(make_salesforce, sf_fake):
    adapter = make_salesforce()
    with pytest.raises(ValueError, match="at most 200"):
        adapter.upsert("Lead", MA_ID, [lead(f"ma-{i}") for i in range(201)])
    assert adapter.guard.total_calls == 0
    adapter.max_write_batch = 201  # let one through to see the fake refuse it as Salesforce does
    with pytest.raises(RecordRejectedError) as refused:
        adapter.upsert("Lead", MA_ID, [lead(f"ma-{i}") for i in range(201)])
    assert (refused.value.status, refused.value.code) == (400, "EXCEEDED_ID_LIMIT")
    assert "cannot submit more than 200 records" in str(refused.value)
    assert sf_fake.creates_by_key("Lead", MA_ID) == {}


def test_describe(make_salesforce):
    schema = make_salesforce().describe("Lead")
    assert schema.system == "salesforce" and schema.object == "Lead"
    assert [name for name, f in schema.fields.items() if f.required] == ["LastName", "Company"]
    status, source, key = schema.field("Status"), schema.field("LeadSource"), schema.field(MA_ID)
    assert status.picklist[0] == "Open - Not Contacted" and status.restricted_picklist and not status.required
    assert "Trade Show" in source.picklist and source.type == "picklist"
    assert (key.external_id, key.length, key.type) == (True, 64, "string")
    assert not schema.field("IsConverted").createable and schema.field("Email").length == 80


def test_bulk_query_streams_every_row_through_the_guard(make_salesforce, sf_fake):
    ids = seed_leads(sf_fake, 5)
    sf_fake.seed({"Lead": [{"LastName": "Titled", "Company": "Acme", MA_ID: "ma-t", "Title": "x"}]})
    adapter = make_salesforce()

    found = list(adapter.bulk_query("SELECT Id, Revloop_MA_Id__c, Title FROM Lead", poll_s=0.01))

    assert sorted((r.fields[MA_ID], r.fields["Title"]) for r in found) == [
        *((f"ma-{i}", None) for i in range(5)),
        ("ma-t", "x"),
    ]
    assert set(ids) < {r.id for r in found}
    assert adapter.guard.calls["bulk.create"] == 1 and adapter.guard.calls["bulk.results"] == 1
    assert adapter.guard.total_calls == sf_fake.total_calls  # every request went through the guard


def test_a_small_first_load_reads_soql_pages_and_ends_with_the_next_runs_cursor(make_salesforce, sf_fake):
    seed_leads(sf_fake, 5)
    adapter = make_salesforce()

    pages = list(adapter.read_all("Lead", [MA_ID], bulk_above=10))

    assert sorted(r.fields[MA_ID] for p in pages for r in p.records) == [f"ma-{i}" for i in range(5)]
    assert adapter.guard.calls["query"] == 1 and adapter.guard.calls["bulk.create"] == 0
    (next_run,) = adapter.read_changes("Lead", pages[-1].cursor, [MA_ID])
    assert next_run.records[-1].fields[MA_ID] == "ma-4"


def test_a_large_first_load_is_one_bulk_query_job_handed_out_in_pages(make_salesforce, sf_fake, monkeypatch):
    seed_leads(sf_fake, 4500)
    adapter = make_salesforce()

    pages = list(adapter.read_all("Lead", [MA_ID, "IsConverted"], bulk_above=1000))

    assert [len(p.records) for p in pages] == [2000, 2000, 500]
    assert len({r.id for p in pages for r in p.records}) == 4500
    assert adapter.guard.calls["query"] == 1  # the first page tells the size; the job reads the rest
    assert adapter.guard.calls["bulk.create"] == 1 and adapter.guard.calls["bulk.results"] == 1
    assert pages[0].records[0].fields["IsConverted"] == "false"  # Bulk 2.0 answers text
    assert "last" in pages[0].cursor  # a crash resumes right after the last page accepted
    again = [
        r.fields[MA_ID] for p in adapter.read_changes("Lead", pages[-1].cursor, [MA_ID]) for r in p.records
    ]
    assert again[-1] == "ma-4499" and len(again) <= 62  # incremental from here: only the read lag's overlap


def test_a_dry_run_first_load_starts_no_bulk_job(make_salesforce, sf_fake):
    seed_leads(sf_fake, 2500)
    adapter = make_salesforce()

    pages = list(adapter.read_all("Lead", [MA_ID], bulk_above=1000, dry_run=True))

    assert sum(len(p.records) for p in pages) == 2500
    assert adapter.guard.calls["bulk.create"] == 0 and adapter.guard.calls["query.more"] == 1
