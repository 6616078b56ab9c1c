"""The mapping engine: map a source record to the target payload, or any table of fields to a record.

No I/O and no mutation of inputs: values in, new frozen values out. One field that cannot be mapped
fails the whole record with a :class:`MappingFailure` (category ``mapping``), never a partial write.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable
from collections.abc import Mapping as Values
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from connector.errors import ErrorCategory
from connector.mapping.compiled import CompiledField, Mapping
from connector.mapping.conflicts import Conflicts, WritePolicy
from connector.mapping.shape import FieldRefused, PicklistRefused, shape_value
from connector.mapping.template import render_text
from connector.mapping.transforms import is_blank
from connector.records import ObjectSchema, Outgoing, RecordError

_EMPTY: Values[str, Any] = MappingProxyType({})


@dataclass(frozen=True, slots=True)
class MappedRecord:
    """What to write for one record.

    ``fields`` are the values to send now (after conflict rules); ``payload`` is the full mapped
    payload and ``payload_hash`` its stable hash: when it equals the hash stored at the last successful
    write, the record needs no write. ``withheld`` says, per field, why it is not sent.
    The mappings are plain dicts (JSON-ready) owned by this value: treat them as read-only.
    """

    object: str
    key_field: str
    key: str
    fields: Values[str, Any]
    payload: Values[str, Any]
    payload_hash: str
    withheld: Values[str, str] = field(default_factory=dict)

    def outgoing(self) -> Outgoing:
        """The record as the adapters take it (upsert on ``key_field`` = ``key``)."""
        return Outgoing(key=self.key, fields=self.fields)

    def written_state(self, last_written: Values[str, Any] | None) -> dict[str, Any]:
        """What revloop has written once this write succeeded; pass it as ``last_written`` next time."""
        return {**(last_written or {}), **self.fields}


@dataclass(frozen=True, slots=True)
class MappingFailure:
    """A record that cannot be mapped: the field, the value that was refused, and why."""

    field: str
    value: Any
    message: str
    key_path: str
    category: ErrorCategory = ErrorCategory.MAPPING

    def record_error(self) -> RecordError:
        """The failure as a sync-error entry."""
        code = "PICKLIST_VALUE_MISSING" if self.category is ErrorCategory.SCHEMA_DRIFT else "MAPPING_FAILED"
        return RecordError(self.category, code, f"{self.key_path}: {self.message}", (self.field,))


def map_record(
    mapping: Mapping,
    source_fields: Values[str, Any],
    context: Values[str, Any],
    *,
    target_schema: ObjectSchema | None = None,
    target_current: Values[str, Any] | None = None,
    last_written: Values[str, Any] | None = None,
    creating: bool,
) -> MappedRecord | MappingFailure:
    """Map one source record to its target payload.

    ``context`` holds the run-time names (the kind's context names and every metric). When
    ``context["target_object"]`` is the mapping's ``contact_object`` the record is routed to a Contact:
    the upsert key is ``contact_upsert_key``, ``account_field`` is set from ``context["account_id"]``,
    and with a ``target_schema`` (the Contact's) fields it lacks are withheld.
    ``target_current`` (the target's values now) is needed on update when a field uses target_wins or
    target_wins_unless_blank; ``last_written`` is what revloop wrote last time (``written_state``).
    """
    key = render_text(source_fields.get(mapping.spec.source.key)) or render_text(context.get("source_id"))
    if not key.strip():
        return MappingFailure(mapping.spec.source.key, None, "the source record has no id", "source.key")
    key = mapping.spec.target.key_prefix + key
    route = _route(mapping, context)
    fields, withheld = _fields_on(mapping.fields, route, target_schema)
    payload = _payload(fields, _lookup(mapping, source_fields, context), target_schema)
    if isinstance(payload, MappingFailure):
        return payload
    if route.account_field is not None:
        account = context.get("account_id")
        if not is_blank(account):
            payload[route.account_field] = account
        elif creating:  # an existing Contact keeps its Account; a new one needs the customer's
            message = "routed to a Contact without account_id in the context"
            return MappingFailure(route.account_field, account, message, "target.account_field")
    conflicts = Conflicts(creating, target_current, last_written)
    return _result((route.object, route.key_field, key), fields, payload, conflicts, withheld)


@dataclass(frozen=True, slots=True)
class _Route:
    object: str
    key_field: str
    account_field: str | None  # set when the person is routed to a Contact on a customer Account


def _route(mapping: Mapping, context: Values[str, Any]) -> _Route:
    target = mapping.spec.target
    if target.contact_object is not None and context.get("target_object") == target.contact_object:
        return _Route(target.contact_object, str(target.contact_upsert_key), target.account_field)
    return _Route(target.object, target.upsert_key, None)


def _fields_on(
    fields: tuple[CompiledField, ...], route: _Route, schema: ObjectSchema | None
) -> tuple[tuple[CompiledField, ...], dict[str, str]]:
    """The fields to map for this route; a routed Contact skips the fields its schema lacks."""
    if route.account_field is None or schema is None:
        return fields, {}
    missing = {f.name: f"not a field of {schema.object}" for f in fields if f.name not in schema.fields}
    return tuple(f for f in fields if f.name not in missing), missing


def map_section(
    mapping: Mapping,
    key_path: str,
    record: tuple[str, str, str],
    source_fields: Values[str, Any],
    context: Values[str, Any],
    *,
    schema: ObjectSchema | None = None,
    conflicts: Conflicts,
) -> MappedRecord | MappingFailure:
    """Map the table of fields at ``key_path`` (``"task.fields"``) to the record ``(object, key field, key)``.

    Values come from ``source_fields`` and ``context`` as in :func:`map_record`; with a ``schema`` of
    the object written they are conformed to it. ``conflicts`` says whether the write creates, and what
    the written system holds and revloop wrote, for the fields' conflict rules.
    """
    fields = mapping.section(key_path)
    payload = _payload(fields, _lookup(mapping, source_fields, context), schema)
    if isinstance(payload, MappingFailure):
        return payload
    return _result(record, fields, payload, conflicts, {})


def required_source_fields(mapping: Mapping) -> tuple[str, ...]:
    """Every source field the flow must read for this mapping (sorted)."""
    return tuple(sorted(mapping.source_fields))


def names_needing_current(fields: Iterable[CompiledField]) -> tuple[str, ...]:
    """Fields whose conflict rule or order needs the written system's current value: read them before
    updates."""
    keeps = (WritePolicy.UNLESS_CHANGED, WritePolicy.ONLY_IF_BLANK)
    return tuple(
        f.name for f in fields if f.policy is not WritePolicy.NEVER and (f.policy in keeps or f.spec.order)
    )


def payload_hash(object_name: str, payload: Values[str, Any]) -> str:
    """sha256 of the payload as sorted JSON: equal payloads hash equal across runs and processes."""
    text = json.dumps(
        {"object": object_name, "fields": payload}, sort_keys=True, ensure_ascii=False, default=str
    )
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _lookup(
    mapping: Mapping, source_fields: Values[str, Any], context: Values[str, Any]
) -> Callable[[str], Any]:
    context_names = mapping.context_names

    def lookup(name: str) -> Any:
        return context.get(name) if name in context_names else source_fields.get(name)

    return lookup


def _payload(
    fields: tuple[CompiledField, ...], lookup: Callable[[str], Any], schema: ObjectSchema | None
) -> dict[str, Any] | MappingFailure:
    payload: dict[str, Any] = {}
    for compiled in fields:
        if compiled.policy is WritePolicy.NEVER:
            continue
        try:
            payload[compiled.name] = shape_value(
                compiled, lookup, schema.field(compiled.name) if schema else None
            )
        except FieldRefused as exc:
            return MappingFailure(
                compiled.name, exc.value, str(exc), compiled.key_path, _category(compiled, exc)
            )
    return payload


def _category(compiled: CompiledField, refused: FieldRefused) -> ErrorCategory:
    """A picklist value the mapping itself produces (a constant or a value map) that the target no
    longer offers is schema drift: every record would fail until the mapping is fixed, so the flow
    pauses. A value passed through from the source is that record's problem."""
    spec = compiled.spec
    produced_by_mapping = spec.value is not None or (
        spec.map is not None and refused.value in spec.map.values()
    )
    if isinstance(refused, PicklistRefused) and produced_by_mapping:
        return ErrorCategory.SCHEMA_DRIFT
    return ErrorCategory.MAPPING


def _result(
    target: tuple[str, str, str],
    fields: tuple[CompiledField, ...],
    payload: dict[str, Any],
    conflicts: Conflicts,
    withheld: dict[str, str],
) -> MappedRecord:
    object_name, key_field, key = target
    to_write = dict(payload)
    for compiled in fields:
        reason = conflicts.withhold_reason(compiled, payload.get(compiled.name))
        if reason is not None:
            withheld[compiled.name] = reason
            to_write.pop(compiled.name, None)
    return MappedRecord(
        object_name, key_field, key, to_write, payload, payload_hash(object_name, payload), withheld
    )
