"""The HubSpot fake's portal: object tables, the modified-date clock, record ids and create counters.

Every write takes a modified time from one clock that never repeats and never goes backwards, so records
written one after the other sort in write order. Seeded records may carry historical dates instead.
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from connector.sandbox.hubspot.schema import CUSTOM, OBJECT_TYPE_IDS, default_properties, prop
from connector.sandbox.hubspot.store import (
    ObjectTable,
    StoredObject,
    iso,
    new_record,
    to_ms,
)
from connector.sandbox.hubspot.wire import WireError

_TYPE_BY_ID = {type_id: name for name, type_id in OBJECT_TYPE_IDS.items()}


class Portal:
    """All CRM records of the fake. Callers hold the fake's lock."""

    def __init__(self) -> None:
        self.tables = {name: ObjectTable(name, defs) for name, defs in default_properties().items()}
        self.creates: Counter[tuple[str, str, str]] = Counter()
        self._next_id = 1001
        self._last_stamp = 0

    def table(self, object_type: str) -> ObjectTable:
        """The table for a name (``contacts``) or type id (``0-1``); 400 like HubSpot otherwise."""
        name = _TYPE_BY_ID.get(object_type, object_type)
        if name not in self.tables:
            raise WireError(400, "VALIDATION_ERROR", f"Unable to infer object type from: {object_type}")
        return self.tables[name]

    def stamp(self) -> int:
        """A modified time in ms: now, never earlier than the previous one (writes in one ms share it,
        as on HubSpot; a strictly increasing stamp would run ahead of the clock during bulk writes)."""
        self._last_stamp = max(int(time.time() * 1000), self._last_stamp)
        return self._last_stamp

    def create(
        self,
        table: ObjectTable,
        values: dict[str, str],
        *,
        object_id: int | None = None,
        modified_ms: int | None = None,
    ) -> StoredObject:
        """Insert a record (values already validated) and count the create per unique value."""
        if object_id is None:
            object_id = self._next_id
        if table.live(object_id) is not None:
            raise ValueError(f"{table.name} {object_id} already exists")
        self._next_id = max(self._next_id, object_id + 1)
        modified = modified_ms if modified_ms is not None else self.stamp()
        created = min(modified, int(time.time() * 1000))
        record = new_record(table, object_id, values, created, modified)
        table.insert(record)
        for name in table.unique:
            if record.properties.get(name):
                self.creates[(table.name, name, record.properties[name])] += 1
        return record

    def update(self, table: ObjectTable, record: StoredObject, values: Mapping[str, str]) -> None:
        table.apply(record, values, self.stamp())

    def check_conflicts(
        self, table: ObjectTable, planned: Sequence[tuple[Mapping[str, str], int | None]]
    ) -> None:
        """409 like HubSpot when a planned write reuses a unique value held by another record or input."""
        claimed: dict[tuple[str, str], int | None] = {}  # (property, value) → record id, None if new
        for values, own_id in planned:
            conflict = table.conflict(values, own_id=own_id)
            if conflict is not None:
                raise WireError(409, "CONFLICT", str(conflict))
            for name in table.unique:
                key = (name, values.get(name, ""))
                if not key[1]:
                    continue
                if key in claimed and (own_id is None or claimed[key] != own_id):
                    raise WireError(
                        409, "CONFLICT", f"Duplicate value {name}={key[1]} for two inputs of one batch"
                    )
                claimed[key] = own_id

    def creates_per_key(self, object_type: str, property_name: str) -> dict[str, int]:
        """How many records were ever created per value of a unique property (duplicates show as > 1)."""
        name = self.table(object_type).name
        return {
            value: n
            for (table, prop_name, value), n in self.creates.items()
            if (table, prop_name) == (name, property_name)
        }

    # ---- seeding and dumps ------------------------------------------------------------------------
    def seed_records(self, object_type: str, entries: Sequence[Mapping[str, Any]]) -> list[str]:
        """Load records; ``updatedAt`` / ``createdAt`` (ISO or ms) set historical dates."""
        table = self.table(object_type)
        ids = []
        for entry in entries:
            properties = dict(entry.get("properties") or {})
            if entry.get("createdAt") is not None:
                properties["createdate"] = entry["createdAt"]
            values = table.validate(properties, seeding=True)
            for system_name in ("hs_object_id", table.modified_property):
                values.pop(system_name, None)
            updated = entry.get("updatedAt")
            modified = to_ms(str(updated)) if updated is not None else None
            object_id = int(entry["id"]) if entry.get("id") is not None else None
            conflict = table.conflict(values)
            if conflict is not None:
                raise ValueError(f"seed {object_type}: {conflict}")
            ids.append(str(self.create(table, values, object_id=object_id, modified_ms=modified).id))
        return ids

    def seed_properties(self, object_type: str, definitions: Sequence[Mapping[str, Any]]) -> None:
        """Add or replace property definitions; short forms get realistic defaults."""
        table = self.table(object_type)
        for definition in definitions:
            kind = definition.get("type", "string")
            base = prop(definition["name"], definition.get("label", definition["name"]), kind, flags=CUSTOM)
            base.update({key: value for key, value in definition.items() if key != "type"})
            if kind != "email":
                base["type"] = kind
            table.define(base)

    def dump(self) -> dict[str, list[dict[str, Any]]]:
        return {
            name: [
                {
                    "id": str(record.id),
                    "properties": dict(record.properties),
                    "createdAt": iso(record.created_ms),
                    "updatedAt": iso(record.modified_ms),
                    "archived": record.archived,
                }
                for record in table.records.values()
            ]
            for name, table in self.tables.items()
        }
