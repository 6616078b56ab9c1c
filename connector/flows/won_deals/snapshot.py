"""What the won-deals flow keeps of one opportunity: its fields, its line items and its contact roles.

A snapshot is plain JSON-ready data, the payload of the opportunity's outbox row; its hash says whether
anything the mapping reads changed since the last successful sync. Pure functions, no I/O.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from connector.records import Record


def flatten(fields: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Relationship fields as dotted names: ``{"Account": {"Name": "Acme"}}`` → ``{"Account.Name": "Acme"}``.

    A REST answer nests related records (``None`` for an empty reference); a bulk answer already names
    them ``Account.Name``. Both come out the same.
    """
    flat: dict[str, Any] = {}
    for name, value in fields.items():
        if isinstance(value, Mapping):
            flat.update(flatten(value, f"{prefix}{name}."))
        else:
            flat[f"{prefix}{name}"] = value
    return flat


def pick(fields: Mapping[str, Any], names: Iterable[str]) -> dict[str, Any]:
    """The values of ``names`` (None for a name the record lacks, e.g. under an empty reference)."""
    return {name: fields.get(name) for name in names}


def build(
    opportunity: Record,
    lines: Sequence[Record],
    roles: Sequence[Record],
    *,
    fields: Sequence[str],
    line_fields: Sequence[str],
    role_fields: Sequence[str],
) -> dict[str, Any]:
    """The snapshot of one opportunity; children sorted by id so equal data hashes equal."""
    return {
        "fields": pick(flatten(opportunity.fields), fields),
        "lines": [
            {"id": line.id, "fields": pick(flatten(line.fields), line_fields)}
            for line in sorted(lines, key=lambda record: record.id)
        ],
        "roles": [
            {"id": role.id, "fields": pick(flatten(role.fields), role_fields)}
            for role in sorted(roles, key=lambda record: record.id)
        ],
    }


def snapshot_hash(snapshot: Mapping[str, Any]) -> str:
    text = json.dumps(snapshot, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def fields_hash(fields: Mapping[str, Any]) -> str:
    """The hash of an opportunity's own fields: unchanged, its children need no read (their changes come
    through their own streams, and a deleted line item changes the opportunity's Amount)."""
    return snapshot_hash({"fields": fields})


def children_hashes(snapshot: Mapping[str, Any]) -> dict[str, str]:
    """Each line item's and contact role's :func:`fields_hash`, by id: a child re-read unchanged needs
    no new snapshot of its opportunity."""
    return {child["id"]: fields_hash(child["fields"]) for child in (*snapshot["lines"], *snapshot["roles"])}


def is_won(snapshot: Mapping[str, Any], won_field: str) -> bool:
    """Whether the opportunity is won (a bulk read answers booleans as text)."""
    value = snapshot["fields"].get(won_field)
    return value is True or (isinstance(value, str) and value.lower() == "true")
