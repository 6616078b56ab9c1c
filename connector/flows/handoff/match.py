"""Where a person not yet linked goes: an existing record (link), a new one (create), or the review queue.

Per batch, from the state store only (never an API call per record): the identity index is searched
once per key column for the whole batch, then the switchboard numbers among the batch's phones, the
target records already linked to other source records of the same source, the admins' decisions and
the pairs they rejected. Then the identity engine (:func:`connector.matching.decide_identity`) decides
each person:
- **link**: the same personal email, nothing contradicting, and the record linked to no other source
  record (one Salesforce record is never silently shared by two MA records);
- **review**: plausible but not conclusive, or the record is linked to another source record: a review
  case is opened and the row waits for an admin, costing no write;
- **create**: a Lead, or a Contact when the company is exactly one customer Account.
An admin's decision wins: link to the record chosen, or create. Rejected records are never proposed
again. Two rows of one batch that are, or may be, the same person are one write: the later one waits
for the next batch, where the engine sees the record the first one wrote.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import Connection

from connector.errors import ErrorCategory
from connector.flows.handoff.mapping import HandoffMapping
from connector.flows.identity_mirror import candidate_of
from connector.matching import (
    AccountCandidate,
    AccountKind,
    Candidate,
    IdentityDecision,
    MatchSettings,
    Outcome,
    Person,
    decide_identity,
    lookup_keys,
    match_account,
    normalize_company,
    person,
)
from connector.records import RecordError
from connector.state import identity, links, review
from connector.state.identity import IndexEntry
from connector.state.outbox import OutboxRow

if TYPE_CHECKING:
    from connector.flows.handoff.plan import BatchPlan

PEOPLE = ("Lead", "Contact")
IDENTITY_FIELDS = ("Email", "FirstName", "LastName", "Company", "Phone")


@dataclass(frozen=True)
class Destination:
    object: str
    target_id: str | None  # None: create it
    link_status: str  # created, linked, converted
    new_link: bool  # the link is made by this write (a match, an admin's decision, or a create)
    account_id: str | None = None
    explanation: str = ""
    guards_identity: bool = False
    """A record revloop linked rather than created: its identity fields are only filled where blank."""


@dataclass(frozen=True)
class Source:
    """Where the rows come from: the flow, its outbox stage, and the source system and object."""

    flow: str
    stage: str
    system: str
    object: str


class IdentityMatcher:
    """Decides the destination of rows not linked yet (see the module docstring); reads the store only."""

    def __init__(self, mapping: HandoffMapping, *, source: Source, target_kind: str) -> None:
        self.mapping = mapping
        self.source = source
        self.target_kind = target_kind
        self.settings = mapping.spec.match.settings()
        self.region = mapping.spec.match.region

    def destinations(
        self, connection: Connection, rows: Sequence[OutboxRow], plan: BatchPlan
    ) -> dict[str, Destination]:
        if not rows:
            return {}
        evidence = self._evidence(connection, rows)
        batch = _Batch()
        destinations: dict[str, Destination] = {}
        for row in rows:
            key, who, keys = row.record_key, evidence.people[row.record_key], evidence.keys[row.record_key]
            if batch.may_hold(who, keys, self.settings):
                plan.deferred.append(row)  # perhaps the person of an earlier row: see its record next batch
                continue
            batch.add(key, who, keys)
            destination = self._destination(connection, row, evidence, plan)
            if destination is not None:
                destinations[key] = destination
        return destinations

    def person_of(self, row: OutboxRow) -> Person:
        """The person as the mapping would write them, from the source values (defaults say nothing)."""
        values = {name: self.identity_value(row, name) for name in IDENTITY_FIELDS}
        return person(
            email=values["Email"],
            first_name=values["FirstName"],
            last_name=values["LastName"],
            company=values["Company"],
            phone=values["Phone"],
            region=self.region,
            settings=self.settings,
        )

    def identity_value(self, row: OutboxRow, target_field: str) -> Any:
        spec = self.mapping.spec.fields.get(target_field)
        return row.payload["fields"].get(spec.from_) if spec is not None and spec.from_ else None

    # ---- one batch's evidence, read once ----------------------------------------------------------
    def _evidence(self, connection: Connection, rows: Sequence[OutboxRow]) -> _Evidence:
        people = {row.record_key: self.person_of(row) for row in rows}
        keys = {key: lookup_keys(who, self.settings) for key, who in people.items()}
        target, cap = self.target_kind, self.settings.candidates_per_key
        found = identity.find(connection, target, keys, PEOPLE, cap=cap)
        phones = [who.phone for who in people.values() if who.phone]
        record_ids = sorted({rid for entries in found.values() for e in entries for rid in _ids_of(e)})
        source, record_keys = self.source, list(people)
        return _Evidence(
            people=people,
            keys=keys,
            accounts=self._accounts(connection, rows),
            found=found,
            shared_phones=identity.shared_phones(connection, target, phones, PEOPLE),
            linked=links.sources_of(connection, target, record_ids, source.system, source.object),
            decided=review.decisions(connection, source.flow, record_keys),
            rejected=review.rejected_targets(connection, source.system, source.object, record_keys, target),
        )

    def _accounts(self, connection: Connection, rows: Sequence[OutboxRow]):
        """Mirrored Accounts by the batch's company names, read only when the mapping routes to customers."""
        if not self.mapping.spec.match.route_to_contact_when_customer:
            return {}
        companies = {normalize_company(self.identity_value(row, "Company")) for row in rows} - {""}
        return identity.lookup(connection, self.target_kind, "company", sorted(companies), ("Account",))

    # ---- one row ----------------------------------------------------------------------------------
    def _destination(
        self, connection: Connection, row: OutboxRow, evidence: _Evidence, plan: BatchPlan
    ) -> Destination | None:
        key = row.record_key
        own = self._own_record(row, evidence.found[key])
        if own is not None:  # an earlier attempt created it, and its answer was lost: send it again
            return Destination(own.object, None, "created", True, own.account_id)
        decided = evidence.decided.get(key)
        if decided is not None:
            return self._as_decided(connection, row, decided, evidence, plan)
        decision = self._decide(key, evidence)
        if decision.kind is Outcome.LINK:
            chosen = decision.candidate
            assert chosen is not None
            return Destination(chosen.object, chosen.record_id, "linked", True, chosen.account_id,
                               decision.explanation, guards_identity=True)  # fmt: skip
        if decision.kind is Outcome.REVIEW:
            plan.reviews.append((row, decision))
            return None
        return self._new_person(row, evidence, plan)

    def _decide(self, key: str, evidence: _Evidence) -> IdentityDecision:
        rejected = evidence.rejected.get(key, set())
        candidates = [candidate_of(entry, self.settings) for entry in evidence.found[key]
                      if not _ids_of(entry) & rejected]  # fmt: skip
        elsewhere = {rid for entry in evidence.found[key] for rid in _ids_of(entry)
                     if evidence.linked.get(rid, set()) - {key}}  # fmt: skip
        return decide_identity(
            evidence.people[key],
            candidates,
            settings=self.settings,
            shared_phones=evidence.shared_phones,
            linked_elsewhere=elsewhere,
        )

    def _as_decided(
        self,
        connection: Connection,
        row: OutboxRow,
        decided: review.Decision,
        evidence: _Evidence,
        plan: BatchPlan,
    ) -> Destination | None:
        """An admin's decision: create, or link to the record chosen (a converted Lead: to its Contact)."""
        if decided.status == review.CREATED or not decided.target_object or not decided.target_id:
            return self._new_person(row, evidence, plan)
        why = f"linked by an admin (review case {decided.case_id})"
        obj, record_id = decided.target_object, decided.target_id
        entry = identity.get(connection, self.target_kind, obj, [record_id]).get(record_id)
        if entry is not None and entry.is_converted and entry.converted_contact_id:
            obj, record_id = "Contact", entry.converted_contact_id
        account = entry.account_id if entry is not None else None
        return Destination(obj, record_id, "linked", True, account, why, guards_identity=True)

    def _own_record(self, row: OutboxRow, entries: Sequence[IndexEntry]) -> IndexEntry | None:
        """The live record that already carries this row's upsert key: revloop created it for this very
        person (a crash or a dropped answer lost the acknowledgement). Re-planning it as the same create
        re-sends the same upsert, so the link says ``created`` and the ledger knows every field written.
        """
        target = self.mapping.spec.target
        key_fields = {target.object: target.upsert_key, target.contact_object: target.contact_upsert_key}
        source_id = str(row.payload["fields"].get(self.mapping.spec.source.key) or row.record_key)
        key = target.key_prefix + source_id
        for entry in entries:
            field_name = key_fields.get(entry.object)
            carried = str((entry.fields or {}).get(field_name or "") or "")
            if field_name and not entry.is_converted and carried == key:
                return entry
        return None

    def _new_person(self, row: OutboxRow, evidence: _Evidence, plan: BatchPlan) -> Destination | None:
        target = self.mapping.spec.target
        company = normalize_company(self.identity_value(row, "Company"))
        if not (self.mapping.spec.match.route_to_contact_when_customer and target.contact_object and company):
            return Destination(target.object, None, "created", True)
        entries = evidence.accounts.get(company, [])
        accounts = [AccountCandidate(e.record_id, e.company or "", e.is_customer) for e in entries]
        decision = match_account(company, accounts)
        if decision.kind is AccountKind.AMBIGUOUS:
            plan.failures.append((row, RecordError(ErrorCategory.AMBIGUOUS_MATCH, "AMBIGUOUS_MATCH",
                                                   decision.explanation)))  # fmt: skip
            return None
        if decision.kind is AccountKind.ROUTE:
            assert decision.account is not None
            return Destination(target.contact_object, None, "created", True, decision.account.account_id,
                               decision.explanation)  # fmt: skip
        return Destination(target.object, None, "created", True)


@dataclass(frozen=True)
class _Evidence:
    people: Mapping[str, Person]
    keys: Mapping[str, dict[str, str]]  # the lookup keys of each person
    accounts: Mapping[str, list[IndexEntry]]  # Accounts by normalised company name, for routing
    found: Mapping[str, list[IndexEntry]]
    shared_phones: Collection[str]
    linked: Mapping[str, set[str]]  # target record id → source keys linked to it
    decided: Mapping[str, review.Decision]
    rejected: Mapping[str, set[str]]


class _Batch:
    """The people of the rows planned so far in this batch, findable by their lookup keys."""

    def __init__(self) -> None:
        self._by_key: dict[tuple[str, str], list[Candidate]] = {}

    def may_hold(self, who: Person, keys: Mapping[str, str], settings: MatchSettings) -> bool:
        """Whether an earlier row of the batch is, or may be, this person (anything but a clear create)."""
        found = {c.record_id: c for lookup in keys.items() for c in self._by_key.get(lookup, [])}
        if not found:
            return False
        return decide_identity(who, found.values(), settings=settings).kind is not Outcome.CREATE

    def add(self, key: str, who: Person, keys: Mapping[str, str]) -> None:
        candidate = Candidate("batch", key, person=who)
        for lookup in keys.items():
            self._by_key.setdefault(lookup, []).append(candidate)


def _ids_of(entry: IndexEntry) -> set[str]:
    """The record's id, and the Contact a converted Lead became: both stand for the person."""
    return {rid for rid in (entry.record_id, entry.converted_contact_id) if rid}


def case_draft(
    source: Source, target_kind: str, row: OutboxRow, decision: IdentityDecision
) -> review.CaseDraft:
    """The review case of a row the engine sent to review: the records proposed, with their reasons."""
    proposed = tuple(
        review.Proposed(candidate.object, candidate.record_id, reason.code, reason.text)
        for candidate, reason in zip(decision.candidates, decision.reasons, strict=True)
    )
    where = review.SourceRef(source.flow, source.stage, source.system, source.object, row.record_key)
    return review.CaseDraft(where, target_kind, decision.code, decision.explanation, proposed)
