"""HubSpot owners: the fake's owners v3 endpoint with the real client, and the adapter's lookup by email."""

from __future__ import annotations

import logging

import pytest
from hubspot import HubSpot

from connector.systems.base import Owners

pytest_plugins = ("conftest_hubspot",)


@pytest.fixture
def client(hubspot_sandbox, hubspot_fake):
    level = logging.getLogger("urllib3").level  # each client Configuration() resets it
    yield HubSpot(
        access_token=hubspot_fake.static_token,
        host=hubspot_sandbox.url("hubspot"),
        ssl_ca_cert=str(hubspot_sandbox.ca_bundle),
    )
    logging.getLogger("urllib3").setLevel(level)


def seed_owners(fake, count: int, **extra) -> list[str]:
    owners = [
        {"email": f"Rep{n}@Example.com", "firstName": f"R{n}", "lastName": "Rep", **extra}
        for n in range(count)
    ]
    return fake.seed({"owners": owners})["owners"]


def test_the_client_pages_and_filters_owners(client, hubspot_fake):
    ids = seed_owners(hubspot_fake, 3)
    seed_owners(hubspot_fake, 1, archived=True)
    owners = client.crm.owners.owners_api

    first = owners.get_page(limit=2)
    rest = owners.get_page(limit=2, after=first.paging.next.after)
    by_email = owners.get_page(email="rep1@example.com")
    one = owners.get_by_id(ids[2])

    assert [o.id for o in first.results + rest.results] == ids and rest.paging is None
    assert first.results[0].email == "rep0@example.com" and first.results[0].user_id
    assert [o.id for o in by_email.results] == [ids[1]]
    assert (one.first_name, one.archived) == ("R2", False)
    assert len(owners.get_page(archived=True).results) == 1


def test_the_adapter_reads_every_owner_by_email_a_page_of_100_at_a_time(hubspot, hubspot_fake):
    ids = seed_owners(hubspot_fake, 150)

    found = hubspot.owners_by_email()

    assert isinstance(hubspot, Owners)
    assert found["rep149@example.com"] == ids[149] and len(found) == 150
    assert hubspot.guard.calls["owners.list"] == 2


def test_contacts_take_an_owner_by_its_id(hubspot, hubspot_fake):
    [owner] = seed_owners(hubspot_fake, 1)
    [contact] = hubspot_fake.seed({"contacts": [{"properties": {"email": "c@example.com"}}]})["contacts"]
    definition = hubspot.describe("contacts").field("hubspot_owner_id")

    hubspot_fake.touch("contacts", contact, {"hubspot_owner_id": owner})

    assert definition is not None and definition.picklist == ()  # the owners API lists them, not the property
    assert hubspot_fake.dump_state()["contacts"][0]["properties"]["hubspot_owner_id"] == owner
