"""Every write to the Salesforce fake: create, update, upsert by external id, batches (see convert.py).

One pipeline serves the REST single-record routes, sObject Collections, Bulk API 2.0 and the sandbox
extras, so all of them validate, default, assign, derive and stamp records the same way.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from connector.sandbox.salesforce.objects import CLOSED_STAGES, OBJECTS
from connector.sandbox.salesforce.opportunity_products import (
    LINE_ITEM,
    line_item_currency,
    line_item_prices,
    roll_up_amount,
)
from connector.sandbox.salesforce.schema import ObjectDef
from connector.sandbox.salesforce.store import Org, Row, format_stamp, normalize_id
from connector.sandbox.salesforce.validate import RequestError, SaveError, check_record

ROLLED_BACK = SaveError(
    "ALL_OR_NONE_OPERATION_ROLLED_BACK",
    "Record rolled back because not all records were valid and the request was using AllOrNone header",
)


class MultipleMatches(Exception):
    """An external id matched several records (single-record upsert answers 300 with their urls)."""

    def __init__(self, ids: list[str]) -> None:
        self.ids = ids
        super().__init__(", ".join(ids))


@dataclass(frozen=True)
class WriteOptions:
    auto_assign: str | None = None
    """The Sforce-Auto-Assign header: None or TRUE runs the active lead assignment rule, FALSE keeps
    OwnerId, an AssignmentRule id runs that rule."""
    actor: str | None = None
    """The user making the change (LastModifiedById); None means the API user."""


class Writer:
    """Validates and applies writes to an :class:`Org` (callers hold the fake's lock)."""

    def __init__(self, org: Org, api_user_id: str, assignment_rule_id: str) -> None:
        self.org = org
        self.api_user_id = api_user_id
        self.assignment_rule_id = assignment_rule_id
        self._round_robin = 0
        self.locks: dict[str, int | None] = {}
        """Record id → how many more writes fail with UNABLE_TO_LOCK_ROW (None: until unlocked)."""

    def lookup(self, obj: str, record_id: str) -> Row | None:
        return self.org.get(obj, record_id) if obj in OBJECTS else None

    # ---- single records ----------------------------------------------------------------------------
    def create(self, obj: ObjectDef, values: Mapping[str, Any], options: WriteOptions) -> str:
        check_record(obj, values, None, self.lookup)
        row = {name: definition.default for name, definition in obj.fields.items()}
        row.update(normalized(obj, values))
        record_id = self.org.ids.new(obj.key_prefix)
        row.update(Id=record_id, IsDeleted=False)
        if "OwnerId" in obj.fields and not row.get("OwnerId"):
            row["OwnerId"] = self.api_user_id
        if obj.name == "Lead":
            row["OwnerId"] = self._assigned_owner(row["OwnerId"], options.auto_assign)
        self._apply_rules(obj, row, None)
        self._store(obj, row, options, creating=True)
        return record_id

    def update(self, obj: ObjectDef, record_id: Any, values: Mapping[str, Any], options: WriteOptions) -> str:
        existing = self._existing(obj, record_id)
        self._check_lock(existing["Id"])
        check_record(obj, values, existing, self.lookup)
        row = {**existing, **normalized(obj, values)}
        self._apply_rules(obj, row, existing)
        self._store(obj, row, options, creating=False)
        return existing["Id"]

    def upsert(
        self, obj: ObjectDef, field: str, key: Any, values: Mapping[str, Any], options: WriteOptions
    ) -> tuple[str, bool]:
        """Create or update the record whose ``field`` equals ``key``; returns (id, created)."""
        if key in (None, ""):
            raise SaveError("REQUIRED_FIELD_MISSING", f"Required fields are missing: [{field}]", (field,))
        matches = self.org.find(obj.name, field, key)
        if len(matches) > 1:
            raise MultipleMatches(matches)
        if matches:
            return self.update(obj, matches[0], values, options), False
        return self.create(obj, {**values, field: key}, options), True

    # ---- batches -----------------------------------------------------------------------------------
    def batch(
        self, operations: list[Callable[[], dict[str, Any]]], *, all_or_none: bool
    ) -> list[dict[str, Any]]:
        """Run each operation (it returns a success result or raises SaveError) with allOrNone semantics."""
        if all_or_none:
            self.org.begin()
        results, failed = [], False
        for operation in operations:
            try:
                results.append(operation())
            except SaveError as error:
                failed = True
                results.append({"success": False, "errors": [error.collection_json()]})
        if not all_or_none:
            return results
        if not failed:
            self.org.commit()
            return results
        self.org.rollback()
        return [
            result if not result["success"] else {"success": False, "errors": [ROLLED_BACK.collection_json()]}
            for result in results
        ]

    # ---- internals ---------------------------------------------------------------------------------
    def _check_lock(self, record_id: str) -> None:
        """Another transaction holds the row (a sandbox lock): the write fails, the next may not."""
        if record_id not in self.locks:
            return
        remaining = self.locks[record_id]
        if remaining is not None:
            if remaining <= 1:
                del self.locks[record_id]
            else:
                self.locks[record_id] = remaining - 1
        raise SaveError("UNABLE_TO_LOCK_ROW", "unable to obtain exclusive access to this record", ())

    def _existing(self, obj: ObjectDef, record_id: Any) -> Row:
        normalized = normalize_id(record_id)
        if normalized is None or normalized[:3] != obj.key_prefix:
            raise SaveError(
                "MALFORMED_ID", f"{obj.label} ID: id value of incorrect type: {record_id}", ("Id",)
            )
        existing = self.org.get(obj.name, normalized)
        if existing is None:
            raise SaveError("ENTITY_IS_DELETED", "entity is deleted", ())
        return existing

    def check_assignment_header(self, header: str | None) -> None:
        """Refuse the whole call when Sforce-Auto-Assign names an assignment rule the org does not have."""
        value = (header or "TRUE").strip()
        if value.upper() not in ("TRUE", "FALSE") and normalize_id(value) != self.assignment_rule_id:
            raise RequestError("INVALID_ID_FIELD", f"invalid assignment rule id: {value}")

    def _assigned_owner(self, owner_id: str, header: str | None) -> str:
        self.check_assignment_header(header)
        if (header or "TRUE").strip().upper() == "FALSE":
            return owner_id
        users = sorted(
            rid
            for rid, user in self.org.records["User"].items()
            if user.get("IsActive") and rid != self.api_user_id
        )
        if not users:
            return self.api_user_id
        self._round_robin += 1
        return users[(self._round_robin - 1) % len(users)]

    def _apply_rules(self, obj: ObjectDef, row: Row, existing: Row | None) -> None:
        for name in obj.external_ids():
            taken = [rid for rid in self.org.find(obj.name, name, row.get(name)) if rid != row["Id"]]
            if taken and obj.fields[name].unique:
                raise SaveError(
                    "DUPLICATE_VALUE",
                    f"duplicate value found: {name} duplicates value on record with id: {taken[0]}",
                    (name,),
                )
        if obj.name == "Lead":
            self._duplicate_rule(row)
        if obj.name == LINE_ITEM:
            line_item_prices(row, existing)

    def _duplicate_rule(self, row: Row) -> None:
        """The active standard rule: block a Lead whose Email (any case) another Lead already has."""
        others = [rid for rid in self.org.find("Lead", "Email", row.get("Email")) if rid != row["Id"]]
        if others:
            raise SaveError(
                "DUPLICATES_DETECTED",
                "Use one of these records?",
                (),
                {"duplicateResult": _duplicates(others)},
            )

    def _store(self, obj: ObjectDef, row: Row, options: WriteOptions, *, creating: bool) -> None:
        stamp = format_stamp(self.org.clock.now())
        actor = options.actor or self.api_user_id
        if creating:
            row.update(CreatedDate=stamp, CreatedById=actor)
        row.update(LastModifiedDate=stamp, LastModifiedById=actor, SystemModstamp=stamp)
        derive(obj.name, row, self.org)
        self.org.put(obj.name, row)
        if obj.name == LINE_ITEM:
            roll_up_amount(self.org, row["OpportunityId"], stamp, actor)

    def delete(self, obj: ObjectDef, record_id: Any) -> None:
        """Delete a record (a line item's opportunity rolls its Amount up again)."""
        existing = self._existing(obj, record_id)
        self._check_lock(existing["Id"])
        self.org.remove(obj.name, existing["Id"])
        if obj.name == LINE_ITEM:
            stamp = format_stamp(self.org.clock.now())
            roll_up_amount(self.org, existing["OpportunityId"], stamp, self.api_user_id)


def derive(obj: str, row: Row, org: Org) -> None:
    """Fields Salesforce computes: full names, Opportunity IsClosed/IsWon, names copied from products."""
    if obj in ("Lead", "Contact") or (obj == "User" and not row.get("Name")):
        row["Name"] = " ".join(part for part in (row.get("FirstName"), row.get("LastName")) if part)
    if obj == "Opportunity":
        stage = row.get("StageName")
        row["IsClosed"] = stage in CLOSED_STAGES
        row["IsWon"] = CLOSED_STAGES.get(stage, False)
    if obj == LINE_ITEM:
        line_item_currency(row, org)
    if obj in ("PricebookEntry", LINE_ITEM) and row.get("Product2Id"):
        product = org.get("Product2", row["Product2Id"]) or {}
        row["Name"] = product.get("Name")
        if obj == "PricebookEntry":
            row["ProductCode"] = product.get("ProductCode")


def normalized(obj: ObjectDef, values: Mapping[str, Any]) -> dict[str, Any]:
    """Reference fields hold 18-character ids, whatever length the client sent."""
    return {
        name: normalize_id(value) if obj.fields[name].type == "reference" and value is not None else value
        for name, value in values.items()
    }


def _duplicates(record_ids: list[str]) -> dict[str, Any]:
    return {
        "allowSave": False,
        "duplicateRule": "Standard_Rule_for_Leads_with_Duplicate_Leads",
        "duplicateRuleEntityType": "Lead",
        "errorMessage": "Use one of these records?",
        "matchResults": [
            {
                "entityType": "Lead",
                "errors": [],
                "matchEngine": "ExactMatchEngine",
                "matchRecords": [
                    {
                        "additionalInformation": [],
                        "fieldDiffs": [],
                        "matchConfidence": 100.0,
                        "record": {"attributes": {"type": "Lead"}, "Id": rid},
                    }
                    for rid in record_ids
                ],
                "rule": "Standard_Lead_Match_Rule_v1_0",
                "size": len(record_ids),
                "success": True,
            }
        ],
    }
