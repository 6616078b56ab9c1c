"""The Marketo fake's lead schema, activity types and their describe answers (wire shapes of the real API)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

MAX_BATCH = 300
"""Records per write, values per filter and leads/activities per page (Marketo's documented maximum)."""
MAX_ACTIVITY_TYPES = 10
MAX_ACTIVITY_LEAD_IDS = 30
MAX_FILTER_MATCHES = 1000
MAX_URI_BYTES = 8192


@dataclass(frozen=True, slots=True)
class LeadField:
    id: int
    name: str
    display_name: str
    data_type: str
    length: int | None = None
    read_only: bool = False
    searchable: bool = False


LEAD_FIELDS: tuple[LeadField, ...] = (
    LeadField(1, "id", "Id", "integer", read_only=True, searchable=True),
    LeadField(2, "email", "Email Address", "email", 255, searchable=True),
    LeadField(3, "firstName", "First Name", "string", 255),
    LeadField(4, "lastName", "Last Name", "string", 255),
    LeadField(5, "company", "Company Name", "string", 255),
    LeadField(6, "phone", "Phone Number", "phone", 255),
    LeadField(7, "title", "Job Title", "string", 255),
    LeadField(8, "website", "Website", "url", 255),
    LeadField(9, "leadScore", "Lead Score", "integer"),
    LeadField(10, "leadStatus", "Lead Status", "string", 255),
    LeadField(11, "leadSource", "Lead Source", "string", 255),
    LeadField(12, "createdAt", "Created At", "datetime", read_only=True),
    LeadField(13, "updatedAt", "Updated At", "datetime", read_only=True),
    LeadField(1001, "revloopSalesforceId", "Revloop Salesforce Id", "string", 18, searchable=True),
    LeadField(1002, "revloopSyncStatus", "Revloop Sync Status", "string", 255),
    LeadField(1003, "revloopMqlReason", "Revloop MQL Reason", "text", 2000),
    # What the shipped feedback mapping (Salesforce → Marketo) writes: sales' view of the lead.
    LeadField(1004, "revloopSalesStage", "Revloop Sales Stage", "string", 255),
    LeadField(1005, "revloopOwnerEmail", "Revloop Salesforce Owner Email", "email", 255),
    LeadField(1006, "revloopConvertedContactId", "Revloop Salesforce Contact Id", "string", 18),
    LeadField(1007, "revloopConvertedAccountId", "Revloop Salesforce Account Id", "string", 18),
    LeadField(1008, "revloopOpportunityStage", "Revloop Opportunity Stage", "string", 255),
)
FIELDS_BY_NAME = {field.name: field for field in LEAD_FIELDS}
DEFAULT_READ_FIELDS = ("id", "email", "updatedAt", "createdAt", "firstName", "lastName")


@dataclass(frozen=True, slots=True)
class ActivityType:
    id: int
    name: str
    primary_attribute: str | None = None
    attributes: tuple[str, ...] = ()


NEW_LEAD, CHANGE_DATA_VALUE, CHANGE_SCORE, DELETE_LEAD = 12, 13, 22, 37
ACTIVITY_TYPES: tuple[ActivityType, ...] = (
    ActivityType(1, "Visit Webpage", "Webpage ID", ("Client IP Address", "Query Parameters", "Referrer URL")),
    ActivityType(2, "Fill Out Form", "Webform ID", ("Client IP Address", "Form Fields", "Webpage ID")),
    ActivityType(3, "Click Link", "Link ID", ("Client IP Address", "Referrer URL")),
    ActivityType(6, "Send Email", "Mailing ID", ("Campaign Run ID", "Step ID")),
    ActivityType(7, "Email Delivered", "Mailing ID", ("Campaign Run ID", "Step ID")),
    ActivityType(10, "Open Email", "Mailing ID", ("Device", "Platform", "User Agent")),
    ActivityType(11, "Click Email", "Mailing ID", ("Device", "Link", "Platform")),
    ActivityType(12, "New Lead", None, ("Source Type", "Form Name", "Created Date")),
    ActivityType(13, "Change Data Value", "Attribute Name", ("New Value", "Old Value", "Reason", "Source")),
    ActivityType(22, "Change Score", "Score Name", ("Change Value", "New Value", "Old Value", "Reason")),
    ActivityType(24, "Add to List", "List ID", ("Source",)),
    ActivityType(25, "Remove from List", "List ID", ("Source",)),
    ActivityType(37, "Delete Lead", "Lead ID", ("Remove from CRM",)),
)
ACTIVITY_TYPE_IDS = frozenset(kind.id for kind in ACTIVITY_TYPES)


def describe_v1() -> list[dict[str, Any]]:
    """The ``result`` of ``leads/describe.json``."""
    rows = []
    for field in LEAD_FIELDS:
        row: dict[str, Any] = {"id": field.id, "displayName": field.display_name, "dataType": field.data_type}
        if field.length is not None:
            row["length"] = field.length
        row["rest"] = {"name": field.name, "readOnly": field.read_only}
        row["soap"] = {"name": field.name[:1].upper() + field.name[1:], "readOnly": field.read_only}
        rows.append(row)
    return rows


def describe_v2() -> list[dict[str, Any]]:
    """The ``result`` of ``leads/describe2.json``: one object with searchable fields and field details."""
    fields = []
    for field in LEAD_FIELDS:
        row: dict[str, Any] = {
            "name": field.name,
            "displayName": field.display_name,
            "dataType": field.data_type,
            "updateable": not field.read_only,
            "crmManaged": False,
        }
        if field.length is not None:
            row["length"] = field.length
        fields.append(row)
    searchable = [[field.name] for field in LEAD_FIELDS if field.searchable]
    return [{"name": "API Lead", "searchableFields": searchable, "fields": fields}]


def activity_types() -> list[dict[str, Any]]:
    """The ``result`` of ``activities/types.json``."""
    rows = []
    for kind in ACTIVITY_TYPES:
        row: dict[str, Any] = {"id": kind.id, "name": kind.name, "description": kind.name}
        if kind.primary_attribute:
            row["primaryAttribute"] = {"name": kind.primary_attribute, "dataType": "integer"}
        row["attributes"] = [{"name": name, "dataType": "string"} for name in kind.attributes]
        rows.append(row)
    return rows
