"""The crash checker itself: a checker that never fails proves nothing, so each verdict is shown once."""

from __future__ import annotations

from dataclasses import replace

from checker import Ledger, Observed, Source, Target, check, cursor_ahead

LEAD = "00Q000000000001AAA"


def world(**changes):
    """One qualifying contact "1" synced to one Lead, and one cold contact "2": a clean verdict."""
    source = Source(
        records={"1": {"email": "a@example.com"}, "2": {"email": "b@example.com"}},
        qualifying=frozenset({"1"}),
    )
    ledger = Ledger(
        links={"1": (Target("Lead", LEAD, "active"),)},
        written={"1": {"Email": "a@example.com", "Title": "CTO"}},
        written_back=frozenset({"1"}),
        errors={},
        waiting=(),
        cursor={"version": 1, "since": 0},
    )
    lead = {"Id": LEAD, "object": "Lead", "Email": "a@example.com", "Title": "CTO", "SystemModstamp": "t1"}
    lead["K__c"] = "1"
    observed = Observed(
        people={LEAD: lead},
        creates={"Lead": {"1": 1}},
        source={
            "1": {
                "revloop_salesforce_id": LEAD,
                "revloop_sync_status": "created",
                "lifecyclestage": "opportunity",
            },
            "2": {},
        },
        key_field="K__c",
        tracked=("Email", "Title"),
    )
    before = Observed(people={}, creates={}, source={}, key_field="K__c")
    parts = {"source": source, "ledger": ledger, "observed": observed, "before": before}
    for name, change in changes.items():
        parts[name] = change(parts[name])
    return parts


def verdict(**changes):
    parts = world(**changes)
    return check(parts["source"], parts["ledger"], parts["observed"], before=parts["before"])


def test_a_consistent_world_is_clean():
    report = verdict()
    assert report.ok, str(report)
    assert report.synced == {"1"}


def test_a_qualifying_record_neither_synced_nor_explained_is_lost():
    report = verdict(ledger=lambda ledger: replace(ledger, links={}, written={}))
    assert set(report.lost) == {"1"}


def test_an_open_error_row_explains_a_record_that_did_not_sync():
    report = verdict(
        ledger=lambda ledger: replace(ledger, links={}, written={}, errors={"1": ("write", "INVALID")}),
        observed=lambda observed: replace(observed, source={"1": {}, "2": {}}),
    )
    assert report.ok, str(report)
    assert report.rejected == {"1"}


def test_a_link_to_a_record_the_target_does_not_hold_is_lost():
    report = verdict(observed=lambda observed: replace(observed, people={}))
    assert "1" in report.lost


def test_a_second_create_for_one_key_is_a_duplicate_even_if_merged_away():
    report = verdict(observed=lambda observed: replace(observed, creates={"Lead": {"1": 2}}))
    assert set(report.duplicated) == {"1"}


def test_a_record_created_for_someone_who_never_qualified_is_unexpected():
    def add_lead(observed):
        other = {"Id": "00Q2", "object": "Lead", "Email": "b@example.com", "K__c": "2", "SystemModstamp": "t"}
        return replace(observed, people={**observed.people, "00Q2": other})

    assert set(verdict(observed=add_lead).unexpected) == {"2"}


def test_a_field_the_ledger_does_not_know_it_wrote_is_a_mismatch():
    report = verdict(ledger=lambda ledger: replace(ledger, written={"1": {"Email": "a@example.com"}}))
    assert set(report.mismatched) == {"1"}


def test_a_missing_or_wrong_writeback_is_lost():
    report = verdict(observed=lambda observed: replace(observed, source={"1": {}, "2": {}}))
    assert set(report.lost) == {"1"}


def test_a_cursor_past_a_record_the_store_does_not_hold_is_ahead():
    parts = world(ledger=lambda ledger: replace(ledger, links={}, written={}, cursor={"after_id": 5}))
    assert cursor_ahead(parts["source"], parts["ledger"]) == {"1"}
    parts = world(ledger=lambda ledger: replace(ledger, links={}, written={}, cursor={"after_id": 0}))
    assert cursor_ahead(parts["source"], parts["ledger"]) == set()
