"""Mirror the SFA's people and accounts into the identity index, incrementally (名寄せ at no API cost).

Matching a batch of 200 people by querying Salesforce would cost a query per rule per batch; reading
Leads, Contacts and Accounts changed since a cursor costs one call per 2,000 records, and then every
match is a database lookup. Accounts are mirrored first so a Contact's company is its Account's name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import Connection, Engine

from connector.matching import (
    DEFAULT_SETTINGS,
    Candidate,
    MatchSettings,
    identity_keys,
    index_columns,
    normalize_company,
    person,
    stored_person,
)
from connector.records import Record
from connector.state import identity, runs
from connector.state.identity import IndexEntry
from connector.systems.base import System

ACCOUNT = "Account"
PEOPLE_FIELDS = {
    "Lead": ("Email", "FirstName", "LastName", "Company", "Phone", "IsConverted", "ConvertedContactId",
             "ConvertedAccountId"),
    "Contact": ("Email", "FirstName", "LastName", "Phone", "AccountId"),
}  # fmt: skip
ACCOUNT_FIELDS = ("Name", "Type")
MIRROR_FLOW = "identity"
"""The cursors' flow name: mirrors are per system, shared by every flow that writes to it."""
CUSTOMER_TYPE_PREFIX = "Customer"
"""Accounts whose Type starts with this (Customer, Customer - Direct, Customer - Channel) are customers."""


def refresh(
    engine: Engine,
    target: System,
    *,
    current_fields: Mapping[str, Sequence[str]],
    region: str,
) -> int:
    """Read Accounts, Leads and Contacts changed since the last refresh into the index; returns records read.

    ``current_fields`` are, per object, the fields whose current values conflict rules need. The index
    and its cursors belong to the system, not to a flow: two flows into one org mirror it once.
    """
    read = 0
    for obj in (ACCOUNT, *PEOPLE_FIELDS):
        fields = _fields_to_read(obj, current_fields.get(obj, ()))

        def entries(
            connection: Connection, records: Sequence[Record], obj=obj, fields=fields
        ) -> list[IndexEntry]:
            return entries_for(connection, target.name, obj, records, fields, region)

        read += mirror_stream(engine, target, obj, fields, entries)
    return read


def mirror_stream(
    engine: Engine,
    system: System,
    obj: str,
    fields: Sequence[str],
    entries_of: Callable[[Connection, Sequence[Record]], list[IndexEntry]],
) -> int:
    """Read ``obj`` changed since the mirror's cursor for it into the index, a page and its cursor per
    transaction; returns the records read. Every mirror of a system (people, CRM companies) reads so."""
    stream, read = f"{system.name}:{obj}", 0
    with engine.connect() as connection:
        cursor = runs.get_cursor(connection, MIRROR_FLOW, stream)
    for page in system.read_changes(obj, cursor, fields):
        with engine.begin() as connection:
            identity.save(connection, entries_of(connection, page.records))
            runs.set_cursor(connection, MIRROR_FLOW, stream, page.cursor)
        read += len(page.records)
    return read


def _fields_to_read(obj: str, current: Sequence[str]) -> list[str]:
    base = ACCOUNT_FIELDS if obj == ACCOUNT else PEOPLE_FIELDS[obj]
    return list(dict.fromkeys([*base, *current]))


def entries_for(
    connection,
    system: str,
    obj: str,
    records: Iterable[Record],
    fields: Sequence[str],
    region: str,
) -> list[IndexEntry]:
    records = list(records)
    if obj == ACCOUNT:
        return [account_entry(system, record.id, record.fields) for record in records]
    account_ids = [str(r.fields["AccountId"]) for r in records if r.fields.get("AccountId")]
    accounts = identity.get(connection, system, ACCOUNT, account_ids)
    entries = []
    for record in records:
        account = accounts.get(str(record.fields.get("AccountId") or ""))
        company = record.fields.get("Company") if obj == "Lead" else _account_name(account)
        current = {name: record.fields.get(name) for name in fields}
        entries.append(person_entry(system, obj, record.id, record.fields, region=region, company=company,
                                    current=current))  # fmt: skip
    return entries


def _account_name(account: IndexEntry | None) -> str | None:
    """A Contact's company: its Account's name as typed (the legal form's position is evidence)."""
    if account is None:
        return None
    return str((account.fields or {}).get("Name") or "") or account.company


def account_entry(system: str, record_id: str, fields: Mapping[str, Any]) -> IndexEntry:
    account_type = str(fields.get("Type") or "")
    return IndexEntry(
        system=system,
        object=ACCOUNT,
        record_id=record_id,
        company=normalize_company(fields.get("Name")) or None,
        is_customer=account_type.startswith(CUSTOMER_TYPE_PREFIX),
        fields={"Name": fields.get("Name"), "Type": fields.get("Type")},
    )


def person_entry(
    system: str,
    obj: str,
    record_id: str,
    fields: Mapping[str, Any],
    *,
    region: str,
    company: str | None = None,
    current: Mapping[str, Any] | None = None,
) -> IndexEntry:
    """The index entry of a Lead or Contact; for a Contact, ``company`` is its Account's name."""
    values = {
        "email": fields.get("Email"),
        "company": company,
        "first_name": fields.get("FirstName"),
        "last_name": fields.get("LastName"),
        "phone": fields.get("Phone"),
    }
    keys = identity_keys(**values, region=region)
    return IndexEntry(
        system=system,
        object=obj,
        record_id=record_id,
        email=keys.email,
        company_name=keys.company_name,
        phone=keys.phone,
        company=normalize_company(company) or None,
        account_id=fields.get("AccountId") or fields.get("ConvertedAccountId"),
        converted_contact_id=fields.get("ConvertedContactId"),
        is_converted=bool(fields.get("IsConverted")),
        fields=dict(current or {}),
        **index_columns(person(**values, region=region)),
    )


def candidate_of(entry: IndexEntry, settings: MatchSettings = DEFAULT_SETTINGS) -> Candidate:
    """An index entry of a Lead or Contact as a candidate for :func:`~connector.matching.decide_identity`.

    Entries written before the evidence columns existed (store revision 0001) compare with what they
    have (email, company, phone); their name counts as missing until the mirror reads them again.
    """
    return Candidate(
        entry.object,
        entry.record_id,
        entry.is_converted,
        entry.converted_contact_id,
        entry.account_id,
        person=stored_person(
            email=entry.email,
            person_name=entry.person_name,
            company=entry.company,
            company_form=entry.company_form,
            phone=entry.phone,
            settings=settings,
        ),
    )
