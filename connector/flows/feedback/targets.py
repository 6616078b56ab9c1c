"""Which MA record each waiting person goes to: the one linked to them, or, for people revloop has not
linked (sales created them in Salesforce), the one the handoff's identity rules find.

Matching reads the MA by email in batches (HubSpot 100, Marketo 300 a call) and decides with the
identity engine (:func:`connector.matching.decide_identity`), as the handoff does. Only a link is
acted on, and a link needs the same personal email: so the people that share an email with the person
are every candidate that could link, and reading them costs a call per batch of unlinked people where
mirroring a whole MA (50,000 to 1,000,000 people) would cost a search per 200 people up front and a
call every run. A weak match (review) is an ``ambiguous_match`` error row for an admin, never a guess;
so is an MA record whose own identity waits in the review queue (the handoff found it plausibly several
people) or whose decision the handoff has not written yet: the handoff links it as the admin decided,
and the retried row follows that link. Nobody found means the
person is not in the MA, and feedback never creates MA records.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from connector.errors import ErrorCategory
from connector.flows.base import RunContext
from connector.flows.feedback.mapping import FeedbackMapping
from connector.matching import Candidate, Outcome, Person, decide_identity, person
from connector.records import Record, RecordError
from connector.state import links, review
from connector.state.outbox import OutboxRow


@dataclass(frozen=True)
class Target:
    """The MA record a person's values go to; ``link_id`` None: linked by this write (a match)."""

    record_id: str
    link_id: int | None = None
    explanation: str = ""


@dataclass
class Found:
    """Where each person of a batch goes, and who goes nowhere (with why)."""

    targets: dict[str, Target] = field(default_factory=dict)
    failures: list[tuple[OutboxRow, RecordError]] = field(default_factory=list)
    skipped: list[tuple[OutboxRow, str]] = field(default_factory=list)  # (row, counter)


class Targets:
    """Resolves MA records for the feedback's write stage."""

    def __init__(self, ctx: RunContext, mapping: FeedbackMapping) -> None:
        self.ctx = ctx
        self.mapping = mapping
        self.spec = mapping.spec.match

    def find(self, rows: Sequence[OutboxRow]) -> Found:
        """Linked people (the store), then the others by matching (MA reads) or skipped by configuration."""
        found = Found()
        with self.ctx.engine.connect() as connection:
            found.targets.update(self._linked(connection, rows))
        unlinked = [row for row in rows if row.record_key not in found.targets]
        if self.spec.unlinked == "skip":
            found.skipped += [(row, "unlinked") for row in unlinked]
        elif unlinked:
            self._match(unlinked, found)
        return found

    def _linked(self, connection: Connection, rows: Sequence[OutboxRow]) -> dict[str, Target]:
        """Through the person's Contact, else the Lead it was converted from (the handoff linked the Lead)."""
        ctx, targets = self.ctx, {}
        for obj, name in (("Contact", "contact_id"), ("Lead", "lead_id")):
            by_id = {
                str(r.payload["values"][name]): r.record_key for r in rows if r.payload["values"].get(name)
            }
            for record_id, linked in links.targets_of(
                connection, ctx.source.name, obj, list(by_id), ctx.target.name
            ).items():
                targets.setdefault(by_id[record_id], Target(linked.record_id, linked.link_id))
        return targets

    # ---- people revloop has not linked --------------------------------------------------------------
    def _match(self, rows: Sequence[OutboxRow], found: Found) -> None:
        people = {row.record_key: self._person(row.payload["identity"]) for row in rows}
        candidates = self._candidates([who.email for who in people.values() if who.email])
        ma_ids = [c.record_id for cs in candidates.values() for c in cs]
        with self.ctx.engine.connect() as connection:
            elsewhere = self._linked_elsewhere(connection, ma_ids)
            doubted = review.unsettled_case_of(
                connection, self.ctx.target.name, self.mapping.spec.target.object, ma_ids
            )
        for row in rows:
            who = people[row.record_key]
            decision = decide_identity(who, candidates.get(who.email, ()), linked_elsewhere=elsewhere)
            match = decision.candidate.record_id if decision.candidate is not None else None
            if not who.email:
                found.skipped.append((row, "not_in_ma"))
            elif match is not None and match in doubted:
                case, obj = doubted[match], self.mapping.spec.target.object
                why = f"{obj} {match} waits for review case {case} (revloop review show {case})"
                found.failures.append((row, _ambiguous(why)))
            elif decision.kind is Outcome.LINK and match is not None:
                found.targets[row.record_key] = Target(match, None, decision.explanation)
            elif decision.kind is Outcome.REVIEW:
                found.failures.append((row, _ambiguous(decision.explanation)))
            else:
                found.skipped.append((row, "not_in_ma"))

    def _person(self, identity: Mapping[str, Any]) -> Person:
        return person(**identity, region=self.spec.region)

    def _candidates(self, emails: Sequence[str]) -> dict[str, list[Candidate]]:
        """The MA's people holding each email, read in batches of the MA's maximum."""
        names = self.spec.fields.names() if self.spec.fields else {}
        target, obj = self.ctx.target, self.mapping.spec.target.object
        found: dict[str, list[Candidate]] = {}
        for record in target.read_by_keys(obj, names["email"], sorted(set(emails)), list(names.values())):
            who = self._person({part: record.fields.get(name) for part, name in names.items()})
            if who.email:
                found.setdefault(who.email, []).append(_candidate(obj, record, who))
        return found

    def _linked_elsewhere(self, connection: Connection, ma_ids: Sequence[str]) -> set[str]:
        """MA records already linked to a Salesforce person: another person's, since these are unlinked."""
        ctx, obj = self.ctx, self.mapping.spec.target.object
        return set(links.targets_of(connection, ctx.target.name, obj, list(ma_ids), ctx.source.name))


def _candidate(obj: str, record: Record, who: Person) -> Candidate:
    return Candidate(obj, record.id, person=who)


def _ambiguous(explanation: str) -> RecordError:
    return RecordError(ErrorCategory.AMBIGUOUS_MATCH, "AMBIGUOUS_MATCH", explanation)
