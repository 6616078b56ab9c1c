"""What moved where: linked people per flow, target object and how the link came about."""

from __future__ import annotations

import pytest

from connector.config import Config
from connector.queries.moves import Move, moves
from connector.state import links
from connector.state.links import RecordRef


@pytest.fixture
def config(config: Config) -> Config:
    """The two handoffs only: links have no direction, so a reverse flow (feedback) would list them too."""
    flows = {name: flow for name, flow in config.flows.items() if name != "feedback"}
    return config.model_copy(update={"flows": flows})


def _link(engine, source: RecordRef, target: RecordRef, status: str = "created") -> None:
    with engine.begin() as connection:
        links.connect(connection, [(source, target)], "person", status=status)


def hubspot(record_id: str) -> RecordRef:
    return RecordRef("hubspot", "contacts", record_id)


def marketo(record_id: str) -> RecordRef:
    return RecordRef("marketo", "leads", record_id)


def lead(record_id: str) -> RecordRef:
    return RecordRef("salesforce", "Lead", record_id)


def contact(record_id: str) -> RecordRef:
    return RecordRef("salesforce", "Contact", record_id)


def test_people_per_flow_object_and_status(engine, config) -> None:
    _link(engine, hubspot("1"), lead("00Q1"))
    _link(engine, hubspot("2"), lead("00Q2"))
    _link(engine, hubspot("3"), lead("00Q3"), status="linked")
    _link(engine, hubspot("4"), contact("0031"))
    _link(engine, marketo("1"), lead("00Q9"))
    _link(engine, marketo("2"), lead("00Q1"))  # the same person in both MAs: one link, counted per flow

    assert moves(engine, config) == [
        Move("handoff", "hubspot", "salesforce", "Contact", "created", 1),
        Move("handoff", "hubspot", "salesforce", "Lead", "created", 2),
        Move("handoff", "hubspot", "salesforce", "Lead", "linked", 1),
        Move("marketo_handoff", "marketo", "salesforce", "Lead", "created", 2),
    ]


def test_a_converted_lead_counts_once_under_its_contact(engine, config) -> None:
    _link(engine, hubspot("1"), lead("00Q1"))
    _link(engine, hubspot("2"), lead("00Q2"))
    with engine.begin() as connection:
        links.follow_conversion(connection, lead("00Q1"), contact("0031"))

    assert moves(engine, config) == [
        Move("handoff", "hubspot", "salesforce", "Contact", "converted", 1),
        Move("handoff", "hubspot", "salesforce", "Lead", "created", 1),
    ]


def test_nothing_linked_moves_nothing(engine, config) -> None:
    assert moves(engine, config) == []
