"""Shape one field's value: origin → transforms → value map → default → required → target schema.

Pure functions over values. A value the field cannot take raises :class:`FieldRefused`; the engine
turns it into a :class:`~connector.mapping.engine.MappingFailure` for the whole record.
Blank results (None, "", whitespace) come out as None, which every adapter writes as "clear".
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from connector.mapping.compiled import CompiledField
from connector.mapping.spec import Unmapped
from connector.mapping.template import render_text
from connector.mapping.transforms import TransformValueError, is_blank
from connector.records import FieldSchema

TEXT_TYPES = frozenset(
    {"string", "textarea", "email", "phone", "url", "picklist", "multipicklist", "combobox", "reference",
     "id", "encryptedstring", "enumeration", "text"}
)  # fmt: skip
NUMBER_TYPES = frozenset(
    {"double", "int", "integer", "long", "currency", "percent", "number", "float", "score"}
)
WHOLE_NUMBER_TYPES = frozenset({"int", "integer", "long", "score"})
BOOLEAN_TYPES = frozenset({"boolean", "bool", "checkbox"})
DATE_TYPES = frozenset({"date", "datetime", "date-time"})

_TRUE = frozenset({"true", "1"})
_FALSE = frozenset({"false", "0"})


class FieldRefused(ValueError):
    """This field cannot take this record's value; ``value`` is the value at the step that refused it."""

    def __init__(self, message: str, *, value: Any) -> None:
        self.value = value
        super().__init__(message)


def shape_value(field: CompiledField, lookup: Callable[[str], Any], schema: FieldSchema | None) -> Any:
    """The value ``field`` writes, from values found by ``lookup(name)``; raises FieldRefused."""
    spec = field.spec
    value = _origin(field, lookup)
    for transform in field.transforms:
        try:
            value = transform(value)
        except TransformValueError as exc:
            raise FieldRefused(f"{transform.name}: {exc}", value=value) from None
    if spec.map is not None and not is_blank(value):
        value = _mapped(spec.map, spec.unmapped, value)
    if is_blank(value):
        value = spec.default
    if is_blank(value):
        if spec.required:
            raise FieldRefused("required, but the value is blank and there is no default", value=value)
        return None
    return conform(value, schema) if schema is not None else value


def _origin(field: CompiledField, lookup: Callable[[str], Any]) -> Any:
    spec = field.spec
    if spec.from_ is not None:
        return lookup(spec.from_)
    if field.template is not None:
        return field.template.render({name: lookup(name) for name in field.template.names})
    return spec.value


def _mapped(table: dict[str, Any], unmapped: Unmapped, value: Any) -> Any:
    key = render_text(value)
    if key in table:
        return table[key]
    if unmapped is Unmapped.KEEP:
        return value
    if unmapped is Unmapped.BLANK:
        return None
    raise FieldRefused(f"value {key!r} is not in map (known: {', '.join(sorted(table))})", value=value)


def conform(value: Any, schema: FieldSchema) -> Any:
    """``value`` as the target field's type wants it: checked, converted and cut to its length.

    Raises FieldRefused for a value the type cannot hold or a restricted picklist does not offer.
    Unknown types pass through unchanged.
    """
    kind = schema.type.lower()
    if kind in BOOLEAN_TYPES:
        return _as_boolean(value, schema)
    if kind in NUMBER_TYPES:
        return _as_number(value, schema, whole=kind in WHOLE_NUMBER_TYPES)
    if kind in TEXT_TYPES:
        text = render_text(value)
        _check_picklist(text, schema)
        return text[: schema.length] if schema.length else text
    return value


def _as_boolean(value: Any, schema: FieldSchema) -> bool:
    if isinstance(value, bool):
        return value
    text = render_text(value).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise FieldRefused(f"{schema.name} is of type {schema.type} and cannot take {value!r}", value=value)


def _as_number(value: Any, schema: FieldSchema, *, whole: bool) -> int | float:
    refused = FieldRefused(f"{schema.name} is of type {schema.type} and cannot take {value!r}", value=value)
    if isinstance(value, bool):
        raise refused
    if isinstance(value, int):
        return value
    try:
        number = (
            float(value) if isinstance(value, int | float) else float(str(value).strip().replace(",", ""))
        )
    except ValueError:
        raise refused from None
    if not math.isfinite(number):
        raise refused
    if whole and not number.is_integer():
        raise refused
    return int(number) if number.is_integer() else number


class PicklistRefused(FieldRefused):
    """A restricted picklist of the target does not offer the value."""


def _check_picklist(text: str, schema: FieldSchema) -> None:
    if not schema.restricted_picklist or not schema.picklist:
        return
    chosen = text.split(";") if schema.type.lower() == "multipicklist" else [text]
    refused = [item for item in chosen if item not in schema.picklist]
    if refused:
        raise PicklistRefused(
            f"{schema.name} is a restricted picklist without {', '.join(map(repr, refused))}; "
            f"allowed: {', '.join(schema.picklist)}",
            value=text,
        )


def value_family(type_name: str) -> str:
    """The broad kind of a vendor field type: text, number, boolean, date or other."""
    kind = type_name.lower()
    if kind in BOOLEAN_TYPES:
        return "boolean"
    if kind in NUMBER_TYPES:
        return "number"
    if kind in DATE_TYPES:
        return "date"
    return "text" if kind in TEXT_TYPES else "other"
