"""The CRM calls of one batch of won deals, in dependency order: companies, products, deals, then the
deal → company associations. Every write is an upsert on a key (a unique property, or the record id of
a record revloop already knows) and every association can be made twice, so re-sending a batch after a
crash or a lost answer changes nothing.

What each call answered is kept per Account, source product and opportunity, for the bookkeeping that
follows; a record the CRM refused fails only the opportunities that need it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from connector.flows.won_deals.mapping import WonDealsMapping
from connector.flows.won_deals.products import Products
from connector.flows.won_deals.writes import BatchPlan, CompanyWrite, DealWrite
from connector.records import Outcome, Outgoing, RecordError, WriteResult
from connector.systems.base import Associations, System


@dataclass
class Sent:
    """What the CRM answered for one batch."""

    plan: BatchPlan
    products: Products
    companies: dict[str, str] = field(default_factory=dict)  # Account id → company id
    company_errors: dict[str, RecordError] = field(default_factory=dict)  # Account id → why refused
    deals: dict[int, str] = field(default_factory=dict)  # outbox row id → deal id
    deal_errors: dict[int, RecordError] = field(default_factory=dict)  # outbox row id → why refused

    def company_of(self, write: DealWrite) -> str | None:
        return self.companies.get(write.account_id or "")


def send_companies(crm: System, mapping: WonDealsMapping, plan: BatchPlan, sent: Sent) -> None:
    """Create new companies (upsert on the Account key) and update known ones (by id) where fields changed."""
    spec = mapping.spec
    creates = [company for company in plan.companies.values() if company.creating]
    updates: dict[str, CompanyWrite] = {}
    for company in plan.companies.values():
        if company.creating:
            continue
        sent.companies[company.account_id] = str(company.company_id)
        if company.needs_write:
            updates.setdefault(str(company.company_id), company)  # two Accounts, one company: written once
    _write_companies(crm, spec.company.object, spec.company.upsert_key, creates, sent)
    _write_companies(crm, spec.company.object, spec.record_id, list(updates.values()), sent)
    for company in plan.companies.values():  # an Account sharing a refused company shares the refusal
        shared = [c for c in updates.values() if c.company_id == company.company_id]
        if shared and shared[0].account_id in sent.company_errors:
            sent.company_errors[company.account_id] = sent.company_errors[shared[0].account_id]


def _write_companies(
    crm: System, obj: str, key_field: str, writes: Sequence[CompanyWrite], sent: Sent
) -> None:
    for start in range(0, len(writes), crm.max_write_batch):
        batch = writes[start : start + crm.max_write_batch]
        outgoing = [Outgoing(c.mapped.key, c.mapped.fields) for c in batch]
        for company, result in zip(batch, crm.upsert(obj, key_field, outgoing), strict=True):
            if result.ok:
                sent.companies[company.account_id] = str(result.id or company.company_id)
            else:
                sent.company_errors[company.account_id] = cast(RecordError, result.error)


def send_deals(crm: System, mapping: WonDealsMapping, writes: Sequence[DealWrite], sent: Sent) -> None:
    """Upsert the deals whose company and products are settled; a deal unchanged since its last sync costs
    no write (it is in the batch for its line items or people)."""
    target = mapping.spec.target
    ready: list[DealWrite] = []
    for write in writes:
        problem = sent.company_errors.get(write.account_id or "") or sent.products.problem(write.lines)
        if problem is not None:
            sent.deal_errors[write.row.id] = problem
        elif write.deal_id and write.previous.get("hash") == write.mapped.payload_hash:
            sent.deals[write.row.id] = write.deal_id
        else:
            ready.append(write)
    for start in range(0, len(ready), crm.max_write_batch):
        batch = ready[start : start + crm.max_write_batch]
        results = crm.upsert(
            target.object, target.upsert_key, [Outgoing(w.mapped.key, w.mapped.fields) for w in batch]
        )
        for write, result in zip(batch, results, strict=True):
            _settle(sent, write, result)


def _settle(sent: Sent, write: DealWrite, result: WriteResult) -> None:
    if result.outcome is Outcome.FAILED:
        sent.deal_errors[write.row.id] = cast(RecordError, result.error)
    else:
        sent.deals[write.row.id] = str(result.id or write.deal_id)


def associate_companies(
    crm: System, mapping: WonDealsMapping, writes: Sequence[DealWrite], sent: Sent
) -> None:
    """Associate each written deal with its company when that changed (and drop the old company's link)."""
    if not isinstance(crm, Associations):
        return
    spec = mapping.spec
    pairs, stale, owners = [], [], {}
    for write in writes:
        deal_id, company_id = sent.deals.get(write.row.id), sent.company_of(write)
        if write.reversal or deal_id is None or not company_id:
            continue
        before = write.previous.get("company_id")
        if before == company_id:
            continue
        pairs.append((deal_id, company_id))
        owners[(deal_id, company_id)] = write.row.id
        if before:
            stale.append((deal_id, before))
    if stale:
        crm.dissociate(spec.target.object, spec.company.object, stale)
    results = crm.associate(
        spec.target.object, spec.company.object, pairs, type_id=spec.company.association_type
    )
    for pair, result in zip(pairs, results, strict=True):
        if not result.ok:
            sent.deal_errors[owners[pair]] = cast(RecordError, result.error)


def current_values(
    crm: System, obj: str, key_field: str, keys: Sequence[str], names: Sequence[str]
) -> dict[str, dict[str, Any]]:
    """The CRM's values of ``names`` per key it has (keys compared without case); a key the CRM does not
    have is left out."""
    if not keys or not names:
        return {}
    wanted = {key.casefold(): key for key in keys}
    found: dict[str, dict[str, Any]] = {}
    for record in crm.read_by_keys(obj, key_field, keys, [*names, key_field]):
        key = wanted.get(str(record.fields.get(key_field) or record.id).casefold())
        if key is not None:
            found[key] = {name: record.fields.get(name) for name in names}
    return found
