"""The review queue as plain data: cases opened by a flow, decisions that make the record due, rejected
pairs, settling when a run wrote the record, and the counts `status` shows."""

from __future__ import annotations

from datetime import datetime

import pytest
from rich.console import Console
from sqlalchemy import select

from connector.queries import review as queries
from connector.queries.status import flow_statuses
from connector.report.render import review_case_table, review_table, status_table
from connector.state import outbox, review
from connector.state.tables import outbox as table


def draft(key: str = "101", *targets: str, code: str = "email_near") -> review.CaseDraft:
    source = review.SourceRef("handoff", "write", "hubspot", "contacts", key)
    proposed = tuple(review.Proposed("Lead", t, code, f"Lead {t}: email nearly the same") for t in targets)
    return review.CaseDraft(
        source, "salesforce", code, "review: " + "; ".join(p.reason for p in proposed), proposed
    )


def held(engine, key: str = "101") -> None:
    """The record waits in the outbox for the decision, as the handoff leaves it."""
    with engine.begin() as connection:
        outbox.enqueue(connection, "handoff", "write", [(key, {"id": key}, "h")])
    (row,) = outbox.claim(engine, "handoff", "write", limit=1, owner="run")
    with engine.begin() as connection:
        outbox.hold_for_review(connection, [row], "run")


def states(engine) -> dict[str, tuple[str, int]]:
    with engine.connect() as connection:
        rows = connection.execute(select(table.c.record_key, table.c.state, table.c.attempt))
        return {key: (state, attempt) for key, state, attempt in rows}


def test_a_record_has_one_open_case_that_a_new_decision_refreshes(engine) -> None:
    with engine.begin() as connection:
        (first,) = review.open_cases(connection, [draft("101", "00Q1")])
        (again,) = review.open_cases(connection, [draft("101", "00Q1", "00Q2", code="several_people")])

    assert first == again
    (case,) = queries.list_cases(engine)
    assert (case["code"], [c["record_id"] for c in case["candidates"]]) == (
        "several_people",
        ["00Q1", "00Q2"],
    )
    assert queries.open_counts(engine) == {"handoff": 1}


def test_a_held_record_is_waiting_but_never_due(engine) -> None:
    held(engine)

    assert states(engine) == {"101": ("review", 0)}  # no attempt spent
    assert outbox.claim(engine, "handoff", "write", limit=10, owner="run") == []
    with engine.connect() as connection:
        assert outbox.counts(connection, "handoff") == {"write": 1}


def test_a_decision_makes_the_record_due_and_is_found_by_the_next_run(engine) -> None:
    held(engine)
    with engine.begin() as connection:
        (case_id,) = review.open_cases(connection, [draft("101", "00Q1")])

    proposal = queries.propose(engine, queries.LINK, case_id, "00Q1")
    decided = queries.apply(engine, proposal, by="alice")

    assert (decided["status"], decided["target_object"], decided["decided_by"]) == ("linked", "Lead", "alice")
    assert states(engine)["101"][0] == "pending"
    with engine.connect() as connection:
        assert review.decisions(connection, "handoff", ["101"]) == {
            "101": review.Decision(case_id, "linked", "Lead", "00Q1")
        }
    with engine.begin() as connection:
        review.settle(connection, "handoff", {"101": "linked"})
    with engine.connect() as connection:
        assert review.decisions(connection, "handoff", ["101"]) == {}  # applied
    assert queries.get_case(engine, case_id)["applied_at"] is not None


def test_a_rejection_stores_every_proposed_pair(engine) -> None:
    with engine.begin() as connection:
        (case_id,) = review.open_cases(connection, [draft("101", "00Q1", "00Q2")])

    queries.apply(engine, queries.propose(engine, queries.REJECT, case_id), by="bob")

    with engine.connect() as connection:
        rejected = review.rejected_targets(connection, "hubspot", "contacts", ["101", "102"], "salesforce")
    assert rejected == {"101": {"00Q1", "00Q2"}}
    assert queries.open_counts(engine) == {}


def test_an_open_case_is_closed_by_revloop_when_the_record_was_written_without_doubt(engine) -> None:
    with engine.begin() as connection:
        (case_id,) = review.open_cases(connection, [draft("101", "00Q1")])
        review.settle(connection, "handoff", {"101": "created", "999": "linked"})

    case = queries.get_case(engine, case_id)
    assert (case["status"], case["decided_by"]) == ("created", "revloop")


@pytest.mark.parametrize(
    ("action", "target", "force", "message"),
    [
        (queries.LINK, "00Q9", False, "00Q9 is not a record case"),
        (queries.LINK, "00Q9", True, "no Lead or Contact with id 00Q9"),
        (queries.LINK, None, False, "link needs the TARGET_ID"),
    ],
)
def test_a_link_to_a_record_not_proposed_is_refused(engine, action, target, force, message) -> None:
    with engine.begin() as connection:
        (case_id,) = review.open_cases(connection, [draft("101", "00Q1")])

    with pytest.raises(queries.ReviewRefused, match=message):
        queries.propose(engine, action, case_id, target, force=force)


def test_status_counts_open_cases_per_flow(engine, config) -> None:
    with engine.begin() as connection:
        review.open_cases(connection, [draft("101", "00Q1"), draft("102", "00Q2")])

    statuses = {status.flow: status.open_reviews for status in flow_statuses(engine, config)}

    assert statuses == {"handoff": 2, "marketo_handoff": 0, "feedback": 0}
    rendered = _text(status_table(flow_statuses(engine, config)))
    assert "review" in rendered


def test_cases_render_with_their_decision(engine) -> None:
    with engine.begin() as connection:
        (case_id,) = review.open_cases(connection, [draft("101", "00Q1")])
    queries.apply(engine, queries.propose(engine, queries.CREATE, case_id), by="carol")
    case = queries.get_case(engine, case_id)

    listing = _text(review_table([case]))
    detail = _text(review_case_table(case))

    assert "hubspot contacts 101" in listing and "created by carol, the next run writes it" in listing
    assert "Lead 00Q1" in detail and "email nearly the same" in detail
    assert isinstance(case["created_at"], datetime)


def _text(table) -> str:
    console = Console(width=300, record=True, highlight=False)
    console.print(table)
    return console.export_text()
