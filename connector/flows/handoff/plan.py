"""Plan one batch of the handoff: which Salesforce record each waiting person goes to, and with what.

For every outbox row (a source snapshot) the planner decides, using only the state store:
- already linked → update that record (a converted Lead is followed to its Contact);
- not linked → the identity engine decides on evidence (match.py): link to an existing record, create
  one (a Lead, or a Contact when the company is exactly one customer Account), or open a review case
  and let the row wait for an admin; an admin's decision is written as decided;
- then map the snapshot; an unchanged payload costs no write.
Identity fields of a record revloop linked rather than created (Email, FirstName, LastName, and Company
on the Lead) are only filled where the target has them blank, unless the mapping gives the field an
explicit conflict rule: a wrong link can never overwrite who sales think the person is.
The same person twice in one batch is written once; the second waits for the next batch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import Connection

from connector.flows.handoff.mapping import HandoffMapping
from connector.flows.handoff.match import Destination, IdentityMatcher, Source
from connector.flows.handoff.sections import fields_needing_current
from connector.mapping import MappedRecord, MappingFailure, map_record
from connector.mapping.conflicts import same_value
from connector.mapping.echoes import keep_unchanged
from connector.mapping.transforms import is_blank
from connector.matching import IdentityDecision
from connector.records import ObjectSchema, RecordError
from connector.state import identity, links
from connector.state.identity import IndexEntry
from connector.state.links import LinkedTarget
from connector.state.outbox import OutboxRow

ID_FIELD = "Id"
PERSON_FIELDS = ("Email", "FirstName", "LastName")
"""Who the person is, on every people object; the Lead's Company is one more (see ``guarded_fields``)."""


@dataclass(frozen=True)
class PlannedWrite:
    row: OutboxRow
    destination: Destination
    mapped: MappedRecord
    last_written: dict[str, Any] | None = None
    target_before: dict[str, Any] | None = None
    """The target's field values before this write, as the identity index knows them (None: unknown)."""

    def written_state(self) -> dict[str, Any]:
        """What revloop will have written to the target once this write succeeds (unchanged: as before)."""
        return self.mapped.written_state(self.last_written)

    def target_after(self) -> dict[str, Any]:
        """The target's values once this write succeeded: what it held, with what was sent."""
        before = self.target_before if self.target_before is not None else self.mapped.payload
        return {**before, **self.mapped.fields}

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
    reviews: list[tuple[OutboxRow, IdentityDecision]] = field(default_factory=list)
    """Rows whose match waits for an admin: a review case is opened, nothing is written."""
    conversions: list[tuple[str, str]] = field(default_factory=list)  # (Lead id, Contact id)


def guarded_fields(mapping: HandoffMapping, obj: str) -> tuple[str, ...]:
    """The identity fields of ``obj`` that, on a record revloop linked, are only filled where blank.

    Email, FirstName and LastName (and Company on ``target.object``, the Lead) when the mapping writes
    them without a conflict rule of its own: ``source_wins`` written out always writes them, and the
    other rules already keep sales' values.
    """
    names = (*PERSON_FIELDS, "Company") if obj == mapping.spec.target.object else PERSON_FIELDS
    fields = mapping.spec.fields
    return tuple(name for name in names if name in fields and fields[name].conflict is None)


def entry_fields(mapping: HandoffMapping) -> tuple[str, ...]:
    """The values a written record's identity entry keeps: those conflict rules and the identity guard
    read, and the upsert keys (a record revloop created carries its own)."""
    target = mapping.spec.target
    keys = (target.upsert_key, *([target.contact_upsert_key] if target.contact_upsert_key else []))
    return (*fields_needing_current(mapping), *PERSON_FIELDS, "Company", "Phone", *keys)


class HandoffPlanner:
    """Turns claimed outbox rows into a BatchPlan. Reads the store; never calls a system itself."""

    def __init__(
        self,
        mapping: HandoffMapping,
        *,
        source: Source,
        target_kind: str,
        direction: str,
        schema: Callable[[str], ObjectSchema],
    ) -> None:
        self.mapping = mapping
        self.source_kind = source.system
        self.target_kind = target_kind
        self.direction = direction
        self.schema = schema
        self.matcher = IdentityMatcher(mapping, source=source, target_kind=target_kind)

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
            entry = current.get(destination.target_id or "")
            before = dict(entry.fields) if entry is not None else None
            write = PlannedWrite(row, destination, mapped, last_written, before)
            if destination.target_id and state and state.payload_hash == mapped.payload_hash:
                plan.unchanged.append(write)
            else:
                plan.writes.append(write)
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
        leads = self._leads_behind(connection, linked)
        unlinked = []
        for row in rows:
            target = linked.get(row.record_key)
            if target is None:
                unlinked.append(row)
                continue
            lead = leads.get(target.record_id)
            created = self._created_by_revloop(row, lead)
            converted = target.object == "Lead" and lead is not None and lead.is_converted
            if converted and lead is not None and lead.converted_contact_id:
                plan.conversions.append((target.record_id, lead.converted_contact_id))
                destinations[row.record_key] = Destination(
                    "Contact", lead.converted_contact_id, "converted", False, lead.account_id,
                    guards_identity=not created,
                )  # fmt: skip
            else:
                guards = target.status == "linked" or (target.status == "converted" and not created)
                destinations[row.record_key] = Destination(
                    target.object, target.record_id, target.status, False, guards_identity=guards
                )
        destinations.update(self.matcher.destinations(connection, unlinked, plan))
        return destinations

    def _leads_behind(self, connection: Connection, linked: dict[str, LinkedTarget]) -> dict[str, IndexEntry]:
        """The Lead entry of each linked target: the Lead itself, or the Lead a linked Contact came from."""
        lead_ids = [t.record_id for t in linked.values() if t.object == "Lead"]
        leads = identity.get(connection, self.target_kind, "Lead", lead_ids)
        converted = [t.record_id for t in linked.values() if (t.object, t.status) == ("Contact", "converted")]
        leads.update(identity.converted_to(connection, self.target_kind, converted))
        return leads

    def _created_by_revloop(self, row: OutboxRow, lead: IndexEntry | None) -> bool:
        """Whether this Lead carries the row's upsert key: revloop created it (it did not link it)."""
        spec = self.mapping.spec
        source_id = str(row.payload["fields"].get(spec.source.key) or row.record_key)
        carried = (lead.fields or {}).get(spec.target.upsert_key) if lead is not None else None
        return str(carried or "") == spec.target.key_prefix + source_id

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
        target_current, known = None, {}
        if not creating:
            entry = current.get(destination.target_id or "")
            known = dict(entry.fields) if entry is not None else {}
            target_current = {name: known.get(name) for name in fields_needing_current(self.mapping)}
        mapped = map_record(
            self.mapping,
            snapshot["fields"],
            context,
            target_schema=self.schema(destination.object),
            target_current=target_current,
            last_written=last_written,
            creating=creating,
        )
        if creating or not destination.guards_identity or isinstance(mapped, MappingFailure):
            return mapped
        return _keep_identity(mapped, guarded_fields(self.mapping, mapped.object), known)


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


KEPT_IDENTITY = "identity field of a record revloop linked: only filled while the target has it blank"


def _keep_identity(mapped: MappedRecord, names: Sequence[str], known: dict[str, Any]) -> MappedRecord:
    """``mapped`` without the identity ``names`` the target holds a value in, or may hold one (a field
    the identity index has not read yet counts as held: never overwrite what is not known)."""
    kept = {name: KEPT_IDENTITY for name in names
            if name in mapped.fields and (name not in known or not is_blank(known[name]))}  # fmt: skip
    if not kept:
        return mapped
    fields = {name: value for name, value in mapped.fields.items() if name not in kept}
    return replace(mapped, fields=fields, withheld={**mapped.withheld, **kept})
