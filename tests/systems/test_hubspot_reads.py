"""HubSpot reads end to end over HTTPS with the real hubspot-api-client: change windows and reads by key."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from connector.errors import ConfigError, StateError
from connector.records import Outgoing
from connector.systems.base import System

pytest_plugins = ("conftest_hubspot",)

FIELDS = ["email", "firstname"]


def days_ago(days: float) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S.000Z")


def ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso).timestamp() * 1000)


def seed_contacts(fake, count: int, *, updated_at: str | None = None, prefix: str = "c") -> list[str]:
    rows = []
    for n in range(count):
        row = {"properties": {"email": f"{prefix}{n}@example.com", "firstname": f"F{n}"}}
        if updated_at is not None:
            row["updatedAt"] = updated_at
        rows.append(row)
    return fake.seed({"contacts": rows})["contacts"]


def read_all(system, cursor, fields=FIELDS, obj="contacts"):
    pages = list(system.read_changes(obj, cursor, fields))
    return [record for page in pages for record in page.records], pages


def test_full_read_pages_200_in_id_order_and_ends_with_the_next_window(hubspot, hubspot_fake):
    ids = seed_contacts(hubspot_fake, 450, updated_at=days_ago(3))
    started = int(time.time() * 1000)
    records, pages = read_all(hubspot, None)

    assert [len(page.records) for page in pages] == [200, 200, 50]
    assert [record.id for record in records] == ids
    assert records[0].fields["email"] == "c0@example.com"
    assert records[0].modified_at == hubspot_fake.dump_state()["contacts"][0]["updatedAt"]
    assert hubspot.guard.calls == {"objects.search": 3}
    assert pages[0].cursor["after_id"] == int(ids[199])
    # records were last modified 3 days ago: the next window starts at the latest of them
    assert pages[-1].cursor == {"version": 1, "since": ms(records[-1].modified_at)}
    assert pages[-1].cursor["since"] < started - 300_000


def test_window_of_more_than_10000_records_sharing_one_timestamp_is_read_once(hubspot, hubspot_fake):
    stamp = days_ago(1)
    ids = seed_contacts(hubspot_fake, 10_450, updated_at=stamp)
    records, pages = read_all(hubspot, {"version": 1, "since": ms(stamp)})

    read_ids = [record.id for record in records]
    assert len(read_ids) == len(set(read_ids)) == 10_450
    assert read_ids == ids
    assert hubspot.guard.calls["objects.search"] == 53  # ceil(10,450 / 200): no 400, no restart, no loop
    assert hubspot_fake.calls["search_objects"] == 53
    assert pages[-1].cursor == {"version": 1, "since": ms(stamp)}


def test_reading_resumes_right_after_a_page_cursor(hubspot, make_hubspot, hubspot_fake):
    ids = seed_contacts(hubspot_fake, 450, updated_at=days_ago(2))
    stream = hubspot.read_changes("contacts", None, FIELDS)
    first = next(stream)
    stream.close()  # the run stops after its first page (crash, lease lost...)

    resumed = make_hubspot()
    rest, pages = read_all(resumed, first.cursor)
    assert [r.id for r in first.records] + [r.id for r in rest] == ids
    assert resumed.guard.calls == {"objects.search": 2}
    assert pages[-1].cursor["since"] == ms(rest[-1].modified_at)


def test_a_read_with_no_changes_costs_one_call_and_does_not_move_forward(make_hubspot, hubspot_fake):
    seed_contacts(hubspot_fake, 30, updated_at=days_ago(5))
    first = make_hubspot(lag_s=0)
    _, pages = read_all(first, None)
    cursor = pages[-1].cursor

    again = make_hubspot(lag_s=0)
    records, pages = read_all(again, cursor)
    assert again.guard.calls == {"objects.search": 1}
    assert len(pages) == 1
    assert all(ms(record.modified_at) == cursor["since"] for record in records)  # only the boundary
    assert pages[-1].cursor == cursor

    future = {"version": 1, "since": int(time.time() * 1000) + 3_600_000}
    records, pages = read_all(make_hubspot(lag_s=0), future)
    assert records == []
    assert pages[-1].cursor["since"] <= future["since"]


def test_a_record_edited_behind_the_read_position_is_caught_by_the_next_window(
    hubspot, make_hubspot, hubspot_fake
):
    ids = seed_contacts(hubspot_fake, 450, updated_at=days_ago(2))
    stream = hubspot.read_changes("contacts", None, FIELDS)
    next(stream)
    hubspot_fake.touch("contacts", ids[10], {"firstname": "Edited"})  # already read in this window
    pages = list(stream)
    assert ids[10] not in {record.id for page in pages for record in page.records}

    touched = ms(hubspot_fake.dump_state()["contacts"][10]["updatedAt"])
    assert pages[-1].cursor["since"] <= touched
    records, _ = read_all(make_hubspot(), pages[-1].cursor)
    assert [record.fields["firstname"] for record in records if record.id == ids[10]] == ["Edited"]


def test_hundreds_of_properties_go_in_the_body_without_a_414(hubspot, hubspot_fake):
    names = [f"custom_property_with_a_long_name_{n:03d}" for n in range(400)]
    hubspot_fake.seed({"properties": {"contacts": [{"name": name} for name in names]}})
    seed_contacts(hubspot_fake, 3)
    hubspot_fake.touch("contacts", "1001", {names[399]: "last one"})

    records, _ = read_all(hubspot, None, fields=names)
    assert records[0].fields[names[399]] == "last one"
    assert records[1].fields[names[0]] is None
    by_key = list(hubspot.read_by_keys("contacts", "hs_object_id", ["1001"], names))
    assert by_key[0].fields[names[399]] == "last one"


def test_other_objects_use_hs_lastmodifieddate(hubspot, hubspot_fake):
    hubspot_fake.seed({"deals": [{"properties": {"dealname": f"D{n}", "amount": "10"}} for n in range(3)]})
    records, _ = read_all(hubspot, None, fields=["dealname"], obj="deals")
    assert [record.fields["dealname"] for record in records] == ["D0", "D1", "D2"]
    assert records[0].modified_at == records[0].fields["hs_lastmodifieddate"]


def test_read_by_record_ids_uses_batch_read_100_keys_a_call(hubspot, hubspot_fake):
    ids = seed_contacts(hubspot_fake, 150)
    records = list(hubspot.read_by_keys("contacts", "hs_object_id", [*ids, "999999"], FIELDS))
    assert sorted(record.id for record in records) == sorted(ids)
    assert hubspot.guard.calls == {"batch.read": 2}


def test_read_by_email_uses_batch_read_with_id_property(hubspot, hubspot_fake):
    seed_contacts(hubspot_fake, 5)
    records = list(
        hubspot.read_by_keys("contacts", "email", ["C1@example.com", "c3@example.com", "none@x.io"], FIELDS)
    )
    assert sorted(record.fields["email"] for record in records) == ["c1@example.com", "c3@example.com"]
    assert hubspot.guard.calls == {"batch.read": 1}


def test_read_by_a_declared_unique_property_asks_the_schema_once(hubspot, hubspot_fake):
    hubspot_fake.seed(
        {
            "deals": [
                {"properties": {"dealname": f"D{n}", "revloop_salesforce_opportunity_id": f"006{n}"}}
                for n in range(4)
            ]
        }
    )
    keys = ["0061", "0063"]
    assert sorted(
        r.fields["dealname"]
        for r in hubspot.read_by_keys("deals", "revloop_salesforce_opportunity_id", keys, ["dealname"])
    ) == ["D1", "D3"]
    list(hubspot.read_by_keys("deals", "revloop_salesforce_opportunity_id", keys, ["dealname"]))
    assert hubspot.guard.calls == {"properties.list": 1, "batch.read": 2}


def test_read_by_a_non_unique_property_searches_with_in_100_values_a_filter(hubspot, hubspot_fake):
    seed_contacts(hubspot_fake, 150)
    hubspot.upsert("contacts", "email", [Outgoing("extra@example.com", {"firstname": "F7"})])
    hubspot.guard.calls.clear()
    wanted = [f"F{n}" for n in range(150)]
    records = list(hubspot.read_by_keys("contacts", "firstname", wanted, FIELDS))
    assert len(records) == 151  # two contacts are called F7
    assert hubspot.guard.calls == {"properties.list": 1, "objects.search": 2}


def test_the_adapter_is_a_system_and_refuses_foreign_cursors(hubspot):
    assert isinstance(hubspot, System)
    assert (hubspot.kind, hubspot.max_write_batch, hubspot.max_read_page) == ("hubspot", 100, 200)
    with pytest.raises(StateError, match="cursor version"):
        next(hubspot.read_changes("contacts", {"version": 99, "since": 0}, FIELDS))


def test_activities_are_refused_with_a_hint(hubspot):
    with pytest.raises(ConfigError, match="contact properties"):
        hubspot.read_changes("contacts", None, FIELDS, activities=["page_view"])
