"""Which company each Account of a batch is, from the state store alone (名寄せ for companies).

The company linked to the Account before; else the one the mirror finds by domain, then by normalised
name (several for one key: an error row for an admin, never a guess); else a new one, or an error row
with ``[company] create = false``. A company revloop created before a crash, before it was linked, is
found again by the mirror and recognised by the Account id its upsert key holds. Two new Accounts of one
batch that would be the same new company: the second waits for the next batch, where it finds it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection

from connector.errors import ErrorCategory
from connector.flows.won_deals import companies
from connector.flows.won_deals.companies import Match
from connector.flows.won_deals.mapping import WonDealsMapping
from connector.flows.won_deals.writes import CompanyWrite, DealWrite, error
from connector.mapping import Conflicts, MappedRecord, MappingFailure, map_section, names_needing_current
from connector.matching import normalize_company
from connector.records import RecordError
from connector.state import identity, links
from connector.state.identity import IndexEntry
from connector.state.links import LinkedTarget, SyncedState

WAIT = error(ErrorCategory.TRANSIENT, "SAME_NEW_COMPANY", "its new company is another Account's: next batch")
Decision = CompanyWrite | RecordError


@dataclass(frozen=True)
class Known:
    """What the store knows about a batch's Accounts."""

    linked: Mapping[str, LinkedTarget]  # Account → company linked before
    matches: Mapping[str, Match]  # Account → what the mirror found
    states: Mapping[str, SyncedState]  # Account → what revloop last wrote to its company
    entries: Mapping[str, IndexEntry]  # company id → mirrored properties


class CompanyPlanner:
    def __init__(self, mapping: WonDealsMapping, *, source: str, target: str, flow: str) -> None:
        self.mapping = mapping
        self.spec = mapping.spec.company
        self.source = source
        self.target = target
        self.direction = f"{flow}:companies"
        self.needing = names_needing_current(mapping.section("company.fields"))

    def plan(self, connection: Connection, firsts: Mapping[str, DealWrite]) -> dict[str, Decision]:
        """The company of each Account (``firsts``: the first opportunity of each Account in the batch)."""
        created = {account: self._as_created(write) for account, write in firsts.items()}
        known = self._known(connection, created)
        claimed: dict[tuple[str, str], str] = {}
        decisions: dict[str, Decision] = {}
        for account, write in firsts.items():
            decisions[account] = self._decide(account, write, created[account], known, claimed)
        return decisions

    def _known(self, connection: Connection, created: Mapping[str, MappedRecord | MappingFailure]) -> Known:
        accounts = list(created)
        linked = links.targets_of(connection, self.source, self.spec.source, accounts, self.target)
        keys = {account: self.keys(mapped) for account, mapped in created.items()
                if account not in linked and isinstance(mapped, MappedRecord)}  # fmt: skip
        matches = companies.find(connection, self.target, self.spec, keys)
        ids = [t.record_id for t in linked.values()] + [
            m.company_id for m in matches.values() if m.company_id
        ]
        return Known(
            linked,
            matches,
            links.synced_states(connection, self.direction, accounts),
            identity.get(connection, self.target, self.spec.object, ids),
        )

    def _decide(self, account, write, created, known: Known, claimed) -> Decision:
        if isinstance(created, MappingFailure):
            return created.record_error()
        if account in known.linked:
            return self._company(account, known.linked[account].record_id, "known", write, known)
        match = known.matches[account]
        if match.ambiguous:
            return error(
                ErrorCategory.AMBIGUOUS_MATCH,
                "AMBIGUOUS_MATCH",
                f"Account {account} matches {len(match.ambiguous)} companies by {match.rule}: "
                f"{', '.join(match.ambiguous)}; link one by hand or merge them",
            )
        if match.company_id is not None:
            ours = str((match.fields or {}).get(self.spec.upsert_key) or "") == account
            return self._company(account, match.company_id, "created" if ours else "linked", write, known)
        return self._new(account, write, created, known, claimed)

    def _new(self, account, write, created: MappedRecord, known: Known, claimed) -> Decision:
        if not self.spec.create:
            message = f"no company in the CRM matches Account {account} and [company] create = false"
            return error(ErrorCategory.RECORD_REJECT, "COMPANY_NOT_FOUND", message)
        key = self.keys(created)
        if any(key) and claimed.setdefault(key, account) != account:
            return WAIT
        return self._company(account, None, "created", write, known)

    def _company(
        self, account: str, company_id: str | None, status: str, write: DealWrite, known: Known
    ) -> Decision:
        record_id = self.mapping.spec.record_id
        key_field, key = (record_id, company_id) if company_id else (self.spec.upsert_key, account)
        state = known.states.get(account)
        entry = known.entries.get(company_id or "")
        mirrored: Mapping[str, Any] = (entry.fields or {}) if entry is not None else {}
        current = {name: mirrored.get(name) for name in self.needing}
        conflicts = Conflicts(company_id is None, current, state.payload if state else None)
        mapped = self._map(write, (self.spec.object, key_field, key), conflicts)
        if isinstance(mapped, MappingFailure):
            return mapped.record_error()
        unchanged = state is not None and state.payload_hash == mapped.payload_hash
        return CompanyWrite(account, company_id, status, mapped, dict(mirrored), unchanged)

    def _as_created(self, write: DealWrite) -> MappedRecord | MappingFailure:
        """The company's values as on create: what it is matched by."""
        record = (self.spec.object, self.spec.upsert_key, str(write.account_id))
        return self._map(write, record, Conflicts(True, None, None))

    def _map(self, write: DealWrite, record: tuple[str, str, str], conflicts: Conflicts):
        context = {"source_id": write.account_id, "opportunity_id": write.opportunity_id}
        fields = write.row.payload["fields"]
        return map_section(self.mapping, "company.fields", record, fields, context, conflicts=conflicts)

    def keys(self, mapped: MappedRecord) -> tuple[str, str]:
        """(domain, normalised name) of a company's mapped values."""
        domain = (
            companies.domain_key(mapped.payload.get(self.spec.match_domain)) if self.spec.match_domain else ""
        )
        name = normalize_company(mapped.payload.get(self.spec.match_name)) if self.spec.match_name else ""
        return domain, name
