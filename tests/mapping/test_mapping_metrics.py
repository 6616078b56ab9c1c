"""Metrics and the engagement summary computed from a person's activities and properties."""

from __future__ import annotations

from connector.flows.handoff.mapping import HandoffMappingSpec
from connector.mapping import build_mapping, compute_metrics, describe_engagement
from connector.records import Activity

MAPPING = build_mapping(
    {
        "version": 1,
        "source": {"object": "contacts", "key": "hs_object_id"},
        "target": {"object": "Lead", "upsert_key": "Revloop_MA_Id__c"},
        "metrics": {
            "pricing_views": {"activity": "page_view", "contains": "/PRICING"},
            "page_views": {"activity": "page_view"},
            "form_fills": {"activity": "form_fill", "contains": "case study"},
            "downloads": {"property": "revloop_case_study_downloads"},
        },
        "fields": {"LastName": {"from": "lastname"}},
    },
    source="metrics.toml",
    spec=HandoffMappingSpec,
)


def activity(kind: str, value: str, at: str) -> Activity:
    return Activity("501", kind, value, at)


ACTIVITIES = (
    activity("page_view", "https://example.com/pricing", "2024-05-01T10:00:00Z"),
    activity("page_view", "https://example.com/Pricing?plan=pro", "2024-05-02T10:00:00Z"),
    activity("page_view", "https://example.com/blog", "2024-05-03T10:00:00Z"),
    activity("form_fill", "Case Study Download", "2024-05-04T10:00:00Z"),
    activity("email_open", "Case study newsletter", "2024-05-05T10:00:00Z"),
)


def test_activity_metrics_count_kind_and_case_insensitive_substring():
    metrics = compute_metrics(MAPPING, {"revloop_case_study_downloads": "2"}, ACTIVITIES)
    assert metrics == {"pricing_views": 2, "page_views": 3, "form_fills": 1, "downloads": 2}


def test_missing_or_odd_values_count_as_zero():
    assert compute_metrics(MAPPING, {}, ()) == {
        "pricing_views": 0,
        "page_views": 0,
        "form_fills": 0,
        "downloads": 0,
    }
    assert compute_metrics(MAPPING, {"revloop_case_study_downloads": "lots"}, ())["downloads"] == 0
    assert compute_metrics(MAPPING, {"revloop_case_study_downloads": "1.5"}, ())["downloads"] == 1.5


def test_activities_can_be_any_iterable():
    assert compute_metrics(MAPPING, {}, iter(ACTIVITIES))["page_views"] == 3


def test_engagement_lists_the_most_frequent_first_then_the_most_recent():
    repeated = (*ACTIVITIES, activity("page_view", "https://example.com/blog", "2024-05-06T10:00:00Z"))
    assert describe_engagement(repeated, limit=3) == (
        "page_view https://example.com/blog ×2; email_open Case study newsletter ×1; "
        "form_fill Case Study Download ×1"
    )
    assert describe_engagement(()) == ""
