"""Plan one batch of the feedback: which MA record each waiting person goes to, and what to send it.

For every outbox row (a person's snapshot): find the MA record (:mod:`.targets`), compose the payload
(:func:`.compose.compose`); a payload equal to the last one written costs nothing. For the others the
MA's current values are read in one call per batch, only when the mapping has fields that depend on them
(conflict rules that keep marketers' edits, forward-only ordered fields), and :func:`.compose.finish`
decides what is sent. The same MA record twice in one batch is written once; the second row waits for
the next batch.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from connector.flows.base import RunContext
from connector.flows.feedback.compose import (
    SECTIONS,
    Composed,
    compose,
    finish,
    moving_back,
    needs_current,
)
from connector.flows.feedback.mapping import FeedbackMapping
from connector.flows.feedback.owners import OwnerDirectory
from connector.flows.feedback.targets import Target, Targets
from connector.mapping import MappedRecord, MappingFailure
from connector.mapping.echoes import sources_of
from connector.records import RecordError
from connector.state import links
from connector.state.links import SyncedState
from connector.state.outbox import OutboxRow


@dataclass(frozen=True)
class Planned:
    """One person's write (or decision not to write) to ``target``."""

    row: OutboxRow
    target: Target
    mapped: MappedRecord
    last_written: dict[str, Any] | None = None
    clears: tuple[str, ...] = ()
    """Ordered fields to clear in a call before this write, since it moves them back."""

    def written_state(self) -> dict[str, Any]:
        """What revloop will have written to the MA record once this write succeeds."""
        return self.mapped.written_state(self.last_written)


@dataclass
class FeedbackPlan:
    writes: list[Planned] = field(default_factory=list)
    quiet: list[Planned] = field(default_factory=list)  # nothing to send; recorded as synced
    failures: list[tuple[OutboxRow, RecordError]] = field(default_factory=list)
    deferred: list[OutboxRow] = field(default_factory=list)
    skipped: list[tuple[OutboxRow, str]] = field(default_factory=list)  # (row, counter): nothing to do


class FeedbackPlanner:
    """Turns claimed outbox rows into a FeedbackPlan. Reads the store and the MA; never writes."""

    def __init__(self, ctx: RunContext, mapping: FeedbackMapping, *, direction: str) -> None:
        self.ctx = ctx
        self.mapping = mapping
        self.direction = direction
        self.targets = Targets(ctx, mapping)
        self.owners = OwnerDirectory(ctx.source, ctx.target)
        self.current_names = needs_current(mapping)
        used = {
            name for path in SECTIONS for compiled in mapping.section(path) for name in sources_of(compiled)
        }
        self.owner_names = used & {"owner_email", "ma_owner_id"}

    def plan(self, rows: Sequence[OutboxRow]) -> FeedbackPlan:
        found = self.targets.find(rows)
        plan = FeedbackPlan(failures=list(found.failures), skipped=list(found.skipped))
        placed = self._one_per_record(rows, found.targets, plan)
        with self.ctx.engine.connect() as connection:
            states = self._states(connection, [row for row, _ in placed])
        owners = self._owners([row for row, _ in placed])
        changed: list[tuple[OutboxRow, Target, Composed, dict[str, Any] | None]] = []
        for row, target in placed:
            state = states.get(row.record_key)
            last = dict(state.payload) if state else None
            owner = owners.get(row.record_key)
            composed = compose(
                self.mapping, row.payload, key=target.record_id, owner=owner, last_written=last
            )
            if isinstance(composed, MappingFailure):
                plan.failures.append((row, composed.record_error()))
            elif state and target.link_id is not None and state.payload_hash == composed.mapped.payload_hash:
                plan.quiet.append(Planned(row, target, composed.mapped, last))
                self.ctx.counts["unchanged"] += 1
            else:
                changed.append((row, target, composed, last))
        self._finish(changed, plan)
        return plan

    def _finish(
        self, changed: Sequence[tuple[OutboxRow, Target, Composed, dict[str, Any] | None]], plan: FeedbackPlan
    ) -> None:
        """What each changed person sends, once the MA's values are known (read only when they matter)."""
        current = self._current([target.record_id for _, target, _, _ in changed])
        for row, target, composed, last in changed:
            mapped, now = composed.mapped, current.get(target.record_id, {})
            if self.current_names:
                mapped = finish(self.mapping, composed, now, last)
            planned = Planned(row, target, mapped, last, moving_back(self.mapping, mapped.fields, now))
            if mapped.fields:
                plan.writes.append(planned)
            else:
                plan.quiet.append(planned)
                self.ctx.counts["in_sync"] += 1

    def _one_per_record(
        self, rows: Sequence[OutboxRow], targets: Mapping[str, Target], plan: FeedbackPlan
    ) -> list[tuple[OutboxRow, Target]]:
        placed, taken = [], set()
        for row in rows:
            target = targets.get(row.record_key)
            if target is None:
                continue
            if target.record_id in taken:
                plan.deferred.append(row)  # two Salesforce people, one MA record: one write per batch
                continue
            taken.add(target.record_id)
            placed.append((row, target))
        return placed

    def _states(self, connection, rows: Sequence[OutboxRow]) -> dict[str, SyncedState]:
        """What was last written for each person: under its key, or under the Lead it was converted from
        (a person's key moves from the Lead to the Contact when sales converts it)."""
        leads = {row.record_key: row.payload["values"].get("lead_id") for row in rows}
        keys = [row.record_key for row in rows] + [str(lead) for lead in leads.values() if lead]
        states = links.synced_states(connection, self.direction, keys)
        return {
            key: state
            for key, lead in leads.items()
            if (state := states.get(key) or (states.get(str(lead)) if lead else None)) is not None
        }

    def _owners(self, rows: Sequence[OutboxRow]) -> dict[str, tuple[str | None, str | None]]:
        """(owner email, MA owner id) per person, read only when the mapping writes one of them."""
        if not self.owner_names:
            return {}
        owner_ids = {row.record_key: row.payload["values"].get("owner_id") for row in rows}
        emails = self.owners.emails(str(i) for i in owner_ids.values() if i)
        found = {}
        for key, owner_id in owner_ids.items():
            email = emails.get(str(owner_id)) if owner_id else None
            ma_owner = self.owners.ma_owner(email) if "ma_owner_id" in self.owner_names else None
            found[key] = (email, ma_owner)
        return found

    def _current(self, record_ids: Sequence[str]) -> dict[str, Mapping[str, Any]]:
        """The MA's values of the written fields, in one read per batch; none when no rule needs them."""
        if not self.current_names or not record_ids:
            return {}
        target = self.mapping.spec.target
        names = sorted(self.mapping.written_names())
        found = self.ctx.target.read_by_keys(target.object, target.upsert_key, list(record_ids), names)
        return {record.id: record.fields for record in found}
