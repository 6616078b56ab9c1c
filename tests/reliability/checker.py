"""A Jepsen-style checker for the handoff (reliability.md: "Tests that prove it").

Three views of one world, taken after the runs:
- ``Source`` (attempted): every source record and which of them qualify, by an oracle the test owns;
- ``Ledger`` (acknowledged): what the state store says happened: links, synced payloads, open sync
  errors, the outbox and the source cursor;
- ``Observed``: what the target and source fakes actually hold, including the Salesforce fake's count
  of creates per external id, so a duplicate shows even when an upsert later merged it away.

``check`` compares them and reports lost, duplicated and unexpected records (and records whose target
or writeback values disagree with the source). ``cursor_ahead`` checks the cursor never passed a
record that was not durably accepted. Everything here is plain data: no fakes, no engine.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Connection, and_, select
from sqlalchemy.orm import aliased

from connector.state.db import utcnow
from connector.state.tables import cursors, link_keys, outbox, sync_errors, sync_states

PEOPLE = ("Lead", "Contact")
OPEN = ("open", "retrying")
WRITE_STAGES = ("write", "link")
"""The outbox stages a record waits in to be written: the primary stage, and the link lane."""
WRITTEN_STAGES = ("salesqualifiedlead", "opportunity", "customer", "evangelist")
"""The writeback sets salesqualifiedlead once; a marketer may move it on, never back."""


@dataclass(frozen=True)
class Source:
    """The attempted set: every source record's properties, and the ids the oracle says qualify."""

    records: Mapping[str, Mapping[str, str]]
    qualifying: frozenset[str]

    @classmethod
    def from_contacts(
        cls, dump: Iterable[Mapping[str, Any]], qualifies: Callable[[dict[str, str]], bool]
    ) -> Source:
        records = {str(c["id"]): dict(c["properties"]) for c in dump if not c.get("archived")}
        return cls(records, frozenset(key for key, props in records.items() if qualifies(props)))


@dataclass(frozen=True)
class Target:
    object: str
    record_id: str
    status: str  # active, converted


@dataclass(frozen=True)
class Ledger:
    """What the state store acknowledges for one flow."""

    links: Mapping[str, tuple[Target, ...]]
    written: Mapping[str, Mapping[str, Any]]  # record key -> payload revloop says it wrote ("<flow>:write")
    written_back: frozenset[str]  # ... and in "<flow>:writeback"
    errors: Mapping[str, tuple[str, str]]  # record key -> (stage, code) of its open error rows
    waiting: tuple[tuple[str, str, str, bool], ...]  # outbox (stage, key, state, due now)
    cursor: Mapping[str, Any] | None

    @classmethod
    def read(cls, connection: Connection, *, source_system: str, source_object: str, flow: str) -> Ledger:
        src, tgt = aliased(link_keys), aliased(link_keys)
        rows = connection.execute(
            select(src.c.record_id, tgt.c.object, tgt.c.record_id.label("target_id"), tgt.c.status)
            .join(tgt, and_(tgt.c.link_id == src.c.link_id, tgt.c.system != source_system))
            .where(src.c.system == source_system, src.c.object == source_object)
        )
        links: dict[str, list[Target]] = defaultdict(list)
        for row in rows:
            links[row.record_id].append(Target(row.object, row.target_id, row.status))
        states = connection.execute(
            select(sync_states.c.direction, sync_states.c.record_key, sync_states.c.payload)
        ).all()
        errors = connection.execute(
            select(sync_errors.c.record_key, sync_errors.c.stage, sync_errors.c.code).where(
                sync_errors.c.flow == flow, sync_errors.c.status.in_(OPEN)
            )
        ).all()
        waiting = connection.execute(
            select(outbox.c.stage, outbox.c.record_key, outbox.c.state, outbox.c.next_attempt_at).where(
                outbox.c.flow == flow
            )
        ).all()
        cursor = connection.execute(
            select(cursors.c.value).where(cursors.c.flow == flow, cursors.c.stream == "source")
        ).scalar_one_or_none()
        now = utcnow()
        return cls(
            links={key: tuple(targets) for key, targets in links.items()},
            written={key: payload for direction, key, payload in states if direction == f"{flow}:write"},
            written_back=frozenset(key for direction, key, _ in states if direction == f"{flow}:writeback"),
            errors={row.record_key: (row.stage, row.code) for row in errors},
            waiting=tuple((w.stage, w.record_key, w.state, w.next_attempt_at <= now) for w in waiting),
            cursor=cursor,
        )

    def active_targets(self, key: str) -> list[Target]:
        return [t for t in self.links.get(key, ()) if t.status == "active"]

    @property
    def in_flight(self) -> list[str]:
        return [key for _stage, key, state, _due in self.waiting if state == "in_flight"]

    @property
    def settled(self) -> bool:
        """Nothing in flight, no writeback waiting, and every waiting write is an explained error or
        waits for an admin's review."""
        return not any(
            state == "in_flight"
            or stage not in WRITE_STAGES
            or (state != "review" and (due or key not in self.errors))
            for stage, key, state, due in self.waiting
        )

    def accepted(self) -> set[str]:
        """Source records the store holds durably: queued, written, linked or explained by an error."""
        queued = {key for stage, key, _state, _due in self.waiting if stage in WRITE_STAGES}
        return queued | set(self.written) | set(self.links) | set(self.errors)


@dataclass(frozen=True)
class Observed:
    """What the fakes hold: target people by id, creates per external id, source records' properties."""

    people: Mapping[str, Mapping[str, Any]]  # Salesforce Lead/Contact Id -> fields (+ "object")
    creates: Mapping[str, Mapping[str, int]]  # object -> external id -> records ever created
    source: Mapping[str, Mapping[str, str]]  # HubSpot contact id -> properties
    key_field: str
    tracked: tuple[str, ...] = ()  # target fields revloop writes: the ledger must know their values

    @classmethod
    def from_fakes(
        cls,
        *,
        salesforce: Mapping[str, list[Mapping[str, Any]]],
        creates: Mapping[str, Mapping[str, int]],
        hubspot_contacts: Iterable[Mapping[str, Any]],
        key_field: str,
        tracked: Iterable[str] = (),
    ) -> Observed:
        people = {row["Id"]: {**row, "object": obj} for obj in PEOPLE for row in salesforce.get(obj, ())}
        source = {str(c["id"]): dict(c["properties"]) for c in hubspot_contacts if not c.get("archived")}
        return cls(people, creates, source, key_field, tuple(tracked))

    def carrying(self) -> dict[str, list[str]]:
        """Live target people per external id they carry (a converted Lead no longer counts)."""
        found: dict[str, list[str]] = defaultdict(list)
        for record_id, row in self.people.items():
            if row.get(self.key_field) and not row.get("IsConverted"):
                found[str(row[self.key_field])].append(record_id)
        return found

    def lead_emails(self) -> Counter[str]:
        return Counter(
            str(row["Email"]).lower()
            for row in self.people.values()
            if row["object"] == "Lead" and row.get("Email")
        )


@dataclass
class Report:
    lost: dict[str, str] = field(default_factory=dict)
    duplicated: dict[str, str] = field(default_factory=dict)
    unexpected: dict[str, str] = field(default_factory=dict)
    mismatched: dict[str, str] = field(default_factory=dict)
    synced: set[str] = field(default_factory=set)
    rejected: set[str] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not (self.lost or self.duplicated or self.unexpected or self.mismatched)

    def __str__(self) -> str:
        parts = [f"synced {len(self.synced)}, rejected {len(self.rejected)}"]
        for name in ("lost", "duplicated", "unexpected", "mismatched"):
            found = getattr(self, name)
            if found:
                sample = "; ".join(f"{key}: {why}" for key, why in sorted(found.items())[:10])
                parts.append(f"{name} {len(found)}: {sample}")
        return "\n".join(parts)


def check(source: Source, ledger: Ledger, observed: Observed, *, before: Observed) -> Report:
    """Compare attempted, acknowledged and observed; ``before`` is the fakes' state before any run."""
    report = Report()
    _check_lost(source, ledger, observed, before, report)
    _check_duplicated(ledger, observed, before, report)
    _check_unexpected(source, ledger, observed, before, report)
    _check_writeback(ledger, observed, before, report)
    return report


def _check_lost(source: Source, ledger: Ledger, observed: Observed, before: Observed, report: Report) -> None:
    for key in sorted(source.qualifying):
        targets = ledger.active_targets(key)
        if not targets:
            if key in ledger.errors:
                report.rejected.add(key)
            else:
                report.lost[key] = "qualifies, but neither synced nor explained by an open error row"
            continue
        missing = [t.record_id for t in targets if t.record_id not in observed.people]
        if missing:
            report.lost[key] = f"the ledger links it to {missing}, which Salesforce does not hold"
        elif key not in ledger.written:
            report.lost[key] = "linked, but no synced payload in the ledger"
        else:
            report.synced.add(key)
            _check_payload(key, targets[0], source, ledger, observed, before, report)


def _check_payload(
    key: str,
    target: Target,
    source: Source,
    ledger: Ledger,
    observed: Observed,
    before: Observed,
    report: Report,
) -> None:
    """The write arrived at the right person, and the ledger knows what the target holds.

    The target must hold the source's email; every field the ledger says revloop wrote must hold that
    value, and a written field the ledger does not know about means revloop lost track of its own write
    (a later conflict rule would then take it for a salesperson's edit). A field still holding the value
    it held before any run is sales' own (revloop keeps the identity fields of a record it linked).
    """
    row = observed.people[target.record_id]
    want = (source.records[key].get("email") or "").strip().lower()
    got = str(row.get("Email") or "").lower()
    if want and want != got:
        report.mismatched[key] = f"{target.object} {target.record_id} has email {got!r}, source {want!r}"
        return
    payload = ledger.written[key]
    kept = before.people.get(target.record_id, {})
    changed = {name for name in observed.tracked if _text(row.get(name)) != _text(kept.get(name))}
    names = set(payload) | {name for name in changed if not _blank(row.get(name))}
    differ = sorted(name for name in names if _text(payload.get(name)) != _text(row.get(name)))
    if differ:
        detail = ", ".join(f"{n}: ledger {payload.get(n)!r} vs {row.get(n)!r}" for n in differ[:3])
        report.mismatched[key] = f"the ledger disagrees with {target.object} {target.record_id}: {detail}"


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def _text(value: Any) -> str:
    return "" if _blank(value) else str(value)


def _check_duplicated(ledger: Ledger, observed: Observed, before: Observed, report: Report) -> None:
    for obj, counts in observed.creates.items():
        for key, count in counts.items():
            if count > 1:
                report.duplicated[key] = f"{count} {obj} creates for one external id"
    for key, record_ids in observed.carrying().items():
        if len(record_ids) > 1:
            report.duplicated[key] = f"{len(record_ids)} live records carry its external id: {record_ids}"
    for key, targets in ledger.links.items():
        active = [t.record_id for t in targets if t.status == "active"]
        if len(active) > 1:
            report.duplicated[key] = f"linked to {len(active)} active target records: {active}"
    seeded = before.lead_emails()
    for email, count in observed.lead_emails().items():
        if count > max(1, seeded.get(email, 0)):
            report.duplicated[email] = f"{count} Leads share this email (seeded: {seeded.get(email, 0)})"


def _check_unexpected(
    source: Source, ledger: Ledger, observed: Observed, before: Observed, report: Report
) -> None:
    for key, record_ids in observed.carrying().items():
        if key not in source.qualifying:
            report.unexpected[key] = f"target records {record_ids} carry an id that never qualified"
    targets_by_record: dict[str, list[str]] = defaultdict(list)
    for key, targets in ledger.links.items():
        if key not in source.qualifying:
            report.unexpected[key] = "linked in the ledger but never qualified"
        for target in targets:
            targets_by_record[target.record_id].append(key)
    for record_id, keys in targets_by_record.items():
        if len(keys) > 1:
            report.unexpected[record_id] = f"one target record linked from several sources: {keys}"
    linked = set(targets_by_record)
    for record_id, row in before.people.items():
        now = observed.people.get(record_id)
        if record_id not in linked and (now is None or now["SystemModstamp"] != row["SystemModstamp"]):
            report.unexpected[record_id] = "a Salesforce record no qualifying person links to was changed"
    for key in set(observed.source) - set(source.records):
        report.unexpected[key] = "a source record appeared that was not seeded (a writeback created it?)"


def _check_writeback(ledger: Ledger, observed: Observed, before: Observed, report: Report) -> None:
    """Every synced person's source record says where it went and how; nobody else's says anything.

    How: ``linked`` when the target record existed before revloop ran, ``created`` when it did not.
    """
    for key, properties in observed.source.items():
        wrote = properties.get("revloop_salesforce_id")
        if key not in report.synced:
            if wrote:
                report.unexpected[key] = f"writeback on a record that did not sync: {wrote}"
            continue
        if ledger.errors.get(key, ("",))[0] == "writeback":
            continue
        target = ledger.active_targets(key)[0]
        problems = []
        if wrote != target.record_id:
            problems.append(f"revloop_salesforce_id {wrote!r} != {target.record_id}")
        status = "linked" if target.record_id in before.people else "created"
        if properties.get("revloop_sync_status") != status:
            problems.append(f"revloop_sync_status {properties.get('revloop_sync_status')!r}, not {status}")
        if properties.get("lifecyclestage") not in WRITTEN_STAGES:
            problems.append(f"lifecyclestage {properties.get('lifecyclestage')!r}")
        if key not in ledger.written_back:
            problems.append("no writeback payload in the ledger")
        if problems:
            report.lost[key] = "writeback: " + ", ".join(problems)


def passed_by(cursor: Mapping[str, Any] | None, record_id: str) -> bool:
    """Whether a HubSpot change cursor has moved past ``record_id`` in the first full window.

    A page cursor of the first window (no ``since``) has passed every id up to ``after_id``; a final
    cursor, or any cursor of a later window, has passed every record that existed when the read began.
    """
    if cursor is None:
        return False
    if cursor.get("since") is None and cursor.get("after_id") is not None:
        return int(record_id) <= int(cursor["after_id"])
    return True


def cursor_ahead(source: Source, ledger: Ledger) -> set[str]:
    """Qualifying records the cursor has passed that the store does not hold: must be empty."""
    accepted = ledger.accepted()
    return {key for key in source.qualifying if passed_by(ledger.cursor, key) and key not in accepted}
