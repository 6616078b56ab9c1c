"""A person's snapshot, as the outbox keeps it: the values the mapping reads, where each came from, the
Salesforce ids revloop links by and the identity it matches by.

``origins`` says which Salesforce field each value came from (object, record id, field, value as read),
so the reader can tell revloop's own echo: a value that equals what revloop last wrote to that field
(the handoff writes Leads) is no change (:mod:`connector.state.written`).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Collection, Mapping, Sequence
from typing import Any

from connector.flows.feedback.people import Person, flag
from connector.mapping.echoes import echoed_fields

OWNER_NAMES = ("owner_id", "owner_email", "ma_owner_id")
"""Values that follow the record's OwnerId."""


def snapshot(person: Person, person_fields: Sequence[str], disqualifying: Collection[str]) -> dict[str, Any]:
    """The outbox payload of ``person`` (``echoes`` are filled in by the reader)."""
    lead = person.lead.fields if person.lead else {}
    contact = person.contact.fields if person.contact else {}
    record = person.record.fields
    opportunity = person.opportunity
    status = lead.get("Status")
    values: dict[str, Any] = {
        "salesforce_id": person.key,
        "salesforce_object": person.object,
        "lead_id": person.lead.id if person.lead else None,
        "lead_status": status,
        "is_converted": flag(lead.get("IsConverted")),
        "converted_contact_id": lead.get("ConvertedContactId"),
        "converted_account_id": lead.get("ConvertedAccountId"),
        "converted_opportunity_id": lead.get("ConvertedOpportunityId"),
        "contact_id": person.contact.id if person.contact else None,
        "account_id": contact.get("AccountId") or lead.get("ConvertedAccountId"),
        "owner_id": record.get("OwnerId"),
        "owner_email": None,  # looked up when written (.owners): the owner's user id decides
        "opportunity_id": opportunity.id if opportunity else None,
        "opportunity_stage": opportunity.fields.get("StageName") if opportunity else None,
        "opportunity_is_closed": flag(opportunity.fields.get("IsClosed")) if opportunity else None,
        "opportunity_is_won": flag(opportunity.fields.get("IsWon")) if opportunity else None,
        "disqualified": status in disqualifying,
        **{name: record.get(name) for name in person_fields},
    }
    return {
        "values": values,
        "origins": _origins(person, person_fields),
        "identity": {
            "email": record.get("Email"),
            "first_name": record.get("FirstName"),
            "last_name": record.get("LastName"),
            "company": lead.get("Company") if person.object == "Lead" else None,
            "phone": record.get("Phone"),
        },
        "echoes": [],
    }


def _origins(person: Person, person_fields: Sequence[str]) -> dict[str, list[Any]]:
    """name → [object, record id, field, value read] for values revloop or anyone could have written."""
    origins: dict[str, list[Any]] = {}
    record = person.record
    for name in (*person_fields, *OWNER_NAMES):
        field = "OwnerId" if name in OWNER_NAMES else name
        origins[name] = [person.object, record.id, field, record.fields.get(field)]
    if person.lead is not None:
        origins["lead_status"] = ["Lead", person.lead.id, "Status", person.lead.fields.get("Status")]
    if person.contact is not None:
        origins["account_id"] = [
            "Contact",
            person.contact.id,
            "AccountId",
            person.contact.fields.get("AccountId"),
        ]
    if person.opportunity is not None:
        stage = person.opportunity.fields.get("StageName")
        origins["opportunity_stage"] = ["Opportunity", person.opportunity.id, "StageName", stage]
    return origins


def records_of(snapshots: Sequence[Mapping[str, Any]]) -> dict[str, set[str]]:
    """The Salesforce records the snapshots' values came from, by object."""
    found: dict[str, set[str]] = {}
    for item in snapshots:
        for obj, record_id, _field, _value in item["origins"].values():
            found.setdefault(obj, set()).add(record_id)
    return found


def echoes(item: Mapping[str, Any], written: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> list[str]:
    """The names whose origin field holds what revloop last wrote there (``written``: object → id →
    field → value)."""
    names = []
    for name, (obj, record_id, field, value) in item["origins"].items():
        if echoed_fields({field: value}, written.get(obj, {}).get(record_id), [field]):
            names.append(name)
    return sorted(names)


def snapshot_hash(item: Mapping[str, Any]) -> str:
    """Equal hashes need no new write: the values and the identity (echoes and origins follow from them)."""
    text = json.dumps({"values": item["values"], "identity": item["identity"]}, sort_keys=True,
                      ensure_ascii=False, default=str)  # fmt: skip
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
