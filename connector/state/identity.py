"""The identity index: normalised match keys of a target system's people and accounts (名寄せ).

Flows mirror it incrementally from the target's change stream (reads at the maximum page size) and add
the records they create, so matching costs database lookups instead of API calls.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, select

from connector.state.db import upsert
from connector.state.tables import identity_index

MATCH_COLUMNS = ("email", "company_name", "phone")
_UPDATE = (
    "email",
    "company_name",
    "phone",
    "company",
    "account_id",
    "converted_contact_id",
    "is_converted",
    "is_customer",
    "fields",
    "modified_at",
)


@dataclass(frozen=True)
class IndexEntry:
    system: str
    object: str
    record_id: str
    email: str | None = None
    company_name: str | None = None
    phone: str | None = None
    company: str | None = None
    account_id: str | None = None
    converted_contact_id: str | None = None
    is_converted: bool = False
    is_customer: bool = False
    fields: Mapping[str, Any] | None = None
    modified_at: str | None = None


def save(connection: Connection, entries: Iterable[IndexEntry]) -> None:
    rows = [{**entry.__dict__, "fields": dict(entry.fields or {})} for entry in entries]
    upsert(connection, identity_index, rows, keys=("system", "object", "record_id"), update=_UPDATE)


def lookup(
    connection: Connection, system: str, column: str, values: Sequence[str], objects: Sequence[str]
) -> dict[str, list[IndexEntry]]:
    """Entries of ``objects`` whose ``column`` (email, company_name, phone, company) is one of ``values``."""
    wanted = sorted({value for value in values if value})
    if not wanted:
        return {}
    found: dict[str, list[IndexEntry]] = {}
    for start in range(0, len(wanted), 500):
        rows = connection.execute(
            select(identity_index).where(
                identity_index.c.system == system,
                identity_index.c.object.in_(list(objects)),
                identity_index.c[column].in_(wanted[start : start + 500]),
            )
        )
        for row in rows:
            entry = IndexEntry(**row._mapping)
            found.setdefault(getattr(entry, column), []).append(entry)
    return found


def get(connection: Connection, system: str, obj: str, record_ids: Sequence[str]) -> dict[str, IndexEntry]:
    if not record_ids:
        return {}
    rows = connection.execute(
        select(identity_index).where(
            identity_index.c.system == system,
            identity_index.c.object == obj,
            identity_index.c.record_id.in_(list(record_ids)),
        )
    )
    return {row.record_id: IndexEntry(**row._mapping) for row in rows}
