"""People of won deals: each contact role's person found (or created) in the CRM, updated (lifecycle
``customer``) and associated with the deal.

A person is found through the link revloop keeps for its SFA record: the handoff's link when the CRM is
the marketing system's own portal, or the one this stage made before. Without a link, the person is
upserted on ``[people] key`` (the email): found if the CRM has it, created otherwise, and linked, so a
retry finds the same record. A person with neither link nor email is an error row. One row per
(person, opportunity); a batch is one or two upsert calls and one association call. What it writes to a
person is remembered (:mod:`connector.state.written`), so a flow reading that person does not take
revloop's own values for an edit.

A contact role deleted in Salesforce (the roles stream reads deletions) is a removal row: the person is
dissociated from the deal in one call per batch (unless another of the deal's roles is the same CRM
person); their lifecycle stage stays, since they were a buyer.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection

from connector.errors import ErrorCategory
from connector.flows.base import RunContext
from connector.flows.pipeline import ErrorReporter
from connector.flows.won_deals.mapping import WonDealsMapping
from connector.flows.won_deals.send import current_values
from connector.flows.won_deals.snapshot import snapshot_hash
from connector.flows.won_deals.stages import FollowUpStage
from connector.flows.won_deals.writes import DealWrite, state_row
from connector.mapping import Conflicts, MappedRecord, MappingFailure, map_section, names_needing_current
from connector.matching import normalize_email
from connector.records import Outcome, Outgoing, RecordError, WriteResult
from connector.state import links, outbox
from connector.state.links import RecordRef, SyncedState
from connector.state.outbox import OutboxRow
from connector.state.written import Written, remember_written
from connector.systems.base import Associations

STAGE = "people"
REMOVED = "removed"
"""The synced state's hash of a (person, opportunity) whose role was removed: added back, it is written."""


def _digest(fields: Mapping[str, Any], deal_id: str) -> str:
    return snapshot_hash({"fields": fields, "deal": deal_id})


class People(FollowUpStage):
    name = STAGE

    def __init__(self, ctx: RunContext, errors: ErrorReporter, mapping: WonDealsMapping) -> None:
        super().__init__(ctx, errors, mapping)
        self._written: dict[str, tuple[dict[str, Any], SyncedState | None]] = {}
        """This batch's fields by person, with what revloop had written before (for the person's state)."""

    @property
    def persons(self) -> str:
        """Synced states per person: what revloop last wrote to the CRM record (for conflict rules)."""
        return f"{self.ctx.flow}:persons"

    # ---- queued by the deals stage -----------------------------------------------------------------
    def enqueue(self, connection: Connection, deals: Sequence[tuple[DealWrite, str]]) -> dict[str, list[str]]:
        """Queue a row per (person, opportunity) of the written ``deals`` ((write, deal id)) that changed,
        and a removal row per person whose role left the opportunity; returns each one's people."""
        spec = self.mapping.spec.people
        rows, current = [], {}
        for write, deal_id in deals:
            people = current.setdefault(write.opportunity_id, [])
            for role in write.roles:
                fields = role["fields"]
                contact = fields.get(spec.id_from)
                if contact:
                    people.append(str(contact))
                    payload = {"contact_id": str(contact), "fields": fields, "deal_id": deal_id,
                               "opportunity_id": write.opportunity_id}  # fmt: skip
                    rows.append((f"{contact}:{write.opportunity_id}", payload, _digest(fields, deal_id)))
        states = links.synced_states(connection, self.direction, [key for key, _, _ in rows])
        changed = [row for row in rows if row[0] not in states or states[row[0]].payload_hash != row[2]]
        for write, deal_id in deals:
            people = current[write.opportunity_id]
            for contact in sorted(set(write.previous.get("people", ())) - set(people)):
                payload = {"contact_id": contact, "deal_id": deal_id, "opportunity_id": write.opportunity_id,
                           "dissociate": True, "keep": people}  # fmt: skip
                changed.append((f"{contact}:{write.opportunity_id}", payload, REMOVED))
        outbox.enqueue(connection, self.ctx.flow, STAGE, changed)
        return current

    # ---- sending -------------------------------------------------------------------------------------
    def send(self, rows: Sequence[OutboxRow]) -> Mapping[str, WriteResult]:
        results = self._dissociate([row for row in rows if row.payload.get("dissociate")])
        rows = [row for row in rows if not row.payload.get("dissociate")]
        if not rows:
            return results
        plans = self._plan(rows)
        answers = self._upsert(plans)
        for row in rows:
            answer = answers[row.payload["contact_id"]]
            results[row.record_key] = WriteResult(
                row.record_key, answer.outcome, id=answer.id, error=answer.error
            )
        self._associate(rows, results)
        return results

    def _plan(self, rows: Sequence[OutboxRow]) -> dict[str, MappedRecord | RecordError]:
        """Per person: the record to write (by CRM id when linked, else by key), or why it cannot be."""
        ctx, spec = self.ctx, self.mapping.spec
        people = {row.payload["contact_id"]: row for row in rows}
        with ctx.engine.connect() as connection:
            linked = links.targets_of(
                connection, ctx.source.name, spec.people.person_object, list(people), ctx.target.name
            )
            states = links.synced_states(connection, self.persons, list(people))
        emails = {contact: normalize_email(row.payload["fields"].get(spec.people.email_from))
                  for contact, row in people.items()}  # fmt: skip
        current = self._current(linked, emails)
        plans: dict[str, MappedRecord | RecordError] = {}
        for contact, row in people.items():
            target = linked.get(contact)
            key_field, key = (
                (spec.record_id, target.record_id) if target else (spec.people.key, emails[contact])
            )
            if not key:
                plans[contact] = _no_email(spec.people.email_from)
                continue
            values = current.get(key) if current is not None else None
            state = states.get(contact)
            creating = current is not None and values is None  # without rules needing it, existence is moot
            conflicts = Conflicts(creating, values, state.payload if state else None)
            context = {"source_id": contact, "opportunity_id": row.payload["opportunity_id"],
                       "role": row.payload["fields"].get(spec.people.role_from)}  # fmt: skip
            mapped = map_section(self.mapping, "people.fields", (spec.people.object, key_field, key),
                                 row.payload["fields"], context, conflicts=conflicts)  # fmt: skip
            plans[contact] = mapped.record_error() if isinstance(mapped, MappingFailure) else mapped
        self._written = {
            c: (dict(p.fields), states.get(c)) for c, p in plans.items() if isinstance(p, MappedRecord)
        }
        return plans

    def _current(self, linked, emails: Mapping[str, str]) -> dict[str, dict[str, Any]] | None:
        """The CRM's values of the fields whose conflict rule needs them, by CRM id or email (a key left
        out is a person the CRM does not have yet); None when no field needs them."""
        spec = self.mapping.spec
        names = names_needing_current(self.mapping.section("people.fields"))
        if not names:
            return None
        ids = [target.record_id for target in linked.values()]
        keys = sorted({email for contact, email in emails.items() if contact not in linked and email})
        found = current_values(self.ctx.target, spec.people.object, spec.record_id, ids, names)
        found |= {key: dict.fromkeys(names) for key in ids if key not in found}  # linked, though gone
        return found | current_values(self.ctx.target, spec.people.object, spec.people.key, keys, names)

    def _upsert(self, plans: Mapping[str, MappedRecord | RecordError]) -> dict[str, WriteResult]:
        answers: dict[str, WriteResult] = {}
        groups: dict[str, dict[str, MappedRecord]] = {}  # key field → CRM key → first plan
        owners: dict[tuple[str, str], list[str]] = {}
        for contact, plan in plans.items():
            if isinstance(plan, RecordError):
                answers[contact] = WriteResult(contact, Outcome.FAILED, error=plan)
                continue
            groups.setdefault(plan.key_field, {}).setdefault(plan.key, plan)  # one write per CRM person
            owners.setdefault((plan.key_field, plan.key), []).append(contact)
        obj = self.mapping.spec.people.object
        for key_field, by_key in groups.items():
            outgoing = [Outgoing(key, plan.fields) for key, plan in by_key.items()]
            for start in range(0, len(outgoing), self.batch_size):
                for result in self.ctx.target.upsert(
                    obj, key_field, outgoing[start : start + self.batch_size]
                ):
                    for contact in owners[(key_field, result.key)]:
                        answers[contact] = result
        return answers

    def _dissociate(self, rows: Sequence[OutboxRow]) -> dict[str, WriteResult]:
        """Unlink removed people from their deals: one call for the batch. A person revloop never wrote
        needs nothing; one whose CRM record another role of the deal still holds stays."""
        target, spec = self.ctx.target, self.mapping.spec
        if not rows or not isinstance(target, Associations):
            return {}
        contacts = {row.payload["contact_id"] for row in rows} | {c for r in rows for c in r.payload["keep"]}
        with self.ctx.engine.connect() as connection:
            linked = links.targets_of(
                connection, self.ctx.source.name, spec.people.person_object, sorted(contacts), target.name
            )
        removals: dict[str, tuple[str, str]] = {}
        for row in rows:
            person = linked.get(row.payload["contact_id"])
            kept = {linked[c].record_id for c in row.payload["keep"] if c in linked}
            if person is not None and person.record_id not in kept:
                removals[row.record_key] = (row.payload["deal_id"], person.record_id)
        answers = target.dissociate(spec.target.object, spec.people.object, list(removals.values()))
        results = {key: WriteResult(key, answer.outcome, id=removals[key][1], error=answer.error)
                   for key, answer in zip(removals, answers, strict=True)}  # fmt: skip
        # id None: nothing was dissociated (never written, or another role holds the same CRM person)
        return {row.record_key: results.get(row.record_key, WriteResult(row.record_key, Outcome.UPDATED))
                for row in rows}  # fmt: skip

    def _associate(self, rows: Sequence[OutboxRow], results: dict[str, WriteResult]) -> None:
        target, spec = self.ctx.target, self.mapping.spec
        done = [row for row in rows if results[row.record_key].ok]
        if not done or not isinstance(target, Associations):
            return
        pairs = [(row.payload["deal_id"], str(results[row.record_key].id)) for row in done]
        answers = target.associate(
            spec.target.object, spec.people.object, pairs, type_id=spec.people.association_type
        )
        for row, answer in zip(done, answers, strict=True):
            if not answer.ok:
                results[row.record_key] = WriteResult(row.record_key, Outcome.FAILED, error=answer.error)

    # ---- bookkeeping ---------------------------------------------------------------------------------
    def succeeded(
        self, connection: Connection, rows: Sequence[OutboxRow], results: Mapping[str, WriteResult]
    ) -> None:
        ctx, spec = self.ctx, self.mapping.spec.people
        self._removed(connection, [row for row in rows if row.payload.get("dissociate")], results)
        rows = [row for row in rows if not row.payload.get("dissociate")]
        people: dict[str, tuple[OutboxRow, WriteResult]] = {}
        for row in rows:
            if row.record_key in results:
                people.setdefault(row.payload["contact_id"], (row, results[row.record_key]))
        link_ids: dict[str, int] = {}
        for status, outcome in (("created", Outcome.CREATED), ("linked", Outcome.UPDATED)):
            pairs = [(RecordRef(ctx.source.name, spec.person_object, contact),
                      RecordRef(ctx.target.name, spec.object, str(result.id)))
                     for contact, (_, result) in people.items() if result.outcome is outcome]  # fmt: skip
            link_ids.update(links.connect(connection, pairs, "person", status=status, made_by=ctx.flow))
        pair_states = [
            state_row(row.record_key, link_ids[row.payload["contact_id"]], {},
                      _digest(row.payload["fields"], row.payload["deal_id"]))
            for row in rows
            if row.payload["contact_id"] in link_ids
        ]  # fmt: skip
        links.save_states(connection, self.direction, pair_states, ctx.run_id)
        persons = []
        for contact in people:
            fields, state = self._written.get(contact, ({}, None))
            written = {**(state.payload if state else {}), **fields}
            persons.append(state_row(contact, link_ids[contact], written, _digest(written, "")))
        links.save_states(connection, self.persons, persons, ctx.run_id)
        sent = [Written(str(result.id), link_ids[contact], self._written.get(contact, ({}, None))[0])
                for contact, (_, result) in people.items()]  # fmt: skip
        remember_written(connection, ctx.target.name, spec.object, sent, run_id=ctx.run_id)
        ctx.counts["people"] += len(people)

    def _removed(
        self, connection: Connection, rows: Sequence[OutboxRow], results: Mapping[str, WriteResult]
    ) -> None:
        """A removed role's (person, opportunity) is synced as removed: the role added back is written."""
        ctx, spec = self.ctx, self.mapping.spec.people
        contacts = sorted({row.payload["contact_id"] for row in rows})
        linked = links.targets_of(connection, ctx.source.name, spec.person_object, contacts, ctx.target.name)
        states = [
            state_row(row.record_key, linked[row.payload["contact_id"]].link_id, {}, REMOVED)
            for row in rows
            if row.payload["contact_id"] in linked
        ]
        links.save_states(connection, self.direction, states, ctx.run_id)
        ctx.counts["people_removed"] += sum(
            1 for row in rows if row.record_key in results and results[row.record_key].id
        )


def _no_email(email_from: str) -> RecordError:
    return RecordError(
        ErrorCategory.RECORD_REJECT,
        "PERSON_WITHOUT_EMAIL",
        f"this contact has no link to a CRM person and no email ({email_from}) to find or create one by",
        (email_from,),
    )
