"""The HubSpot fake's records: one table per object type, property validation, unique indexes.

Tables keep their live ids sorted, with the modified and created times in columns aligned to them, so a
search sorted by ``hs_object_id`` and filtered on dates scans plain lists instead of sorting records.
All methods expect the fake's lock to be held.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from connector.sandbox.hubspot.schema import DEFAULT_UNIQUE, MODIFIED_PROPERTY

SYSTEM_PROPERTIES = ("hs_object_id", "createdate")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def iso(ms: int) -> str:
    """HubSpot's datetime format: ISO 8601 in UTC with milliseconds."""
    moment = datetime.fromtimestamp(ms / 1000, tz=UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{ms % 1000:03d}Z"


def to_ms(value: str) -> int | None:
    """A datetime given as ms epoch, ISO date or ISO datetime, in ms epoch; None if it is neither."""
    text = value.strip()
    if text.lstrip("-").isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)


@dataclass(frozen=True)
class PropertyError:
    """One invalid property value, as HubSpot reports it inside a VALIDATION_ERROR."""

    code: str
    name: str
    message: str


class ValidationFailed(Exception):
    def __init__(self, errors: list[PropertyError]) -> None:
        self.errors = errors
        super().__init__("; ".join(error.message for error in errors))


class UniqueConflict(Exception):
    """A unique property value already belongs to another record."""

    def __init__(self, table: str, existing_id: int) -> None:
        self.existing_id = existing_id
        noun = "Contact" if table == "contacts" else "Object"
        super().__init__(f"{noun} already exists. Existing ID: {existing_id}")


@dataclass
class StoredObject:
    id: int
    properties: dict[str, str]
    created_ms: int
    modified_ms: int
    archived: bool = False


def _wire_string(raw: Any) -> str:
    if raw is None:
        return ""
    if isinstance(raw, bool):
        return "true" if raw else "false"
    return str(raw)


Checked = tuple[str, PropertyError | None]


def _plain(definition: Mapping[str, Any], value: str) -> Checked:
    return value, None


def _check_email(definition: Mapping[str, Any], value: str) -> Checked:
    if not _EMAIL.match(value.strip()):
        return value, PropertyError("INVALID_EMAIL", definition["name"], f"Email address {value} is invalid")
    return value.strip().lower(), None


def _check_number(definition: Mapping[str, Any], value: str) -> Checked:
    if _NUMBER.match(value):
        return value, None
    integer = definition.get("numberDisplayHint", "unformatted") == "unformatted"
    kind = "integer" if integer else "decimal"
    return value, PropertyError(
        f"INVALID_{kind.upper()}", definition["name"], f"{value} was not a valid {kind}."
    )


def _check_datetime(definition: Mapping[str, Any], value: str) -> Checked:
    ms = to_ms(value)
    if ms is None:
        code = "INVALID_DATE" if definition["type"] == "date" else "INVALID_DATETIME"
        return value, PropertyError(code, definition["name"], f"{value} is not a valid date.")
    if definition["type"] == "date":
        return date.fromtimestamp(ms / 1000).isoformat(), None
    return iso(ms), None


def _check_bool(definition: Mapping[str, Any], value: str) -> Checked:
    if value.lower() in ("true", "false"):
        return value.lower(), None
    return value, PropertyError("INVALID_BOOLEAN", definition["name"], f"{value} is not a valid boolean.")


def _check_option(definition: Mapping[str, Any], value: str) -> Checked:
    if definition.get("externalOptions"):  # options served elsewhere (owners): the fake takes any id
        return value, None
    allowed = {option["value"] for option in definition.get("options", [])}
    chosen = value.split(";") if definition.get("fieldType") == "checkbox" else [value]
    if all(choice in allowed for choice in chosen):
        return value, None
    message = f"{value} was not one of the allowed options: {sorted(allowed)}"
    return value, PropertyError("INVALID_OPTION", definition["name"], message)


_CHECKS = {
    "number": _check_number,
    "datetime": _check_datetime,
    "date": _check_datetime,
    "bool": _check_bool,
    "enumeration": _check_option,
}


def check_value(definition: Mapping[str, Any], raw: Any) -> Checked:
    """Validate and normalise one value the way HubSpot stores it; "" clears a value and always passes."""
    value = _wire_string(raw)
    if value == "":
        return value, None
    if definition.get("textDisplayHint") == "email" or definition["name"] == "email":
        return _check_email(definition, value)
    return _CHECKS.get(definition["type"], _plain)(definition, value)


class ObjectTable:
    """The records of one object type and the indexes the fake's queries need."""

    def __init__(self, name: str, definitions: Iterable[Mapping[str, Any]]) -> None:
        self.name = name
        self.modified_property = MODIFIED_PROPERTY[name]
        self.definitions: dict[str, dict[str, Any]] = {}
        self.records: dict[int, StoredObject] = {}
        self.ids: list[int] = []
        self.modified: list[int] = []
        self.created: list[int] = []
        self.unique: dict[str, dict[str, int]] = {name: {} for name in DEFAULT_UNIQUE.get(name, ())}
        for definition in definitions:
            self.define(definition)

    def define(self, definition: Mapping[str, Any]) -> None:
        self.definitions[definition["name"]] = dict(definition)
        if definition.get("hasUniqueValue"):
            self.unique.setdefault(definition["name"], {})
            for record in self.records.values():
                if record.properties.get(definition["name"]):
                    self.unique[definition["name"]][record.properties[definition["name"]]] = record.id

    def is_unique(self, name: str) -> bool:
        return name in self.unique

    def live(self, object_id: int) -> StoredObject | None:
        record = self.records.get(object_id)
        return record if record is not None and not record.archived else None

    def find(self, id_property: str | None, value: str) -> StoredObject | None:
        """The live record whose ``id_property`` (None or hs_object_id: the record id) equals ``value``."""
        if id_property in (None, "", "hs_object_id", "id"):
            return self.live(int(value)) if value.strip().isdigit() else None
        index = self.unique.get(id_property)
        if index is None:
            return None
        key = value.strip().lower() if id_property == "email" else value
        found = index.get(key)
        return self.live(found) if found is not None else None

    def validate(self, properties: Mapping[str, Any], *, seeding: bool = False) -> dict[str, str]:
        """Normalised values, or ValidationFailed listing every bad property (HubSpot reports them all)."""
        values, errors = {}, []
        for name, raw in properties.items():
            definition = self.definitions.get(name)
            if definition is None:
                errors.append(
                    PropertyError("PROPERTY_DOESNT_EXIST", name, f'Property "{name}" does not exist')
                )
                continue
            if definition["modificationMetadata"]["readOnlyValue"] and not seeding:
                message = f'"{name}" is a read only property; its value cannot be set.'
                errors.append(PropertyError("READ_ONLY_VALUE", name, message))
                continue
            values[name], error = check_value(definition, raw)
            if error is not None:
                errors.append(error)
        if errors:
            raise ValidationFailed(errors)
        return values

    def conflict(self, values: Mapping[str, str], *, own_id: int | None = None) -> UniqueConflict | None:
        """The conflict a write of ``values`` would cause on a unique property, if any."""
        for name, index in self.unique.items():
            owner = index.get(values.get(name, ""))
            if owner is not None and owner != own_id and self.live(owner) is not None:
                return UniqueConflict(self.name, owner)
        return None

    def insert(self, record: StoredObject) -> None:
        self.records[record.id] = record
        self._index_unique(record, {})
        if not self.ids or record.id > self.ids[-1]:
            self.ids.append(record.id)
            self.modified.append(record.modified_ms)
            self.created.append(record.created_ms)
        else:
            position = bisect.bisect_left(self.ids, record.id)
            self.ids.insert(position, record.id)
            self.modified.insert(position, record.modified_ms)
            self.created.insert(position, record.created_ms)

    def apply(self, record: StoredObject, values: Mapping[str, str], modified_ms: int) -> None:
        """Write ``values`` onto ``record`` and move its modified time."""
        previous = dict(record.properties)
        for name, value in values.items():
            if value == "":
                record.properties.pop(name, None)
            else:
                record.properties[name] = value
        record.modified_ms = modified_ms
        record.properties[self.modified_property] = iso(modified_ms)
        created = to_ms(values["createdate"]) if values.get("createdate") else None
        if created is not None:
            record.created_ms = created
            record.properties["createdate"] = iso(created)
        self._index_unique(record, previous)
        position = bisect.bisect_left(self.ids, record.id)
        self.modified[position] = modified_ms
        self.created[position] = record.created_ms

    def archive(self, record: StoredObject) -> None:
        record.archived = True
        position = bisect.bisect_left(self.ids, record.id)
        del self.ids[position], self.modified[position], self.created[position]
        for name, index in self.unique.items():
            if index.get(record.properties.get(name, "")) == record.id:
                del index[record.properties[name]]

    def scan(self, start: int = 0) -> Iterator[StoredObject]:
        """Live records in ascending id order from position ``start``."""
        records = self.records
        for object_id in self.ids[start:]:
            yield records[object_id]

    def _index_unique(self, record: StoredObject, previous: Mapping[str, str]) -> None:
        for name, index in self.unique.items():
            old, new = previous.get(name), record.properties.get(name)
            if old and old != new and index.get(old) == record.id:
                del index[old]
            if new:
                index[new] = record.id


def new_record(
    table: ObjectTable, object_id: int, values: dict[str, str], created: int, modified: int
) -> StoredObject:
    """A record with HubSpot's system properties filled in (creation date may come from ``values``)."""
    created_at = to_ms(values["createdate"]) if values.get("createdate") else None
    created = created_at if created_at is not None else created
    properties = {**values, "hs_object_id": str(object_id), "createdate": iso(created)}
    properties[table.modified_property] = iso(modified)
    return StoredObject(object_id, properties, created, modified)
