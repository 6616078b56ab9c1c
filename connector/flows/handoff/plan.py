"""Plan one batch of the handoff: which Salesforce record each waiting person goes to, and with what.

For every outbox row (a source snapshot) the planner decides, using only the state store:
- already linked → update that record (a converted Lead is followed to its Contact);
- not linked → match against the identity index (email, then the configured fallbacks):
  one person → link and update it; several → an ``ambiguous_match`` error, never a guess;
  nobody → create a Lead, or a Contact when the company is exactly one customer Account;
- then map the snapshot; an unchanged payload costs no write.
The same person twice in one batch is written once; the second waits for the next batch, where it
links to the record the first one created.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection

from connector.errors import ErrorCategory
from connector.flows.handoff.sections import fields_needing_current
from connector.mapping import MappedRecord, Mapping, MappingFailure, map_record
from connector.mapping.conflicts import same_value
from connector.mapping.echoes import keep_unchanged
from connector.matching import (
    AccountCandidate,
    AccountKind,
    Candidate,
    IdentityKeys,
    MatchKind,
    decide,
    identity_keys,
    match_account,
    normalize_company,
)
from connector.records import ObjectSchema, RecordError
from connector.state import identity, links
from connector.state.identity import IndexEntry
from connector.state.links import LinkedTarget
from connector.state.outbox import OutboxRow

ID_FIELD = "Id"
IDENTITY_FIELDS = ("Email", "FirstName", "LastName", "Company", "Phone")


@dataclass(frozen=True)
class Destination:
    object: str
    target_id: str | None  # None: create it
    link_status: str  # created, linked, converted
    new_link: bool  # the link is made by this write (a match, or a create)
    account_id: str | None = None
    explanation: str = ""


@dataclass(frozen=True)
class PlannedWrite:
    row: OutboxRow
    destination: Destination
    mapped: MappedRecord
    last_written: dict[str, Any] | None = None

    def written_state(self) -> dict[str, Any]:
        """What revloop will have written to the target once this write succeeds (unchanged: as before)."""
        return self.mapped.written_state(self.last_written)

    @property
    def key_field(self) -> str:
        return self.mapped.key_field if self.destination.target_id is None else ID_FIELD

    @property
    def key(self) -> str:
        return self.mapped.key if self.destination.target_id is None else str(self.destination.target_id)


@dataclass
class BatchPlan:
    writes: list[PlannedWrite] = field(default_factory=list)
    unchanged: list[PlannedWrite] = field(default_factory=list)
    failures: list[tuple[OutboxRow, RecordError]] = field(default_factory=list)
    deferred: list[OutboxRow] = field(default_factory=list)
    conversions: list[tuple[str, str]] = field(default_factory=list)  # (Lead id, Contact id)


class HandoffPlanner:
    """Turns claimed outbox rows into a BatchPlan. Reads the store; never calls a system itself."""

    def __init__(
        self,
        mapping: Mapping,
        *,
        source_kind: str,
        target_kind: str,
        direction: str,
        schema: Callable[[str], ObjectSchema],
    ) -> None:
        self.mapping = mapping
        self.source_kind = source_kind
        self.target_kind = target_kind
        self.direction = direction
        self.schema = schema
        self.region = mapping.spec.match.region

    def plan(self, connection: Connection, rows: Sequence[OutboxRow]) -> BatchPlan:
        plan = BatchPlan()
        keys = [row.record_key for row in rows]
        linked = links.targets_of(connection, self.source_kind, self.mapping.spec.source.object, keys,
                                  self.target_kind)  # fmt: skip
        states = links.synced_states(connection, self.direction, keys)
        destinations = self._destinations(connection, rows, linked, plan)
        current = self._current_values(connection, destinations)
        for row in rows:
            destination = destinations.get(row.record_key)
            if destination is None:
                continue
            state = states.get(row.record_key)
            last_written = state.payload if state else None
            mapped = self._map(row, destination, current, last_written)
            if row.attempt > 1 and isinstance(mapped, MappedRecord) and mapped.withheld:
                last_written = self._with_unacknowledged(mapped, destination, current, last_written)
                mapped = self._map(row, destination, current, last_written)
            if isinstance(mapped, MappingFailure):
                plan.failures.append((row, mapped.record_error()))
                continue
            # Source values revloop itself wrote (the feedback's) are no change: what they map to stays.
            mapped = keep_unchanged(self.mapping.fields, mapped, row.payload.get("echoes", ()), last_written)
            if destination.target_id and state and state.payload_hash == mapped.payload_hash:
                plan.unchanged.append(PlannedWrite(row, destination, mapped, last_written))
            else:
                plan.writes.append(PlannedWrite(row, destination, mapped, last_written))
        return plan

    # ---- where each person goes -------------------------------------------------------------------
    def _destinations(
        self,
        connection: Connection,
        rows: Sequence[OutboxRow],
        linked: dict[str, LinkedTarget],
        plan: BatchPlan,
    ) -> dict[str, Destination]:
        destinations: dict[str, Destination] = {}
        leads = identity.get(connection, self.target_kind, "Lead",
                             [t.record_id for t in linked.values() if t.object == "Lead"])  # fmt: skip
        unlinked = []
        for row in rows:
            target = linked.get(row.record_key)
            if target is None:
                unlinked.append(row)
                continue
            lead = leads.get(target.record_id) if target.object == "Lead" else None
            if lead is not None and lead.is_converted and lead.converted_contact_id:
                plan.conversions.append((target.record_id, lead.converted_contact_id))
                destinations[row.record_key] = Destination(
                    "Contact",
                    lead.converted_contact_id,
                    "converted",
                    new_link=False,
                    account_id=lead.account_id,
                )
            else:
                destinations[row.record_key] = Destination(
                    target.object, target.record_id, target.status, False
                )
        destinations.update(self._match(connection, unlinked, plan))
        return destinations

    def _match(
        self, connection: Connection, rows: Sequence[OutboxRow], plan: BatchPlan
    ) -> dict[str, Destination]:
        people = {row.record_key: self._identity(row) for row in rows}
        order = self.mapping.spec.match.order
        found = {
            rule: identity.lookup(connection, self.target_kind, rule,
                                  [k.key(rule) for k in people.values() if k.key(rule)], ("Lead", "Contact"))
            for rule in order
        }  # fmt: skip
        taken: set[tuple[str, str]] = set()
        destinations = {}
        for row in rows:
            keys = people[row.record_key]
            mine = {(rule, keys.key(rule)) for rule in order if keys.key(rule)}
            if mine & taken:
                plan.deferred.append(row)  # the same person as an earlier record of this batch
                continue
            taken |= mine
            own = self._own_record(row, keys, found)
            if own is not None:  # an earlier attempt created it, and its answer was lost: send it again
                destinations[row.record_key] = Destination(own.object, None, "created", True, own.account_id)
                continue
            candidates = {
                rule: [_candidate(e) for e in found[rule].get(keys.key(rule) or "", [])] for rule in order
            }
            decision = decide(keys, candidates, order)
            if decision.kind is MatchKind.AMBIGUOUS:
                plan.failures.append((row, _ambiguous(decision.explanation)))
            elif decision.kind is MatchKind.LINK:
                chosen = decision.candidate
                destinations[row.record_key] = Destination(
                    chosen.object, chosen.record_id, "linked", True, chosen.account_id, decision.explanation
                )
            else:
                destination = self._new_person(connection, row, plan)
                if destination is not None:
                    destinations[row.record_key] = destination
        return destinations

    def _own_record(
        self, row: OutboxRow, keys: IdentityKeys, found: dict[str, dict[str, list[IndexEntry]]]
    ) -> IndexEntry | None:
        """The live record that already carries this row's upsert key: revloop created it for this very
        person (a crash or a dropped answer lost the acknowledgement). Re-planning it as the same create
        re-sends the same upsert, so the link says ``created`` and the ledger knows every field written.
        """
        target = self.mapping.spec.target
        key_fields = {target.object: target.upsert_key, target.contact_object: target.contact_upsert_key}
        source_id = str(row.payload["fields"].get(self.mapping.spec.source.key) or row.record_key)
        key = self.mapping.spec.target.key_prefix + source_id
        for rule, entries in found.items():
            for entry in entries.get(keys.key(rule) or "", []):
                field_name = key_fields.get(entry.object)
                if field_name and not entry.is_converted and str(entry.fields.get(field_name) or "") == key:
                    return entry
        return None

    def _new_person(self, connection: Connection, row: OutboxRow, plan: BatchPlan) -> Destination | None:
        target = self.mapping.spec.target
        company = normalize_company(row.payload["fields"].get(self._source_of("Company") or ""))
        if not (self.mapping.spec.match.route_to_contact_when_customer and target.contact_object and company):
            return Destination(target.object, None, "created", True)
        entries = identity.lookup(connection, self.target_kind, "company", [company], ("Account",)).get(
            company, []
        )
        accounts = [AccountCandidate(e.record_id, e.company or "", e.is_customer) for e in entries]
        decision = match_account(company, accounts)
        if decision.kind is AccountKind.AMBIGUOUS:
            plan.failures.append((row, _ambiguous(decision.explanation)))
            return None
        if decision.kind is AccountKind.ROUTE:
            return Destination(target.contact_object, None, "created", True, decision.account.account_id,
                               decision.explanation)  # fmt: skip
        return Destination(target.object, None, "created", True)

    def _identity(self, row: OutboxRow) -> IdentityKeys:
        """Match keys from the values the mapping would write, ignoring defaults (they say nothing)."""
        values = {name: self._identity_value(row, name) for name in IDENTITY_FIELDS}
        return identity_keys(
            email=values["Email"],
            company=values["Company"],
            first_name=values["FirstName"],
            last_name=values["LastName"],
            phone=values["Phone"],
            region=self.region,
        )

    def _identity_value(self, row: OutboxRow, target_field: str) -> Any:
        source_field = self._source_of(target_field)
        return row.payload["fields"].get(source_field) if source_field else None

    def _source_of(self, target_field: str) -> str | None:
        spec = self.mapping.spec.fields.get(target_field)
        return spec.from_ if spec is not None else None

    # ---- what to write ----------------------------------------------------------------------------
    def _current_values(
        self, connection: Connection, destinations: dict[str, Destination]
    ) -> dict[str, IndexEntry]:
        """Index entries of update targets, for conflict rules that need the target's current values."""
        wanted: dict[str, list[str]] = {}
        for destination in destinations.values():
            if destination.target_id:
                wanted.setdefault(destination.object, []).append(destination.target_id)
        entries: dict[str, IndexEntry] = {}
        for obj, ids in wanted.items():
            entries.update(identity.get(connection, self.target_kind, obj, ids))
        return entries

    def _with_unacknowledged(
        self,
        mapped: MappedRecord,
        destination: Destination,
        current: dict[str, IndexEntry],
        last_written: dict[str, Any] | None,
    ) -> dict[str, Any] | None:
        """``last_written`` plus the withheld fields the target holds with exactly the value mapped now.

        Only for a row sent before (its attempt may have been applied, unacknowledged): the target then
        holds what revloop wrote, and a conflict rule must not take it for a salesperson's edit, or the
        field would never sync again.
        """
        entry = current.get(destination.target_id or "")
        if entry is None:
            return last_written
        ours = {
            name: mapped.payload[name]
            for name in mapped.withheld
            if name in mapped.payload and name in entry.fields
            and same_value(entry.fields[name], mapped.payload[name])
        }  # fmt: skip
        return {**(last_written or {}), **ours} if ours else last_written

    def _map(
        self,
        row: OutboxRow,
        destination: Destination,
        current: dict[str, IndexEntry],
        last_written: dict[str, Any] | None,
    ) -> MappedRecord | MappingFailure:
        snapshot = row.payload
        context = record_context(row, destination, destination.target_id)
        creating = destination.target_id is None
        target_current = None
        if not creating:
            entry = current.get(destination.target_id)
            known = dict(entry.fields) if entry is not None else {}
            target_current = {name: known.get(name) for name in fields_needing_current(self.mapping)}
        return map_record(
            self.mapping,
            snapshot["fields"],
            context,
            target_schema=self.schema(destination.object),
            target_current=target_current,
            last_written=last_written,
            creating=creating,
        )


def record_context(row: OutboxRow, destination: Destination, target_id: str | None) -> dict[str, Any]:
    """The context names (qualification, engagement, campaign, ids, ...) and metrics of one record."""
    snapshot = row.payload
    return {
        **snapshot["metrics"],
        "qualification": snapshot.get("qualification", ""),
        "engagement": snapshot.get("engagement", ""),
        "source_campaign": snapshot.get("campaign") or "",
        "source_id": row.record_key,
        "target_id": target_id or "",
        "target_object": destination.object,
        "link_status": destination.link_status,
        "account_id": destination.account_id or "",
    }


def _candidate(entry: IndexEntry) -> Candidate:
    return Candidate(
        entry.object, entry.record_id, entry.is_converted, entry.converted_contact_id, entry.account_id
    )


def _ambiguous(explanation: str) -> RecordError:
    return RecordError(ErrorCategory.AMBIGUOUS_MATCH, "AMBIGUOUS_MATCH", explanation)
