"""The Marketo fake's lead database: validation, lookup indexes, Sync Leads semantics and change activities.

Emails are not unique (as in Marketo): a lookup by email may match several leads, and a write by email
is then skipped with reason 1007. Every create logs a New Lead activity, every field change a Change
Data Value activity, and every score change a Change Score activity. Not thread-safe: the fake locks.
"""

from __future__ import annotations

import re
import time
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from connector.sandbox.marketo.activities import ActivityLog, format_time, parse_time
from connector.sandbox.marketo.schema import (
    CHANGE_DATA_VALUE,
    CHANGE_SCORE,
    DEFAULT_READ_FIELDS,
    DELETE_LEAD,
    FIELDS_BY_NAME,
    NEW_LEAD,
    LeadField,
)

ACTIONS = ("createOnly", "updateOnly", "createOrUpdate", "createDuplicate")
_EMAIL = re.compile(r"^[^@\s,;]+@[^@\s,;]+\.[A-Za-z]{2,}$")
_FIRST_LEAD_ID = 100001

Reason = dict[str, str]


def _reason(code: str, message: str) -> Reason:
    return {"code": code, "message": message}


def index_key(field: str, value: Any) -> str:
    """How a searchable value is compared: emails case-insensitively, everything else as text."""
    text = str(value).strip()
    return text.lower() if field == "email" else text


class LeadStore:
    """Leads by id, one index per searchable field, and the activity log their changes append to."""

    def __init__(self, log: ActivityLog) -> None:
        self.log = log
        self.leads: dict[int, dict[str, Any]] = {}
        self.creates_per_email: Counter[str] = Counter()
        self._next_id = _FIRST_LEAD_ID
        self._indexes: dict[str, dict[str, set[int]]] = {
            field.name: {} for field in FIELDS_BY_NAME.values() if field.searchable and field.name != "id"
        }

    # ---- reads -----------------------------------------------------------------------------------
    def find(self, field: str, value: Any) -> list[int]:
        """Ids of the leads whose ``field`` equals ``value``, ascending."""
        if field == "id":
            key = index_key("id", value)
            return [int(key)] if key.isdigit() and int(key) in self.leads else []
        return sorted(self._indexes[field].get(index_key(field, value), ()))

    def match(self, field: str, values: Iterable[str]) -> list[int]:
        found: set[int] = set()
        for value in values:
            found.update(self.find(field, value))
        return sorted(found)

    def render(self, lead_id: int, fields: Sequence[str] | None) -> dict[str, Any]:
        """The lead as ``leads.json`` returns it: ``id`` plus the requested fields that are not null."""
        lead = self.leads[lead_id]
        row = {"id": lead_id}
        for name in fields or DEFAULT_READ_FIELDS:
            if name != "id" and lead.get(name) is not None:
                row[name] = lead[name]
        return row

    # ---- writes ----------------------------------------------------------------------------------
    def sync(self, action: str, lookup_field: str, records: Sequence[Mapping[str, Any]]) -> list[dict]:
        """Sync Leads: one result per input record, in input order; a refused record never fails others."""
        return [self._sync_one(action, lookup_field, record) for record in records]

    def _sync_one(self, action: str, lookup_field: str, record: Mapping[str, Any]) -> dict[str, Any]:
        values, problem = self.validate(record, allow_id=action == "updateOnly")
        if problem is None and action != "createDuplicate" and values.get(lookup_field) in (None, ""):
            problem = _reason("1002", f"Missing value for required field '{lookup_field}'")
        if problem is not None:
            return {"status": "skipped", "reasons": [problem]}
        matches = [] if action == "createDuplicate" else self.find(lookup_field, values[lookup_field])
        if action == "createOnly" and matches:
            return {"status": "skipped", "reasons": [_reason("1005", "Lead already exists")]}
        if action == "updateOnly" and not matches:
            return {"status": "skipped", "reasons": [_reason("1004", "Lead not found")]}
        if len(matches) > 1:
            return {"status": "skipped", "reasons": [_reason("1007", "Multiple lead match lookup criteria")]}
        if matches:
            values.pop("id", None)
            self.update(matches[0], values, source="Web service API")
            return {"id": matches[0], "status": "updated"}
        lead_id = self.create(values)
        self.creates_per_email[index_key("email", values.get("email") or "")] += 1
        return {"id": lead_id, "status": "created"}

    def validate(self, record: Mapping[str, Any], *, allow_id: bool) -> tuple[dict[str, Any], Reason | None]:
        """Type-check one input record; returns the cleaned values or the first skip reason."""
        values: dict[str, Any] = {}
        for name, value in record.items():
            field = FIELDS_BY_NAME.get(name)
            if field is None:
                return values, _reason("1006", f"Field '{name}' not found")
            if field.read_only and not (name == "id" and allow_id):
                return values, _reason("1003", f"Field '{name}' is read only")
            cleaned, problem = _clean(field, value)
            if problem is not None:
                return values, problem
            values[name] = cleaned
        return values, None

    def create(
        self, values: Mapping[str, Any], *, at: float | None = None, lead_id: int | None = None
    ) -> int:
        """Add a lead and log its New Lead activity (dated ``at``, default now)."""
        lead_id = lead_id or self._next_id
        self._next_id = max(self._next_id, lead_id + 1)
        when = time.time() if at is None else at
        lead = {name: value for name, value in values.items() if name != "id"}
        lead.update(id=lead_id, createdAt=format_time(when), updatedAt=format_time(when))
        self.leads[lead_id] = lead
        self._index(lead_id, lead)
        attributes = (("Source Type", "Web service API"), ("Created Date", format_time(when)[:10]))
        self.log.append(lead_id, NEW_LEAD, _display_name(lead), at=when, attributes=attributes)
        return lead_id

    def update(self, lead_id: int, values: Mapping[str, Any], *, source: str) -> list[str]:
        """Change a lead's fields, logging one activity per changed field; returns the changed names."""
        lead = self.leads[lead_id]
        changed = [name for name, value in values.items() if lead.get(name) != value]
        if not changed:
            return []
        self._unindex(lead_id, lead)
        now = time.time()
        for name in changed:
            old, new = lead.get(name), values[name]
            lead[name] = new
            self._log_change(lead_id, FIELDS_BY_NAME[name], old, new, source=source, at=now)
        lead["updatedAt"] = format_time(now)
        self._index(lead_id, lead)
        return changed

    def delete(self, lead_id: int) -> None:
        lead = self.leads.pop(lead_id)
        self._unindex(lead_id, lead)
        self.log.append(lead_id, DELETE_LEAD, str(lead_id), primary_value_id=lead_id)

    def seed_lead(self, row: Mapping[str, Any]) -> int:
        """Load one lead as given (no validation of types); ``createdAt`` dates its New Lead activity and
        ``updatedAt`` (default: ``createdAt``) its last change, which logs no activity."""
        created = parse_time(row["createdAt"]) if row.get("createdAt") else None
        values = {name: value for name, value in row.items() if name not in ("createdAt", "updatedAt")}
        unknown = [name for name in values if name not in FIELDS_BY_NAME]
        if unknown:
            raise ValueError(f"seed: unknown lead fields {unknown}")
        lead_id = self.create(values, at=created, lead_id=int(row["id"]) if row.get("id") else None)
        if row.get("updatedAt"):
            self.leads[lead_id]["updatedAt"] = format_time(parse_time(row["updatedAt"]))
        return lead_id

    # ---- internals -------------------------------------------------------------------------------
    def _log_change(
        self, lead_id: int, field: LeadField, old: Any, new: Any, *, source: str, at: float
    ) -> None:
        if field.name == "leadScore":
            delta = (new or 0) - (old or 0)
            attributes = (
                ("Change Value", f"{delta:+d}"),
                ("New Value", new),
                ("Old Value", old),
                ("Reason", f"Changed by {source}"),
            )
            self.log.append(
                lead_id,
                CHANGE_SCORE,
                field.display_name,
                at=at,
                attributes=attributes,
                primary_value_id=field.id,
                changed_field=field.name,
            )
            return
        attributes = (
            ("New Value", new),
            ("Old Value", old),
            ("Reason", f"Changed by {source}"),
            ("Source", source),
        )
        self.log.append(
            lead_id,
            CHANGE_DATA_VALUE,
            field.display_name,
            at=at,
            attributes=attributes,
            primary_value_id=field.id,
            changed_field=field.name,
        )

    def _index(self, lead_id: int, lead: Mapping[str, Any]) -> None:
        for name, index in self._indexes.items():
            if lead.get(name) not in (None, ""):
                index.setdefault(index_key(name, lead[name]), set()).add(lead_id)

    def _unindex(self, lead_id: int, lead: Mapping[str, Any]) -> None:
        for name, index in self._indexes.items():
            if lead.get(name) not in (None, ""):
                index.get(index_key(name, lead[name]), set()).discard(lead_id)


def _clean(field: LeadField, value: Any) -> tuple[Any, Reason | None]:
    if value is None:
        return None, None
    if field.data_type == "integer":
        if isinstance(value, bool) or not (isinstance(value, int) or str(value).lstrip("-").isdigit()):
            return None, _reason("1001", f"Invalid value '{value}' for field '{field.name}': not an integer")
        return int(value), None
    text = str(value)
    if field.data_type == "email" and text and not (text.isascii() and _EMAIL.match(text)):
        return None, _reason("1003", f"Invalid value for field '{field.name}'")
    if field.length is not None and len(text) > field.length:
        return None, _reason("1003", f"Value for field '{field.name}' exceeds {field.length} characters")
    return text, None


def _display_name(lead: Mapping[str, Any]) -> str:
    name = " ".join(part for part in (lead.get("firstName"), lead.get("lastName")) if part)
    return name or str(lead.get("email") or lead["id"])
