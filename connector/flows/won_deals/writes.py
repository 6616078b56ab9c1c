"""What one batch of won deals plans to write: per opportunity its deal, line items and people, per Account
its company. Plain values, built by the planners from the state store and sent by :mod:`.send`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from connector.errors import ErrorCategory
from connector.mapping import MappedRecord, payload_hash
from connector.records import RecordError
from connector.state.outbox import OutboxRow


def error(category: ErrorCategory, code: str, message: str, fields: tuple[str, ...] = ()) -> RecordError:
    return RecordError(category, code, message, fields)


@dataclass
class CompanyWrite:
    """The company of one Account: found, linked before, or to create (``company_id`` None)."""

    account_id: str
    company_id: str | None
    status: str  # "known" (linked before), "linked" (matched now), "created" (revloop creates it)
    mapped: MappedRecord
    current: Mapping[str, Any] = field(default_factory=dict)  # what the CRM holds, as mirrored
    unchanged: bool = False  # mapped as when revloop last wrote it: no write needed

    @property
    def needs_write(self) -> bool:
        return self.creating or (bool(self.mapped.fields) and not self.unchanged)

    @property
    def creating(self) -> bool:
        return self.company_id is None


@dataclass
class LineWrite:
    line_id: str
    product_ref: str  # the source product's id
    code: str  # its product code: the CRM product's key
    mapped: MappedRecord  # the line item, without its product
    product: MappedRecord  # the product's fields, written only when revloop creates it


@dataclass
class DealWrite:
    row: OutboxRow
    reversal: bool  # only the stage moves
    mapped: MappedRecord
    deal_id: str | None  # the deal revloop linked before
    account_id: str | None
    lines: list[LineWrite]
    roles: list[Mapping[str, Any]]
    previous: Mapping[str, Any]  # the deal's last synced state: fields, company_id, lines, people

    @property
    def opportunity_id(self) -> str:
        return self.row.record_key


@dataclass
class BatchPlan:
    writes: list[DealWrite] = field(default_factory=list)
    companies: dict[str, CompanyWrite] = field(default_factory=dict)  # by Account id
    dropped: list[OutboxRow] = field(default_factory=list)
    failures: list[tuple[OutboxRow, RecordError]] = field(default_factory=list)
    deferred: list[OutboxRow] = field(default_factory=list)


def state_row(
    key: str, link_id: int, payload: Mapping[str, Any], payload_hash: str, source_hash: str | None = None
) -> dict[str, Any]:
    """A synced-state row for :func:`connector.state.links.save_states`."""
    return {"record_key": key, "link_id": link_id, "payload": payload, "payload_hash": payload_hash,
            "source_hash": source_hash}  # fmt: skip


def with_fields(mapped: MappedRecord, extra: Mapping[str, Any]) -> MappedRecord:
    """``mapped`` with ``extra`` fields written too (and in its payload and hash)."""
    payload = {**mapped.payload, **extra}
    fields = {**mapped.fields, **extra}
    return MappedRecord(
        mapped.object, mapped.key_field, mapped.key, fields, payload, payload_hash(mapped.object, payload),
        mapped.withheld,
    )  # fmt: skip
