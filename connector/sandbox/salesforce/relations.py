"""Relationship fields in SOQL: ``Account.Name`` or ``PricebookEntry.Product2.ProductCode`` in a SELECT list.

A dotted name follows reference fields by their relationship name (``AccountId`` is ``Account``; a custom
``Partner__c`` is ``Partner__r``) to a field of the related object. The REST answer nests each related
record under its relationship name, with its own ``attributes``, or ``null`` when the reference is empty;
a Bulk API 2.0 query answers one flat CSV column per dotted name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from connector.sandbox.salesforce.schema import FieldDef, ObjectDef

Row = Mapping[str, Any]
Fetch = Callable[[str, str], Row | None]
"""(object, id) → the related record, or None."""


@dataclass(frozen=True, slots=True)
class Hop:
    relationship: str  # "Account"
    reference: str  # the reference field followed: "AccountId"
    target: str  # the object it points at: "Account"


@dataclass(frozen=True, slots=True)
class Path:
    """A selected relationship field, resolved: the hops from the queried object, then a field."""

    name: str  # canonical dotted name, as Salesforce spells it
    hops: tuple[Hop, ...]
    field: FieldDef


def relationship_name(field: FieldDef) -> str | None:
    if field.type != "reference":
        return None
    if field.name.endswith("__c"):
        return field.name[:-3] + "__r"
    return field.name[:-2] if field.name.endswith("Id") else None


def resolve(obj: ObjectDef, dotted: str, objects: Mapping[str, ObjectDef]) -> Path | None:
    """The path ``dotted`` names from ``obj``, or None when a relationship or the field does not exist."""
    *relationships, last = dotted.split(".")
    current, hops = obj, []
    for segment in relationships:
        reference = next(
            (f for f in current.fields.values() if (relationship_name(f) or "").lower() == segment.lower()),
            None,
        )
        target = objects.get(reference.reference_to[0]) if reference and reference.reference_to else None
        if reference is None or target is None:
            return None
        hops.append(Hop(str(relationship_name(reference)), reference.name, target.name))
        current = target
    field = next((f for f in current.fields.values() if f.name.lower() == last.lower()), None)
    if field is None:
        return None
    return Path(".".join([*(hop.relationship for hop in hops), field.name]), tuple(hops), field)


def nested(row: Row, paths: Iterable[Path], fetch: Fetch, version: str) -> dict[str, Any]:
    """The related records of ``row`` as the REST API nests them, by relationship name."""
    out: dict[str, Any] = {}
    for path in paths:
        _place(out, row, path.hops, path.field.name, fetch, version)
    return out


def _place(
    out: dict[str, Any], row: Row, hops: tuple[Hop, ...], field: str, fetch: Fetch, version: str
) -> None:
    hop, rest = hops[0], hops[1:]
    related = fetch(hop.target, row[hop.reference]) if row.get(hop.reference) else None
    if related is None:
        out.setdefault(hop.relationship, None)
        return
    url = f"/services/data/{version}/sobjects/{hop.target}/{related['Id']}"
    node = out.get(hop.relationship) or {"attributes": {"type": hop.target, "url": url}}
    out[hop.relationship] = node
    if rest:
        _place(node, related, rest, field, fetch, version)
    else:
        node[field] = related.get(field)


def flat_value(row: Row, path: Path, fetch: Fetch) -> Any:
    """The value at the end of ``path`` (None when a reference on the way is empty)."""
    current: Row | None = row
    for hop in path.hops:
        reference = current.get(hop.reference) if current is not None else None
        current = fetch(hop.target, reference) if reference else None
    return current.get(path.field.name) if current is not None else None
