"""Every mapping shipped under mappings/ loads, and the handoff examples behave as documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from connector.flows.handoff.sections import map_writeback, qualify
from connector.flows.mappings import load_all_mappings, load_flow_mapping
from connector.mapping import MappedRecord, compute_metrics, map_record, required_source_fields
from connector.records import Activity

MAPPINGS = Path(__file__).resolve().parents[2] / "mappings"
SHIPPED = sorted(MAPPINGS.rglob("*.toml"))


def test_mappings_are_shipped():
    names = {path.relative_to(MAPPINGS).as_posix() for path in SHIPPED}
    assert {"handoff/hubspot__salesforce.toml", "handoff/marketo__salesforce.toml"} <= names


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.relative_to(MAPPINGS).as_posix())
def test_every_shipped_mapping_loads(path):
    mapping = load_flow_mapping(path)
    assert mapping.spec.version == 2 and mapping.spec.kind == path.parent.name  # mappings/<kind>/
    assert mapping.spec.description


def test_load_all_loads_the_whole_tree():
    assert len(load_all_mappings(MAPPINGS)) == len(SHIPPED)


@pytest.mark.parametrize("path", SHIPPED, ids=lambda path: path.relative_to(MAPPINGS).as_posix())
def test_every_key_of_a_shipped_mapping_is_explained(path):
    """Shipped mappings teach the format: each key name carries a comment where it first appears."""
    uncommented: dict[str, int] = {}
    commented: set[str] = set()
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        match = re.match(r"\s*([A-Za-z_]\w*)\s*=", line)
        if match is None:
            continue
        key = match.group(1)
        if "#" in line.split("=", 1)[1]:
            commented.add(key)
        else:
            uncommented.setdefault(key, number)
    missing = {key: number for key, number in uncommented.items() if key not in commented}
    assert not missing, f"{path.name}: keys without any explaining comment (key: line): {missing}"


HUBSPOT = MAPPINGS / "handoff" / "hubspot__salesforce.toml"
MARKETO = MAPPINGS / "handoff" / "marketo__salesforce.toml"


def mql_activities(record_id: str) -> list[Activity]:
    return [
        Activity(record_id, "page_view", "https://example.co.jp/pricing", "2024-05-01T00:00:00Z"),
        Activity(record_id, "page_view", "https://example.co.jp/pricing#plans", "2024-05-02T00:00:00Z"),
        Activity(record_id, "link_click", "/assets/case-study-abc.pdf", "2024-05-03T00:00:00Z"),
        Activity(record_id, "form_fill", "Contact Us", "2024-05-04T00:00:00Z"),
    ]


def test_hubspot_handoff_qualifies_by_the_agreed_mql_rule_and_maps_a_lead():
    mapping = load_flow_mapping(HUBSPOT)
    contact = {
        "hs_object_id": "501",
        "lastname": "山田",
        "company": "（株）ABC",
        "email": "Ｔａｒｏ@example.com",
        "phone": "03-1234-5678",
        "hubspotscore": "10",
        "hs_lead_status": "IN_PROGRESS",
        "revloop_pricing_page_views": "2",
        "revloop_case_study_downloads": "1",
        "revloop_contact_form_visits": "1",
        "hs_analytics_source_data_1": "2026-webinar-revops",
    }
    metrics = compute_metrics(mapping, contact, [])
    qualification = qualify(mapping, contact, metrics)
    assert qualification.qualified and qualification.reason.startswith("rule: pricing_views >= 2")
    context = {**metrics, "qualification": qualification.reason, "source_id": "501"}
    record = map_record(mapping, contact, context, creating=True)
    assert isinstance(record, MappedRecord)
    assert record.fields["Email"] == "taro@example.com" and record.fields["Rating"] == "Hot"
    assert record.fields["Phone"] == "+81312345678" and record.fields["Company"] == "(株)ABC"
    context = {"source_id": "501", "target_id": "00Q1", "link_status": "created"}
    writeback = map_writeback(mapping, context, first_write=True)
    assert writeback.fields["lifecyclestage"] == "salesqualifiedlead"


def test_marketo_handoff_counts_activities_for_the_mql_rule():
    mapping = load_flow_mapping(MARKETO)
    assert "leadScore" in required_source_fields(mapping)
    lead = {"id": 42, "lastName": "Smith", "leadScore": 95}
    assert qualify(mapping, lead, compute_metrics(mapping, lead, [])).reason == "score 95 ≥ 80"
    cold = {"id": 43, "lastName": "Sato", "leadScore": 10}
    assert qualify(mapping, cold, compute_metrics(mapping, cold, mql_activities("43"))).qualified
    record = map_record(mapping, lead, {"qualification": "score 95 ≥ 80"}, creating=True)
    assert record.key == "mkto-42" and record.fields["Company"] == "(not provided)"
    assert record.fields["LeadSource"] == "Web"
