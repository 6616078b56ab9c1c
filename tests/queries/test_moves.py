"""What moved where: records per flow, target object and how: the link's status for links the flow made,
"updated" for links another flow made that this one wrote."""

from __future__ import annotations

from connector.queries.moves import Move, moves
from connector.state import links
from connector.state.links import RecordRef


def _link(
    engine, source: RecordRef, target: RecordRef, status: str = "created", flow: str = "handoff"
) -> int:
    with engine.begin() as connection:
        return links.connect(connection, [(source, target)], "person", status=status, made_by=flow)[
            source.record_id
        ]


def _written(engine, flow: str, record_key: str, link_id: int) -> None:
    """A write of ``flow`` (its synced state), as the feedback records after updating a contact."""
    state = {
        "record_key": record_key,
        "link_id": link_id,
        "payload": {},
        "payload_hash": "h",
        "source_hash": None,
    }
    with engine.begin() as connection:
        links.save_states(connection, f"{flow}:write", [state], run_id=None)


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
    _link(engine, marketo("1"), lead("00Q9"), flow="marketo_handoff")
    _link(engine, marketo("2"), lead("00Q1"), flow="marketo_handoff")  # the same person in both MAs

    assert moves(engine, config) == [
        Move("handoff", "hubspot", "salesforce", "Contact", "created", 1),
        Move("handoff", "hubspot", "salesforce", "Lead", "created", 2),
        Move("handoff", "hubspot", "salesforce", "Lead", "linked", 1),
        Move("marketo_handoff", "marketo", "salesforce", "Lead", "created", 1),
    ]  # the person in both MAs counts for the flow that made the link (the other flow wrote nothing here)


def test_a_reverse_flow_updates_the_records_another_flow_linked(engine, config) -> None:
    first = _link(engine, hubspot("1"), lead("00Q1"))
    _link(engine, hubspot("2"), lead("00Q2"))
    _written(engine, "feedback", "00Q1", first)  # the feedback updated contact 1
    _link(engine, contact("0039"), hubspot("9"), status="linked", flow="feedback")  # and matched one

    feedback = [move for move in moves(engine, config) if move.flow == "feedback"]

    assert feedback == [
        Move("feedback", "salesforce", "hubspot", "contacts", "linked", 1),
        Move("feedback", "salesforce", "hubspot", "contacts", "updated", 1),
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
