"""One contract, every adapter: the same assertions over Salesforce, HubSpot and Marketo on their fakes.

Each system is described once by a :class:`Subject` (its main object, an upsert key, a text field and a
record its fake refuses); every test then runs on all three through the ``subject`` fixture. A new
system gets this suite by adding its Subject.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pytest

from connector.errors import ErrorCategory
from connector.records import Outcome, Outgoing, Page
from connector.sandbox.framework import FakeService
from connector.systems import SYSTEMS
from connector.systems.base import Associations, Lists, Owners, Removals, System

pytest_plugins = ("conftest_salesforce", "conftest_hubspot", "conftest_marketo")

SF_KEY = "Revloop_MA_Id__c"


@dataclass
class Subject:
    """How the contract drives one system on its fake."""

    system: System
    fake: FakeService
    obj: str
    """The main object: the one the handoff reads or writes."""
    key_field: str
    """An external-id field to upsert by."""
    field: str
    """A writable text field."""
    key: Callable[[int], str]
    """The n-th upsert key."""
    fixed: dict[str, str]
    """Fields every record needs besides ``field`` (required ones)."""
    refused: Outgoing
    """A record the system refuses for its content alone."""
    seed: Callable[[int], list[str]]
    """Puts n records in the fake as changes; returns their ids."""
    capabilities: set[type] = field(default_factory=set)

    def record(self, n: int, value: str) -> Outgoing:
        return Outgoing(self.key(n), {**self.fixed, self.field: value})

    def read(self, cursor) -> list[Page]:
        return list(self.system.read_changes(self.obj, cursor, [self.field]))


@pytest.fixture
def salesforce_subject(make_salesforce, sf_fake) -> Subject:
    def seed(count: int) -> list[str]:
        rows = [{"LastName": f"L{n}", "Company": "Acme", SF_KEY: f"seed-{n}"} for n in range(count)]
        return sf_fake.seed({"Lead": rows})["Lead"]

    return Subject(
        system=make_salesforce(),
        fake=sf_fake,
        obj="Lead",
        key_field=SF_KEY,
        field="Title",
        key=lambda n: f"ma-contract-{n}",
        fixed={"LastName": "Sato", "Company": "Acme"},
        refused=Outgoing("ma-refused", {"LastName": "Sato", "Company": "Acme", "Email": "not-an-email"}),
        seed=seed,
    )


@pytest.fixture
def hubspot_subject(make_hubspot, hubspot_fake) -> Subject:
    def seed(count: int) -> list[str]:
        rows = [{"properties": {"email": f"seed{n}@example.com", "firstname": f"F{n}"}} for n in range(count)]
        return hubspot_fake.seed({"contacts": rows})["contacts"]

    return Subject(
        system=make_hubspot(),
        fake=hubspot_fake,
        obj="contacts",
        key_field="email",
        field="firstname",
        key=lambda n: f"contract{n}@example.com",
        fixed={},
        refused=Outgoing("not-an-email", {"firstname": "Refused"}),
        seed=seed,
        capabilities={Lists, Owners, Associations, Removals},
    )


@pytest.fixture
def marketo_subject(make_marketo, marketo_settings, marketo_fake) -> Subject:
    def seed(count: int) -> list[str]:
        rows = [{"email": f"seed{n}@example.com", "firstName": f"F{n}"} for n in range(count)]
        return [str(lead_id) for lead_id in marketo_fake.seed({"leads": rows})["leads"]]

    return Subject(
        system=make_marketo(settings=marketo_settings.model_copy(update={"list_folder": 12})),
        fake=marketo_fake,
        obj="leads",
        key_field="email",
        field="firstName",
        key=lambda n: f"contract{n}@example.com",
        fixed={},
        refused=Outgoing("not-an-email", {"firstName": "Refused"}),
        seed=seed,
        capabilities={Lists},
    )


@pytest.fixture(params=list(SYSTEMS))
def subject(request) -> Subject:
    return request.getfixturevalue(f"{request.param}_subject")


@pytest.fixture(params=[kind for kind in SYSTEMS if kind != "salesforce"])
def lists_subject(request) -> Subject:
    return request.getfixturevalue(f"{request.param}_subject")


def ids_of(pages: list[Page]) -> list[str]:
    return [record.id for page in pages for record in page.records]


def test_the_adapter_is_registered_and_declares_its_capabilities(subject):
    system = subject.system
    assert isinstance(system, System) and system.kind in SYSTEMS
    assert isinstance(system, SYSTEMS[system.kind].adapter_class())
    capabilities = (Lists, Owners, Associations, Removals)
    assert {cap for cap in capabilities if isinstance(system, cap)} == subject.capabilities


def test_check_is_one_authenticated_call_once_signed_in(subject):
    subject.system.check()
    before = subject.system.guard.total_calls
    subject.system.check()
    assert subject.system.guard.total_calls - before == 1


def test_describe_names_the_upsert_key_and_a_writable_field(subject):
    schema = subject.system.describe(subject.obj)
    assert (schema.system, schema.object) == (subject.system.kind, subject.obj)
    assert schema.field(subject.key_field).external_id
    writable = schema.field(subject.field)
    assert writable.createable and writable.updateable


def test_upsert_creates_then_updates_the_same_record_by_key(subject):
    [created] = subject.system.upsert(subject.obj, subject.key_field, [subject.record(0, "First")])
    [updated] = subject.system.upsert(subject.obj, subject.key_field, [subject.record(0, "Second")])

    assert (created.key, created.outcome) == (subject.key(0), Outcome.CREATED)
    assert (updated.outcome, updated.id) == (Outcome.UPDATED, created.id)
    found = list(
        subject.system.read_by_keys(subject.obj, subject.key_field, [subject.key(0)], [subject.field])
    )
    assert [(record.id, record.fields[subject.field]) for record in found] == [(created.id, "Second")]


def test_a_refused_record_fails_alone_and_results_keep_input_order(subject):
    batch = [subject.record(1, "One"), subject.refused, subject.record(2, "Two")]

    results = subject.system.upsert(subject.obj, subject.key_field, batch)

    assert [result.key for result in results] == [record.key for record in batch]
    assert [result.outcome for result in results] == [Outcome.CREATED, Outcome.FAILED, Outcome.CREATED]
    assert results[1].error.category is ErrorCategory.RECORD_REJECT and results[1].error.code
    keys = [subject.key(1), subject.key(2), subject.refused.key]
    found = subject.system.read_by_keys(subject.obj, subject.key_field, keys, [subject.field])
    assert sorted(record.fields[subject.field] for record in found) == ["One", "Two"]


def test_read_by_keys_returns_the_records_of_known_keys_only(subject):
    written = subject.system.upsert(
        subject.obj, subject.key_field, [subject.record(n, f"V{n}") for n in range(3)]
    )
    keys = [subject.key(0), subject.key(2), subject.key(99)]

    found = list(subject.system.read_by_keys(subject.obj, subject.key_field, keys, [subject.field]))

    assert sorted((record.id, record.fields[subject.field]) for record in found) == sorted(
        [(written[0].id, "V0"), (written[2].id, "V2")]
    )


def test_read_changes_pages_at_the_maximum_and_resumes_from_a_page_cursor(subject):
    seeded = subject.seed(subject.system.max_read_page + 50)

    pages = subject.read(None)

    assert [len(page.records) for page in pages] == [subject.system.max_read_page, 50]
    assert sorted(ids_of(pages)) == sorted(seeded)
    resumed = subject.read(pages[0].cursor)
    assert ids_of(pages[:1]) + ids_of(resumed) == ids_of(pages)  # nothing lost, nothing twice


def test_a_run_with_no_changes_is_one_call_and_one_last_page(subject):
    seeded = subject.seed(3)
    cursor = subject.read(None)[-1].cursor
    before = subject.system.guard.total_calls

    pages = subject.read(cursor)

    assert subject.system.guard.total_calls - before == 1
    assert len(pages) == 1 and set(ids_of(pages)) <= set(seeded)  # at most the overlap is read again


def test_an_empty_object_reads_as_one_empty_last_page(subject):
    pages = subject.read(None)
    assert [page.records for page in pages] == [()]
    assert [page.records for page in subject.read(pages[-1].cursor)] == [()]


def test_the_write_batch_maximum_is_one_call_and_one_more_is_refused_before_any_call(subject):
    subject.system.check()
    limit = subject.system.max_write_batch
    before = subject.system.guard.total_calls

    results = subject.system.upsert(
        subject.obj, subject.key_field, [subject.record(n, "x") for n in range(limit)]
    )

    assert [result.outcome for result in results] == [Outcome.CREATED] * limit
    assert subject.system.guard.total_calls - before == 1
    too_many = [subject.record(n, "x") for n in range(limit + 1)]
    with pytest.raises(ValueError, match=str(limit)):
        subject.system.upsert(subject.obj, subject.key_field, too_many)
    assert subject.system.guard.total_calls - before == 1


def test_lists_find_or_create_once_and_report_one_result_per_id(lists_subject):
    system = lists_subject.system
    assert isinstance(system, Lists)
    members = [lists_subject.record(n, "Member") for n in range(2)]
    people = [result.id for result in system.upsert(lists_subject.obj, lists_subject.key_field, members)]
    list_id = system.find_or_create_list("Contract: upsell")
    assert system.find_or_create_list("Contract: upsell") == list_id

    added = system.add_to_list(list_id, [people[0], people[1], "999999"])
    assert [(r.key, r.outcome) for r in added] == [
        (people[0], Outcome.CREATED),
        (people[1], Outcome.CREATED),
        ("999999", Outcome.FAILED),
    ]
    assert sorted(system.list_members(list_id)) == sorted(people[:2])
    assert [r.outcome for r in system.remove_from_list(list_id, people[:1])] == [Outcome.UPDATED]
    assert [r.outcome for r in system.remove_from_list(list_id, people[:1])] == [Outcome.UNCHANGED]
    assert list(system.list_members(list_id)) == [people[1]]


def test_removed_records_are_gone_and_removing_again_is_harmless(subject):
    if Removals not in subject.capabilities:
        pytest.skip(f"{subject.system.kind} does not remove records")
    written = subject.system.upsert(
        subject.obj, subject.key_field, [subject.record(n, "x") for n in range(3)]
    )
    ids = [result.id for result in written]

    removed = subject.system.remove(subject.obj, ids[:2])

    assert [(r.key, r.outcome) for r in removed] == [(ids[0], Outcome.UPDATED), (ids[1], Outcome.UPDATED)]
    keys = [subject.key(n) for n in range(3)]
    assert [r.id for r in subject.system.read_by_keys(subject.obj, subject.key_field, keys, [])] == ids[2:]
    assert [r.outcome for r in subject.system.remove(subject.obj, ids[:1])] == [Outcome.UPDATED]
