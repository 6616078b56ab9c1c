"""Frozen values shared by every layer: what systems read and write, and what they answer."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from connector.errors import ErrorCategory

Cursor = Mapping[str, Any]
"""Where a change stream resumes. JSON-serialisable and opaque to flows: only its adapter reads it."""


@dataclass(frozen=True, slots=True)
class Record:
    """One record as its system holds it: the id there, its fields under vendor names, when it changed."""

    id: str
    fields: Mapping[str, Any]
    modified_at: str | None = None


@dataclass(frozen=True, slots=True)
class Activity:
    """One marketing activity (a page view, a form fill, a link click) of one record."""

    record_id: str
    kind: str
    value: str
    at: str
    id: str = ""


@dataclass(frozen=True, slots=True)
class Page:
    """A page of a change stream.

    ``cursor`` resumes right after this page; the last page's cursor starts the next run.

    ``activities`` are the activities seen in this page's window (only marketing systems fill it);
    every record they belong to is also among ``records``.
    """

    records: tuple[Record, ...]
    cursor: Cursor
    activities: tuple[Activity, ...] = ()


@dataclass(frozen=True, slots=True)
class Outgoing:
    """A record to write: ``key`` is the value of the upsert key (external id, record id or lookup field)."""

    key: str
    fields: Mapping[str, Any]


class Outcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class RecordError:
    """Why a system refused one record, classified in the one taxonomy."""

    category: ErrorCategory
    code: str
    message: str
    fields: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class WriteResult:
    """The answer for one record of a batch write, in the order the batch was given."""

    key: str
    outcome: Outcome
    id: str | None = None
    error: RecordError | None = None

    @property
    def ok(self) -> bool:
        return self.outcome is not Outcome.FAILED


@dataclass(frozen=True, slots=True)
class FieldSchema:
    """One field as a system describes it. ``type`` is the vendor's type name, lower-cased."""

    name: str
    type: str
    label: str = ""
    required: bool = False
    length: int | None = None
    picklist: tuple[str, ...] = ()
    restricted_picklist: bool = False
    createable: bool = True
    updateable: bool = True
    external_id: bool = False
    reference_to: tuple[str, ...] = ()
    """The objects a reference field points at (empty for other fields)."""


@dataclass(frozen=True, slots=True)
class ObjectSchema:
    system: str
    object: str
    fields: Mapping[str, FieldSchema] = field(default_factory=dict)

    def field(self, name: str) -> FieldSchema | None:
        return self.fields.get(name)
