"""Echo suppression and held fields: values revloop wrote itself are not changes.

A flow reads a record and finds, in some fields, exactly what revloop last wrote there (another flow, or
this one, wrote it): :func:`echoed_fields` names them. Those values are revloop's own echo, so the target
fields that derive only from them must not move: :func:`keep_unchanged` holds them at what revloop last
wrote to the target (or leaves them out when it never wrote them), so neither the payload hash nor the
write sees a change. :func:`hold` is the general tool: keep chosen fields of a mapped record out of the
write, each with its reason.

Pure functions over mapped values, like the engine.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import replace
from typing import Any

from connector.mapping.compiled import CompiledField
from connector.mapping.conflicts import same_value
from connector.mapping.engine import MappedRecord, payload_hash

ECHO = "echo: the source holds what revloop itself wrote there"


def echoed_fields(
    read: Mapping[str, Any], written: Mapping[str, Any] | None, names: Iterable[str]
) -> list[str]:
    """The ``names`` whose value in ``read`` equals what revloop last wrote to that field (``written``)."""
    if not written:
        return []
    return sorted(
        name for name in names if name in written and name in read and same_value(read[name], written[name])
    )


def sources_of(compiled: CompiledField) -> frozenset[str]:
    """The names a field's value comes from: its ``from`` name or its template's names (a constant: none)."""
    if compiled.spec.from_ is not None:
        return frozenset({compiled.spec.from_})
    if compiled.template is not None:
        return compiled.template.names
    return frozenset()


def keep_unchanged(
    fields: Iterable[CompiledField],
    mapped: MappedRecord,
    echoes: Iterable[str],
    last_written: Mapping[str, Any] | None,
) -> MappedRecord:
    """``mapped`` with every field whose sources are all ``echoes`` held at what revloop last wrote there.

    A constant (no source) is never held: revloop chose it, nobody edited it.
    """
    unchanged = frozenset(echoes)
    if not unchanged:
        return mapped
    held = [
        compiled.name
        for compiled in fields
        if compiled.name in mapped.payload and (sources := sources_of(compiled)) and sources <= unchanged
    ]
    return hold(mapped, dict.fromkeys(held, ECHO), last_written)


def hold(
    mapped: MappedRecord, reasons: Mapping[str, str], last_written: Mapping[str, Any] | None
) -> MappedRecord:
    """``mapped`` without sending the fields of ``reasons`` (name → why).

    In the payload (and so its hash) such a field keeps what revloop last wrote there, or is left out
    when revloop never wrote it: holding a field is no change.
    """
    if not reasons:
        return mapped
    last = last_written or {}
    payload = dict(mapped.payload)
    for name in reasons:
        if name in last:
            payload[name] = last[name]
        else:
            payload.pop(name, None)
    fields = {name: value for name, value in mapped.fields.items() if name not in reasons}
    return replace(
        mapped,
        fields=fields,
        payload=payload,
        payload_hash=payload_hash(mapped.object, payload),
        withheld={**mapped.withheld, **reasons},
    )
