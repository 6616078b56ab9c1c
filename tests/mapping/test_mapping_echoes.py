"""Echo suppression in the mapping layer: values revloop wrote are no change, held fields keep their value."""

from __future__ import annotations

from connector.flows.handoff.mapping import HandoffMappingSpec
from connector.mapping import map_record, parse_mapping
from connector.mapping.echoes import ECHO, echoed_fields, hold, keep_unchanged

MAPPING = """
version = 2
kind = "handoff"
[source]
object = "contacts"
key = "id"
[target]
object = "Lead"
upsert_key = "Ext__c"
[fields.Rating]
from = "hs_lead_status"
map = { OPEN = "Warm", NEW = "Cold" }
[fields.Title]
from = "jobtitle"
[fields.Description]
template = "{jobtitle} / {hs_lead_status}"
[fields.LeadSource]
value = "Web"
"""


def mapped(values):
    mapping = parse_mapping(MAPPING, source="m.toml", spec=HandoffMappingSpec)
    return mapping, map_record(mapping, {"id": "1", **values}, {}, creating=True)


def test_only_fields_holding_exactly_what_revloop_wrote_are_echoes():
    read = {"hs_lead_status": "NEW", "jobtitle": "CTO", "score": 5.0}
    written = {"hs_lead_status": "NEW", "jobtitle": "VP", "score": "5"}
    assert echoed_fields(read, written, ["hs_lead_status", "jobtitle", "score", "missing"]) == [
        "hs_lead_status",
        "score",  # numbers compare by value, as systems echo them back as text
    ]
    assert echoed_fields(read, None, ["hs_lead_status"]) == []


def test_fields_from_echoes_only_keep_what_revloop_last_wrote():
    mapping, record = mapped({"hs_lead_status": "NEW", "jobtitle": "CTO"})
    last = {"Rating": "Warm", "Title": "CTO", "Description": "CTO / OPEN", "LeadSource": "Web"}

    kept = keep_unchanged(mapping.fields, record, ["hs_lead_status"], last)

    assert kept.payload["Rating"] == "Warm" and "Rating" not in kept.fields
    assert kept.withheld["Rating"] == ECHO
    assert kept.fields["Description"] == "CTO / NEW"  # one of its sources is a real value: not held
    assert kept.fields["LeadSource"] == "Web"  # a constant is nobody's edit
    assert kept.payload_hash != record.payload_hash


def test_holding_a_field_revloop_never_wrote_leaves_it_out():
    _, record = mapped({"hs_lead_status": "OPEN", "jobtitle": "CTO"})
    held = hold(record, {"Title": "why"}, None)
    assert "Title" not in held.payload and "Title" not in held.fields and held.withheld["Title"] == "why"
    assert hold(record, {}, None) is record
