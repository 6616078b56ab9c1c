"""HubSpot writes end to end: batch update/upsert, 207 parsing, bisection, associations, lists, describe."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from connector.errors import ConfigError, ErrorCategory, SchemaDriftError
from connector.records import Outcome, Outgoing
from connector.systems.hubspot.transport import Answer
from connector.systems.hubspot.write import BatchWrite

pytest_plugins = ("conftest_hubspot",)


def contacts(fake, count: int) -> list[str]:
    rows = [{"properties": {"email": f"c{n}@example.com", "firstname": f"F{n}"}} for n in range(count)]
    return fake.seed({"contacts": rows})["contacts"]


def stored(fake, object_type: str = "contacts") -> dict[str, dict]:
    return {row["id"]: row["properties"] for row in fake.dump_state()[object_type]}


def test_upsert_by_email_creates_and_updates_in_input_order(hubspot, hubspot_fake):
    ids = contacts(hubspot_fake, 2)
    batch = [
        Outgoing("new@example.com", {"firstname": "New", "hubspotscore": 85}),
        Outgoing("C1@Example.com", {"firstname": "Changed", "lifecyclestage": "lead"}),
    ]
    results = hubspot.upsert("contacts", "email", batch)

    assert [(r.key, r.outcome) for r in results] == [
        ("new@example.com", Outcome.CREATED),
        ("C1@Example.com", Outcome.UPDATED),
    ]
    assert results[1].id == ids[1]
    rows = stored(hubspot_fake)
    assert rows[results[0].id]["hubspotscore"] == "85"
    assert rows[ids[1]]["firstname"] == "Changed"
    assert hubspot.guard.calls == {"batch.upsert": 1}
    assert hubspot_fake.creates_per_key("contacts", "email") == {
        "c0@example.com": 1,
        "c1@example.com": 1,
        "new@example.com": 1,
    }


def test_values_are_sent_as_hubspot_strings(hubspot, hubspot_fake):
    ids = contacts(hubspot_fake, 1)
    fields = {"hubspotscore": 90.0, "revloop_pricing_page_views": 3, "firstname": None, "city": "Tokyo"}
    results = hubspot.upsert("contacts", "hs_object_id", [Outgoing(ids[0], fields)])
    assert results[0].outcome is Outcome.UPDATED
    row = stored(hubspot_fake)[ids[0]]
    assert (row["hubspotscore"], row["revloop_pricing_page_views"], row["city"]) == ("90", "3", "Tokyo")
    assert "firstname" not in row  # None clears the value


def test_batch_update_by_id_reports_unknown_ids_per_record(hubspot, hubspot_fake):
    ids = contacts(hubspot_fake, 3)
    batch = [
        Outgoing(ids[0], {"city": "Osaka"}),
        Outgoing("424242", {"city": "Nowhere"}),
        Outgoing(ids[2], {"city": "Kobe"}),
    ]
    results = hubspot.upsert("contacts", "hs_object_id", batch)

    assert [r.outcome for r in results] == [Outcome.UPDATED, Outcome.FAILED, Outcome.UPDATED]
    assert results[1].error.code == "OBJECT_NOT_FOUND"
    assert results[1].error.category is ErrorCategory.RECORD_REJECT
    assert hubspot.guard.calls == {"batch.update": 1}  # a 207: no retry, no split
    assert stored(hubspot_fake)[ids[2]]["city"] == "Kobe"


class CannedTransport:
    """Stands in for HubSpotTransport and answers every batch call with one canned HubSpot body."""

    def __init__(self, status: int, body: dict) -> None:
        self.answer = Answer(status, body)
        self.batch = SimpleNamespace(upsert_with_http_info=None, update_with_http_info=None)

    def call(self, endpoint, request, **keywords) -> Answer:
        return self.answer


def test_a_207_upsert_answer_is_mapped_back_by_key_whatever_the_order():
    body = {
        "status": "COMPLETE",
        "results": [
            {"id": "7", "new": False, "properties": {"email": "c@example.com"}},
            {"id": "9", "new": True, "properties": {"email": "a@example.com"}},
        ],
        "numErrors": 1,
        "errors": [
            {
                "status": "error",
                "category": "VALIDATION_ERROR",
                "message": "Property values were not valid",
                "context": {"ids": ["B@Example.com"]},
                "errors": [{"message": "Email address B is invalid", "code": "INVALID_EMAIL"}],
            }
        ],
    }
    batch = [
        Outgoing(key, {}) for key in ("A@example.com", "B@Example.com", "c@example.com", "d@example.com")
    ]
    results = BatchWrite(CannedTransport(207, body), "contacts", "email", batch).run()

    assert [(r.key, r.outcome, r.id) for r in results] == [
        ("A@example.com", Outcome.CREATED, "9"),
        ("B@Example.com", Outcome.FAILED, None),
        ("c@example.com", Outcome.UPDATED, "7"),
        ("d@example.com", Outcome.FAILED, None),
    ]
    assert (results[1].error.code, results[1].error.category) == (
        "INVALID_EMAIL",
        ErrorCategory.RECORD_REJECT,
    )
    assert (results[3].error.code, results[3].error.category) == ("NO_RESULT", ErrorCategory.TRANSIENT)


def test_two_bad_records_in_a_batch_of_100_are_isolated_by_bisection(hubspot, hubspot_fake):
    batch = [Outgoing(f"p{n}@example.com", {"firstname": f"P{n}"}) for n in range(100)]
    batch[10] = Outgoing("p10@example.com", {"firstname": "P10", "hubspotscore": "very high"})
    batch[70] = Outgoing("p70@example.com", {"lifecyclestage": "prospect"})
    results = hubspot.upsert("contacts", "email", batch)

    failed = {index: r.error for index, r in enumerate(results) if not r.ok}
    assert sorted(failed) == [10, 70]
    assert (failed[10].code, failed[10].fields) == ("INVALID_INTEGER", ("hubspotscore",))
    assert (failed[70].code, failed[70].fields) == ("INVALID_OPTION", ("lifecyclestage",))
    assert all(e.category is ErrorCategory.RECORD_REJECT for e in failed.values())
    assert len(stored(hubspot_fake)) == 98
    # 1 whole batch + 10 calls to corner each bad record: halves that went through clear their
    # sibling of suspicion only when the sibling is the one left over (see hubspot_write).
    assert hubspot.guard.calls == {"batch.upsert": 21}
    assert all(count == 1 for count in hubspot_fake.creates_per_key("contacts", "email").values())


def test_upsert_needs_a_unique_key_property(hubspot, hubspot_fake):
    with pytest.raises(SchemaDriftError, match="not a unique property"):
        hubspot.upsert("contacts", "revloop_salesforce_id", [Outgoing("00Q1", {"firstname": "A"})])
    assert hubspot.guard.calls == {"properties.list": 1}


def test_a_unique_value_conflict_fails_only_that_record(hubspot, hubspot_fake):
    unique = {"name": "revloop_salesforce_id", "hasUniqueValue": True}
    hubspot_fake.seed({"properties": {"contacts": [unique]}})
    contacts(hubspot_fake, 1)
    batch = [
        Outgoing("00Q1", {"email": "c0@example.com", "firstname": "Taken"}),
        Outgoing("00Q2", {"email": "free@example.com"}),
    ]
    results = hubspot.upsert("contacts", "revloop_salesforce_id", batch)
    assert [r.outcome for r in results] == [Outcome.FAILED, Outcome.CREATED]
    assert results[0].error.code == "CONFLICT"
    assert "Existing ID: 1001" in results[0].error.message


def test_an_unknown_property_is_schema_drift_and_is_not_bisected(hubspot, hubspot_fake):
    batch = [Outgoing(f"d{n}@example.com", {"favourite_colour": "blue"}) for n in range(50)]
    with pytest.raises(SchemaDriftError, match="favourite_colour"):
        hubspot.upsert("contacts", "email", batch)
    assert hubspot.guard.calls == {"batch.upsert": 1}
    with pytest.raises(SchemaDriftError, match="READ_ONLY_VALUE"):
        hubspot.upsert("contacts", "email", [Outgoing("x@example.com", {"lastmodifieddate": "1"})])


def test_more_than_100_inputs_are_refused_before_any_call(hubspot):
    with pytest.raises(ValueError, match="at most 100"):
        hubspot.upsert("contacts", "email", [Outgoing(f"x{n}@example.com", {}) for n in range(101)])
    assert hubspot.guard.total_calls == 0
    assert hubspot.upsert("contacts", "email", []) == []


def test_write_options_are_a_config_error(hubspot):
    with pytest.raises(ConfigError, match="no options"):
        hubspot.upsert("contacts", "email", [Outgoing("x@example.com", {})], options={"action": "createOnly"})


def test_associations_default_and_labelled_in_chunks_of_100(hubspot, hubspot_fake):
    people = contacts(hubspot_fake, 150)
    company = hubspot_fake.seed({"companies": [{"properties": {"name": "Acme"}}]})["companies"][0]
    pairs = [(person, company) for person in people]
    results = hubspot.associate("contacts", "companies", [*pairs, (people[0], "777")])
    assert [r.outcome for r in results[:150]] == [Outcome.CREATED] * 150
    assert results[150].outcome is Outcome.FAILED and results[150].key == f"{people[0]}:777"
    assert hubspot.guard.calls == {"associations.batch.default": 2}

    labelled = hubspot.associate("contacts", "companies", pairs[:2], type_id=1)
    assert [r.outcome for r in labelled] == [Outcome.CREATED] * 2
    links = [a for a in hubspot_fake.dump_state()["associations"] if a["fromId"] == people[0]]
    assert links[0]["types"] == [
        {"category": "HUBSPOT_DEFINED", "typeId": 1},
        {"category": "HUBSPOT_DEFINED", "typeId": 279},
    ]


def test_dissociate_removes_links_from_both_sides_100_a_call(hubspot, hubspot_fake):
    people = contacts(hubspot_fake, 120)
    company = hubspot_fake.seed({"companies": [{"properties": {"name": "Acme"}}]})["companies"][0]
    hubspot.associate("contacts", "companies", [(person, company) for person in people])
    hubspot.guard.calls.clear()

    gone = hubspot.dissociate("companies", "contacts", [(company, person) for person in people[:110]])

    assert [r.outcome for r in gone] == [Outcome.UPDATED] * 110 and gone[0].key == f"{company}:{people[0]}"
    assert hubspot.guard.calls == {"associations.batch.archive": 2}
    left = {
        a["fromId"] for a in hubspot_fake.dump_state()["associations"] if a["toObjectType"] == "companies"
    }
    assert left == set(people[110:])  # the contacts' side is gone too
    assert [r.outcome for r in hubspot.dissociate("companies", "contacts", [(company, people[0])])] == [
        Outcome.UPDATED
    ]  # removing a link that is not there is harmless


def test_remove_archives_records_and_their_associations(hubspot, hubspot_fake):
    people = contacts(hubspot_fake, 3)
    company = hubspot_fake.seed({"companies": [{"properties": {"name": "Acme"}}]})["companies"][0]
    hubspot.associate("contacts", "companies", [(person, company) for person in people])

    removed = hubspot.remove("contacts", people[:2])

    assert [(r.key, r.outcome) for r in removed] == [
        (people[0], Outcome.UPDATED),
        (people[1], Outcome.UPDATED),
    ]
    assert [r.id for r in hubspot.read_by_keys("contacts", "hs_object_id", people, ["email"])] == [people[2]]
    [read] = hubspot.links.transport.associations.get_page(
        "companies", "contacts", {"inputs": [{"id": company}]}
    ).results
    assert [to.to_object_id for to in read.to] == [people[2]]  # archived records take their links along


def test_lists_are_found_or_created_and_memberships_change_100_a_call(hubspot, hubspot_fake):
    people = contacts(hubspot_fake, 300)
    list_id = hubspot.find_or_create_list("Upsell: heavy users")
    assert hubspot.find_or_create_list("Upsell: heavy users") == list_id
    assert len(hubspot_fake.dump_state()["lists"]) == 1

    added = hubspot.add_to_list(list_id, [*people, "999999"])
    assert [r.key for r in added] == [*people, "999999"]
    assert [r.outcome for r in added] == [Outcome.CREATED] * 300 + [Outcome.FAILED]
    assert added[-1].error.code == "NOT_FOUND"
    again = hubspot.add_to_list(list_id, people[:5])
    assert [r.outcome for r in again] == [Outcome.UNCHANGED] * 5
    assert sorted(hubspot.list_members(list_id), key=int) == people
    removed = hubspot.remove_from_list(list_id, people[:120])
    assert [r.outcome for r in removed] == [Outcome.UPDATED] * 120
    assert len(list(hubspot.list_members(list_id))) == 180
    calls = hubspot.guard.calls
    assert (calls["lists.memberships.add"], calls["lists.memberships.remove"]) == (5, 2)
    assert calls["lists.memberships.get"] == 2 + 1  # 300 members in pages of 250, then 180
    assert (calls["lists.get_by_name"], calls["lists.create"]) == (2, 1)


def test_describe_reads_types_picklists_and_write_rules(hubspot):
    schema = hubspot.describe("contacts")
    lifecycle = schema.field("lifecyclestage")
    assert lifecycle.type == "enumeration" and lifecycle.restricted_picklist
    assert "marketingqualifiedlead" in lifecycle.picklist
    assert schema.field("hs_lead_status").picklist[:2] == ("NEW", "OPEN")
    assert not schema.field("hs_object_id").updateable and not schema.field("lastmodifieddate").createable
    assert schema.field("email").external_id and not schema.field("firstname").external_id
    assert schema.field("hubspotscore").type == "number"
    assert schema.field("revloop_last_synced_at").type == "datetime"
    deals = hubspot.describe("deals")
    assert deals.field("revloop_salesforce_opportunity_id").external_id
    assert "closedwon" in deals.field("dealstage").picklist
    assert hubspot.guard.calls == {"properties.list": 2}
