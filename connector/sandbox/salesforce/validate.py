"""Field checks the Salesforce fake runs on every write, with Salesforce's error codes and wording.

Two kinds of failure: :class:`RequestError` refuses the whole call (an unknown field or a value that
cannot be deserialized: Salesforce fails the request before any DML), :class:`SaveError` refuses one
record (required field, invalid email, too long, restricted picklist, bad reference, read-only field).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from connector.sandbox.salesforce.objects import KEY_PREFIXES
from connector.sandbox.salesforce.schema import NUMBER_TYPES, TEXT_TYPES, FieldDef, ObjectDef
from connector.sandbox.salesforce.soql_compile import to_epoch
from connector.sandbox.salesforce.store import format_stamp, normalize_id

_EMAIL = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}$")


@dataclass
class SaveError(Exception):
    """One record refused: ``code`` is the statusCode / errorCode Salesforce reports."""

    code: str
    message: str
    fields: tuple[str, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    def collection_json(self) -> dict[str, Any]:
        return {"statusCode": self.code, "message": self.message, "fields": list(self.fields), **self.extra}

    def single_json(self) -> dict[str, Any]:
        return {"message": self.message, "errorCode": self.code, "fields": list(self.fields), **self.extra}


@dataclass
class RequestError(Exception):
    """The whole call refused (HTTP ``status``) with Salesforce's error-array body."""

    code: str
    message: str
    status: int = 400

    def body(self) -> list[dict[str, Any]]:
        return [{"message": self.message, "errorCode": self.code}]


def unknown_field(obj: ObjectDef, name: str) -> RequestError:
    return RequestError("INVALID_FIELD", f"No such column '{name}' on sobject of type {obj.name}")


def coerce(obj: ObjectDef, name: str, value: Any) -> Any:
    """A JSON value as stored; RequestError when the field is unknown or the value has the wrong type."""
    definition = obj.field(name)
    if definition is None:
        raise unknown_field(obj, name)
    if value is None:
        return None
    try:
        return _COERCERS.get(definition.type, _as_text)(value)
    except (TypeError, ValueError):
        raise RequestError(
            "JSON_PARSER_ERROR",
            f"Cannot deserialize instance of {definition.type} from VALUE_STRING value {value} or "
            "request may be missing a required field",
        ) from None


def _as_text(value: Any) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise TypeError(value)
    return str(value)


def _as_number(value: Any) -> float:
    if isinstance(value, bool):
        raise TypeError(value)
    return float(value)


def _as_boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    raise TypeError(value)


def _as_date(value: Any) -> str:
    return date.fromisoformat(str(value)[:10]).isoformat()


def _as_datetime(value: Any) -> str:
    return format_stamp(to_epoch(str(value)))


_COERCERS: dict[str, Callable[[Any], Any]] = {
    "boolean": _as_boolean,
    "date": _as_date,
    "datetime": _as_datetime,
    **dict.fromkeys(NUMBER_TYPES, _as_number),
}

Lookup = Callable[[str, str], Mapping[str, Any] | None]
"""(object, id) → the record, or None."""


def check_record(
    obj: ObjectDef, values: Mapping[str, Any], existing: Mapping[str, Any] | None, lookup: Lookup
) -> None:
    """Raise the first SaveError Salesforce would report for saving ``values`` over ``existing``."""
    _check_writable(obj, values, creating=existing is None)
    if existing is not None and obj.name == "Lead" and existing.get("IsConverted"):
        raise SaveError("CANNOT_UPDATE_CONVERTED_LEAD", "cannot reference converted lead")
    _check_required(obj, values, creating=existing is None)
    for name, value in values.items():
        if value is not None:
            _check_value(obj.fields[name], value, lookup)


def _check_writable(obj: ObjectDef, values: Mapping[str, Any], *, creating: bool) -> None:
    refused = [
        name
        for name in values
        if not (obj.fields[name].createable if creating else obj.fields[name].updateable)
    ]
    if refused:
        raise SaveError(
            "INVALID_FIELD_FOR_INSERT_UPDATE",
            f"Unable to create/update fields: {', '.join(refused)}. Please check the security settings of "
            "this field and verify that it is read/write for your profile or permission set.",
            tuple(refused),
        )


def _check_required(obj: ObjectDef, values: Mapping[str, Any], *, creating: bool) -> None:
    if creating:
        missing = [name for name in obj.required_fields() if values.get(name) in (None, "")]
    else:
        missing = [name for name in obj.required_fields() if name in values and values[name] in (None, "")]
    if missing:
        raise SaveError(
            "REQUIRED_FIELD_MISSING", f"Required fields are missing: [{', '.join(missing)}]", tuple(missing)
        )


def _check_value(definition: FieldDef, value: Any, lookup: Lookup) -> None:
    name, label = definition.name, definition.label
    if definition.type == "email" and not _EMAIL.match(str(value)):
        raise SaveError("INVALID_EMAIL_ADDRESS", f"{label}: invalid email address: {value}", (name,))
    if definition.type in TEXT_TYPES and definition.length and len(str(value)) > definition.length:
        raise SaveError(
            "STRING_TOO_LONG",
            f"{label}: data value too large: {value} (max length={definition.length})",
            (name,),
        )
    if definition.restricted and value not in definition.picklist:
        raise SaveError(
            "INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST",
            f"{label}: bad value for restricted picklist field: {value}",
            (name,),
        )
    if definition.type == "reference":
        _check_reference(definition, value, lookup)


def _check_reference(definition: FieldDef, value: Any, lookup: Lookup) -> None:
    record_id = normalize_id(value)
    if record_id is None:
        raise SaveError(
            "MALFORMED_ID", f"{definition.label}: id value of incorrect type: {value}", (definition.name,)
        )
    target = KEY_PREFIXES.get(record_id[:3])
    if target not in definition.reference_to:
        raise SaveError(
            "FIELD_INTEGRITY_EXCEPTION",
            f"{definition.label}: id value of incorrect type: {value}",
            (definition.name,),
        )
    if target == "Pricebook2":
        return
    found = lookup(target, record_id)
    if found is None:
        raise SaveError("INVALID_CROSS_REFERENCE_KEY", "invalid cross reference id", (definition.name,))
    if target == "User" and not found.get("IsActive", True):
        raise SaveError(
            "INACTIVE_OWNER_OR_USER",
            f"operation performed with inactive user [{record_id}] as owner of {definition.name}",
            (definition.name,),
        )
