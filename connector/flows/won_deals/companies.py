"""Companies in the CRM: a mirror of their match keys, and which company an Account is (名寄せ).

The CRM's companies are mirrored incrementally into the identity index (one read per 200 changed
companies; a run with no change costs one call), so matching an Account costs database lookups. A
company's entry keeps its normalised name in ``company`` and its web domain in ``email`` (the part of
its people's addresses that names it), plus the properties conflict rules need. An Account matches by
domain first, then by normalised name; several companies for one key are never guessed between.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Engine

from connector.flows.identity_mirror import mirror_stream
from connector.flows.won_deals.mapping import CompanySpec
from connector.mapping.transforms import TransformValueError, url_domain
from connector.matching import normalize_company
from connector.records import Record
from connector.state import identity
from connector.state.identity import IndexEntry
from connector.systems.base import System


def domain_key(value: Any) -> str:
    """A domain as companies are matched by it ("" when the value is no domain)."""
    if value is None or not str(value).strip():
        return ""
    try:
        return str(url_domain(str(value)))
    except TransformValueError:
        return ""


def entry(system: str, spec: CompanySpec, record_id: str, fields: Mapping[str, Any]) -> IndexEntry:
    """The index entry of a CRM company (``fields`` by CRM property name)."""
    domain = domain_key(fields.get(spec.match_domain)) if spec.match_domain else ""
    name = normalize_company(fields.get(spec.match_name)) if spec.match_name else ""
    return IndexEntry(system, spec.object, record_id, email=domain or None, company=name or None,
                      fields=dict(fields))  # fmt: skip


def refresh(engine: Engine, crm: System, spec: CompanySpec, current: Iterable[str]) -> int:
    """Read companies changed since the last refresh into the index; returns the records read."""
    wanted = [name for name in (spec.match_domain, spec.match_name, spec.upsert_key, *current) if name]
    fields = list(dict.fromkeys(wanted))

    def entries(_connection: Connection, records: Sequence[Record]) -> list[IndexEntry]:
        return [_entry_of(crm.name, spec, record, fields) for record in records]

    return mirror_stream(engine, crm, spec.object, fields, entries)


def _entry_of(system: str, spec: CompanySpec, record: Record, fields: Sequence[str]) -> IndexEntry:
    return entry(system, spec, record.id, {name: record.fields.get(name) for name in fields})


@dataclass(frozen=True)
class Match:
    """What the index says about one Account's company."""

    company_id: str | None = None  # None: nobody found
    rule: str = ""  # "domain" or "name"
    ambiguous: tuple[str, ...] = ()  # several companies for one key: an admin decides
    fields: Mapping[str, Any] | None = None  # the company's mirrored properties


def find(
    connection: Connection, system: str, spec: CompanySpec, keys: Mapping[str, tuple[str, str]]
) -> dict[str, Match]:
    """The company of each Account by its (domain, normalised name) keys: domain first, then name."""
    domains = identity.lookup(connection, system, "email", [d for d, _ in keys.values()], [spec.object])
    names = identity.lookup(connection, system, "company", [n for _, n in keys.values()], [spec.object])
    found = {}
    for account, (domain, name) in keys.items():
        for rule, hits in (("domain", domains.get(domain) if domain else None),
                           ("name", names.get(name) if name else None)):  # fmt: skip
            if hits:
                found[account] = _decide(rule, hits)
                break
        else:
            found[account] = Match()
    return found


def _decide(rule: str, hits: Sequence[IndexEntry]) -> Match:
    if len(hits) > 1:
        return Match(rule=rule, ambiguous=tuple(sorted(hit.record_id for hit in hits)))
    return Match(hits[0].record_id, rule, fields=hits[0].fields or {})
