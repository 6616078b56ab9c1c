"""Check a loaded mapping against the systems' described schemas (``revloop mappings check``).

Pure: takes the :class:`~connector.records.ObjectSchema` values the adapters described and returns
one message per problem, each starting with its key path (the caller adds the file). A flow kind
checks its tables of fields with these pieces; an empty list means they fit the schemas.
"""

from __future__ import annotations

from typing import Any

from connector.mapping.compiled import CompiledField, Mapping
from connector.mapping.conflicts import WritePolicy
from connector.mapping.engine import required_source_fields
from connector.mapping.shape import FieldRefused, conform, value_family
from connector.records import FieldSchema, ObjectSchema

_FAMILY_OF_TRANSFORM = {"to_date": "date", "to_datetime": "date", "date": "date", "phone_e164": "text"}


def target_problems(mapping: Mapping, schema: ObjectSchema, source: ObjectSchema | None) -> list[str]:
    """``[target]`` and ``[fields]`` against the target object's schema (and the source's, for types)."""
    problems = key_field_problems("target.upsert_key", mapping.spec.target.upsert_key, schema)
    problems += section_problems(mapping.fields, schema, source)
    mapped = {compiled.name for compiled in mapping.fields}
    for field in schema.fields.values():
        if field.required and field.name not in mapped and field.name != mapping.spec.target.upsert_key:
            problems.append(
                f"fields: {schema.object}.{field.name} is required on create but not mapped; "
                f'add [fields.{field.name}] with a default such as default = "(unknown)"'
            )
    return problems


def section_problems(
    fields: tuple[CompiledField, ...], schema: ObjectSchema, source: ObjectSchema | None
) -> list[str]:
    """A table of fields written from the source against the schema of the object it writes."""
    return [problem for compiled in fields for problem in _field_problems(compiled, schema, source)]


def written_back_problems(fields: tuple[CompiledField, ...], schema: ObjectSchema) -> list[str]:
    """A table of fields written back to the source against the source object's schema."""
    problems = []
    for compiled in fields:
        field = schema.field(compiled.name)
        if field is None:
            problems.append(f"{compiled.key_path}: {schema.object} has no field {compiled.name!r}")
            continue
        problems += _constant_problems(compiled, field)
        if not field.updateable and compiled.policy is not WritePolicy.NEVER:
            problems.append(f"{compiled.key_path}: {schema.object}.{field.name} is read-only")
    return problems


def source_problems(mapping: Mapping, schema: ObjectSchema) -> list[str]:
    """Source fields the mapping reads that the source object does not have."""
    return [
        f"source: {schema.object} has no field {name!r} (used by this mapping)"
        for name in required_source_fields(mapping)
        if schema.field(name) is None
    ]


def key_field_problems(key_path: str, name: str, schema: ObjectSchema) -> list[str]:
    """An upsert key must be a field of ``schema`` that is an external id (or the record id)."""
    field = schema.field(name)
    if field is None:
        return [f"{key_path}: {schema.object} has no field {name!r}"]
    if not field.external_id and field.type.lower() != "id":
        return [
            f"{key_path}: {schema.object}.{name} is not an external-id field, so it cannot be an upsert key"
        ]
    return []


def _field_problems(compiled: CompiledField, schema: ObjectSchema, source: ObjectSchema | None) -> list[str]:
    if compiled.policy is WritePolicy.NEVER:
        return []
    field = schema.field(compiled.name)
    if field is None:
        return [f"{compiled.key_path}: {schema.object} has no field {compiled.name!r}"]
    problems = _writability_problems(compiled, field, schema.object)
    problems += _type_problems(compiled, field, source)
    problems += _constant_problems(compiled, field)
    if field.required and _may_be_blank(compiled):
        problems.append(
            f"{compiled.key_path}: {schema.object}.{field.name} is required, so a blank value would be "
            'refused; add default = "..." (or required = true to fail such records here)'
        )
    return problems


def _may_be_blank(compiled: CompiledField) -> bool:
    spec = compiled.spec
    return spec.default is None and spec.origin != "value" and not spec.required


def _writability_problems(compiled: CompiledField, field: FieldSchema, object_name: str) -> list[str]:
    problems = []
    if not field.createable:
        problems.append(f"{compiled.key_path}: {object_name}.{field.name} is not createable")
    if not field.updateable:
        problems.append(
            f"{compiled.key_path}: {object_name}.{field.name} is not updateable, but revloop updates it "
            'on later syncs; remove it or set conflict = "do_not_sync"'
        )
    return problems


def _type_problems(compiled: CompiledField, field: FieldSchema, source: ObjectSchema | None) -> list[str]:
    wanted = value_family(field.type)
    produced = _produced_family(compiled, source)
    if wanted in ("text", "other") or produced is None or produced == wanted:
        return []
    return [
        f"{compiled.key_path}: {field.name} is of type {field.type} but the mapping gives it {produced} "
        f"({_origin_text(compiled)})"
    ]


def _produced_family(compiled: CompiledField, source: ObjectSchema | None) -> str | None:
    """The broad kind of value a field produces, or None when it cannot be known without data."""
    for transform in reversed(compiled.transforms):
        if transform.name in _FAMILY_OF_TRANSFORM:
            return _FAMILY_OF_TRANSFORM[transform.name]
    spec = compiled.spec
    if spec.map is not None:
        return None
    if spec.origin == "template":
        return "text"
    if spec.origin == "value":
        return None  # constants are checked by converting them (see _constant_problems)
    source_field = source.field(str(spec.from_)) if source is not None else None
    family = value_family(source_field.type) if source_field is not None else None
    # Systems spell dates differently (HubSpot: ms since the epoch), so a date always needs converting.
    return (
        "a date in the source's format (add transform to_date or to_datetime)" if family == "date" else family
    )


def _constant_problems(compiled: CompiledField, field: FieldSchema) -> list[str]:
    spec = compiled.spec
    constants: list[tuple[str, Any]] = []
    if spec.value is not None:
        constants.append(("value", spec.value))
    if spec.default is not None:
        constants.append(("default", spec.default))
    constants += [(f"map.{key}", value) for key, value in (spec.map or {}).items()]
    problems = []
    for key, value in constants:
        try:
            conform(value, field)
        except FieldRefused as exc:
            problems.append(f"{compiled.key_path}.{key}: {exc}")
    return problems


def _origin_text(compiled: CompiledField) -> str:
    spec = compiled.spec
    if spec.origin == "from":
        return f"from = {spec.from_!r}"
    return "a template" if spec.origin == "template" else f"value = {spec.value!r}"
