"""The review queue as admins see it: cases, their counts per flow, and what a decision would change.

A case is about one source record whose identity match the engine found plausible but not conclusive
(connector/flows/handoff/match.py). Deciding it (link to a proposed record, create a new one, or reject
the proposals) is stored here and made due in the outbox; the next run of the flow writes it. Cases name
record ids, reason codes and evidence kinds, never personal data.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from sqlalchemy import Engine

from connector.state import identity, outbox, review

OPEN, LINKED, CREATED, REJECTED = review.OPEN, review.LINKED, review.CREATED, review.REJECTED
PEOPLE = ("Lead", "Contact")


class ReviewAction(NamedTuple):
    name: str
    status: str
    effect: str
    """What the next run does, for the listing shown before a decision."""


LINK = ReviewAction("link", LINKED, "the next run links it to {target} and updates that record")
CREATE = ReviewAction("create", CREATED, "the next run creates a new record for it")
REJECT = ReviewAction(
    "reject", REJECTED, "the proposed records are never proposed for it again; the next run decides again"
)


def list_cases(
    engine: Engine, *, flow: str | None = None, include_closed: bool = False, limit: int = 200
) -> list[dict[str, Any]]:
    """Cases, newest first: open ones, or every status with ``include_closed``."""
    statuses = () if include_closed else (OPEN,)
    with engine.connect() as connection:
        return review.query(connection, flow=flow, statuses=statuses, limit=limit)


def get_case(engine: Engine, case_id: int) -> dict[str, Any] | None:
    """One case whatever its status, or None."""
    with engine.connect() as connection:
        rows = review.query(connection, ids=[case_id], statuses=())
    return rows[0] if rows else None


def open_counts(engine: Engine) -> dict[str, int]:
    """Open cases per flow (flows without any are absent)."""
    with engine.connect() as connection:
        return review.open_counts(connection)


@dataclass(frozen=True)
class Proposal:
    """A decision as it would be applied: the case, the action and, for a link, the record chosen."""

    case: dict[str, Any]
    action: ReviewAction
    target: tuple[str, str] | None = None
    """(object, record id) to link to."""

    def describe(self) -> str:
        case = self.case
        record = f"{case['source_system']} {case['source_object']} {case['source_key']}"
        target = f"{self.target[0]} {self.target[1]}" if self.target else ""
        return (
            f"case {case['id']}  flow {case['flow']}  record {record}  {case['code']}\n"
            f"  {self.action.name}: {self.action.effect.format(target=target)}"
        )


class ReviewRefused(ValueError):
    """The decision cannot be made (an unknown case or target, a case already decided): nothing changed."""


def propose(
    engine: Engine, action: ReviewAction, case_id: int, target_id: str | None = None, *, force: bool = False
) -> Proposal:
    """What ``action`` on case ``case_id`` would do, checked; raises ReviewRefused when it cannot be done.

    A link's ``target_id`` must be one of the case's proposed records; with ``force``, any Lead or Contact
    the identity index knows in the case's target system.
    """
    case = get_case(engine, case_id)
    if case is None:
        raise ReviewRefused(f"no review case with id {case_id}")
    if case["status"] != OPEN:
        raise ReviewRefused(f"case {case_id} is already {case['status']}: only open cases can be decided")
    if action is not LINK:
        return Proposal(case, action)
    if not target_id:
        raise ReviewRefused("link needs the TARGET_ID of the record to link to")
    return Proposal(case, action, _link_target(engine, case, target_id, force=force))


def _link_target(engine: Engine, case: dict[str, Any], target_id: str, *, force: bool) -> tuple[str, str]:
    for candidate in case["candidates"]:
        if candidate["record_id"] == target_id:
            return candidate["object"], target_id
    proposed = ", ".join(c["record_id"] for c in case["candidates"]) or "none"
    if not force:
        raise ReviewRefused(
            f"{target_id} is not a record case {case['id']} proposes (proposed: {proposed}); "
            "pass --force to link to another record"
        )
    with engine.connect() as connection:
        for obj in PEOPLE:
            if identity.get(connection, case["target_system"], obj, [target_id]):
                return obj, target_id
    system = case["target_system"]
    raise ReviewRefused(f"no Lead or Contact with id {target_id} in {system}'s identity index")


def apply(engine: Engine, proposal: Proposal, *, by: str) -> dict[str, Any]:
    """Store the decision and make the waiting record due, in one transaction; returns the case as it is.

    Raises ReviewRefused when the case was decided meanwhile (nothing changed then).
    """
    case = proposal.case
    with engine.begin() as connection:
        decided = review.decide(connection, case["id"], proposal.action.status, by=by, target=proposal.target)
        if decided is None:
            raise ReviewRefused(f"case {case['id']} was decided meanwhile; nothing changed")
        outbox.make_due(connection, case["flow"], case["stage"], [case["source_key"]])
    return decided
