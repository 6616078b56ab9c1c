"""The identity index: normalised match keys of a target system's people and accounts (名寄せ).

Flows mirror it incrementally from the target's change stream (reads at the maximum page size) and add
the records they create, so matching costs database lookups instead of API calls.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, Connection, distinct, func, select

from connector.state.db import upsert
from connector.state.tables import identity_index

MATCH_COLUMNS = ("email", "company_name", "phone")
LOOKUP_COLUMNS = ("email", "company_name", "phone", "company", "mailbox", "name_key", "company_name_key")
"""Columns :func:`lookup` can search (each is indexed)."""
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
    "mailbox",
    "name_key",
    "company_name_key",
    "person_name",
    "company_form",
)
_CHUNK = 500


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
    mailbox: str | None = None
    name_key: str | None = None
    company_name_key: str | None = None
    person_name: str | None = None
    company_form: str | None = None


def save(connection: Connection, entries: Iterable[IndexEntry]) -> None:
    rows = [{**entry.__dict__, "fields": dict(entry.fields or {})} for entry in entries]
    upsert(connection, identity_index, rows, keys=("system", "object", "record_id"), update=_UPDATE)


def lookup(
    connection: Connection,
    system: str,
    column: str,
    values: Sequence[str],
    objects: Sequence[str],
    *,
    cap: int | None = None,
) -> dict[str, list[IndexEntry]]:
    """Entries of ``objects`` whose ``column`` (one of LOOKUP_COLUMNS) is one of ``values``, by value.

    With ``cap``, a value found on more than ``cap`` entries returns none: a key that common (a
    switchboard, a frequent name) identifies nobody, and reading all its entries would cost a batch.
    """
    if column not in LOOKUP_COLUMNS:
        raise ValueError(f"cannot look up by {column!r}; known: {', '.join(LOOKUP_COLUMNS)}")
    wanted = sorted({value for value in values if value})
    found: dict[str, list[IndexEntry]] = {}
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        if cap is not None:
            counts = _counts(connection, system, column, chunk, objects, func.count())
            chunk = [value for value in chunk if counts.get(value, 0) <= cap]
        if not chunk:
            continue
        rows = connection.execute(select(identity_index).where(*_matching(system, column, chunk, objects)))
        for row in rows:
            entry = IndexEntry(**row._mapping)
            found.setdefault(getattr(entry, column), []).append(entry)
    return found


def find(
    connection: Connection,
    system: str,
    keys: Mapping[str, Mapping[str, str]],
    objects: Sequence[str],
    *,
    cap: int | None = None,
) -> dict[str, list[IndexEntry]]:
    """Entries of ``objects`` found for each person by any of its lookup keys, each entry once.

    ``keys`` maps a person (any key the caller chooses) to {column: value}, as
    :func:`connector.matching.lookup_keys` gives them. One :func:`lookup` per column for the whole
    batch; ``cap`` as there.
    """
    wanted: dict[str, set[str]] = {}
    for columns in keys.values():
        for column, value in columns.items():
            wanted.setdefault(column, set()).add(value)
    found = {column: lookup(connection, system, column, sorted(values), objects, cap=cap)
             for column, values in wanted.items()}  # fmt: skip
    result: dict[str, list[IndexEntry]] = {}
    for who, columns in keys.items():
        entries = {
            (entry.object, entry.record_id): entry
            for column, value in columns.items()
            for entry in found[column].get(value, [])
        }
        result[who] = list(entries.values())
    return result


def shared_phones(
    connection: Connection, system: str, phones: Sequence[str], objects: Sequence[str]
) -> set[str]:
    """The ``phones`` that entries under more than one name carry: a switchboard (代表番号), not a person's.

    The same person twice (a Lead and its Contact, a duplicate) has one name key and does not count.
    """
    wanted = sorted({phone for phone in phones if phone})
    shared: set[str] = set()
    for start in range(0, len(wanted), _CHUNK):
        names = func.count(distinct(identity_index.c.name_key))
        counts = _counts(connection, system, "phone", wanted[start : start + _CHUNK], objects, names)
        shared.update(phone for phone, count in counts.items() if count > 1)
    return shared


def _matching(
    system: str, column: str, values: Sequence[str], objects: Sequence[str]
) -> list[ColumnElement[bool]]:
    return [
        identity_index.c.system == system,
        identity_index.c.object.in_(list(objects)),
        identity_index.c[column].in_(list(values)),
    ]


def _counts(
    connection: Connection,
    system: str,
    column: str,
    values: Sequence[str],
    objects: Sequence[str],
    measure: ColumnElement[int],
) -> dict[str, int]:
    key = identity_index.c[column]
    rows = connection.execute(
        select(key, measure).where(*_matching(system, column, values, objects)).group_by(key)
    )
    return {value: count for value, count in rows}


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


def converted_to(connection: Connection, system: str, contact_ids: Sequence[str]) -> dict[str, IndexEntry]:
    """The converted Lead each of ``contact_ids`` came from, by Contact id (Contacts sales created: none)."""
    wanted = sorted(set(contact_ids))
    found: dict[str, IndexEntry] = {}
    for start in range(0, len(wanted), _CHUNK):
        rows = connection.execute(
            select(identity_index).where(
                identity_index.c.system == system,
                identity_index.c.object == "Lead",
                identity_index.c.converted_contact_id.in_(wanted[start : start + _CHUNK]),
            )
        )
        for row in rows:
            entry = IndexEntry(**row._mapping)
            found[str(entry.converted_contact_id)] = entry
    return found
