"""What the feedback writes to one MA record: translation tables, the further stage, nurture, blanks,
echoes, forward-only and conflict rules. Pure: snapshots in, payloads out."""

from __future__ import annotations

from pathlib import Path
from types import SimpleNamespace

import pytest

from connector.flows.feedback.compose import BLANK, compose, finish, moving_back, needs_current
from connector.flows.feedback.mapping import FeedbackMappingSpec
from connector.flows.feedback.plan import FeedbackPlan
from connector.flows.feedback.preview import _estimate
from connector.mapping import MappingFailure, load_mapping, parse_mapping

SHIPPED = Path(__file__).resolve().parents[2] / "mappings" / "feedback" / "salesforce__hubspot.toml"


@pytest.fixture(scope="module")
def mapping():
    return load_mapping(SHIPPED, spec=FeedbackMappingSpec)


def item(echoes=(), **values):
    base = {"salesforce_id": "00Q1", "lead_status": "Working - Contacted", "is_converted": False,
            "opportunity_id": None, "disqualified": False}  # fmt: skip
    return {"values": {**base, **values}, "echoes": list(echoes)}


def test_lead_status_translates_to_lifecycle_stage_and_lead_status(mapping):
    composed = compose(mapping, item(), key="501", owner=("kenji.mori@example.com", "77"), last_written=None)

    fields = composed.mapped.fields
    assert fields["lifecyclestage"] == "salesqualifiedlead" and fields["hs_lead_status"] == "IN_PROGRESS"
    assert fields["hubspot_owner_id"] == "77" and fields["revloop_converted"] is False
    assert composed.mapped.key == "501"
    assert composed.mapped.withheld["revloop_converted_contact_id"] == BLANK  # blank: the MA keeps its own


def test_an_opportunity_wins_with_the_further_stage(mapping):
    open_deal = item(opportunity_id="006A", opportunity_stage="Prospecting", opportunity_is_closed=False)
    lost = item(opportunity_id="006B", opportunity_stage="Closed Lost", opportunity_is_closed=True)

    won = compose(mapping, open_deal, key="1", last_written=None).mapped.fields
    behind = compose(mapping, lost, key="1", last_written=None).mapped.fields

    assert (won["lifecyclestage"], won["hs_lead_status"]) == ("opportunity", "OPEN_DEAL")
    assert (behind["lifecyclestage"], behind["hs_lead_status"]) == ("salesqualifiedlead", "IN_PROGRESS")
    assert behind["revloop_opportunity_stage"] == "Closed Lost"


def test_a_disqualified_person_gets_the_nurture_values(mapping):
    composed = compose(mapping, item(lead_status="Closed - Not Converted", disqualified=True), key="1",
                       last_written=None)  # fmt: skip
    assert composed.mapped.fields["hs_lead_status"] == "UNQUALIFIED"
    assert composed.backwards == {"hs_lead_status"}


def test_an_unmapped_status_fails_the_record_unless_the_table_says_blank(mapping):
    failure = compose(mapping, item(lead_status="Nurturing"), key="1", last_written=None)
    assert isinstance(failure, MappingFailure) and failure.key_path == "fields.hs_lead_status"


def test_echoed_values_keep_what_revloop_last_wrote(mapping):
    last = {"hs_lead_status": "NEW", "lifecyclestage": "salesqualifiedlead"}
    composed = compose(mapping, item(["lead_status"]), key="1", last_written=last)

    assert (
        composed.mapped.payload["hs_lead_status"] == "NEW" and "hs_lead_status" not in composed.mapped.fields
    )
    assert "revloop_salesforce_id" in composed.mapped.fields


def test_forward_only_and_values_the_ma_holds_already(mapping):
    composed = compose(mapping, item(), key="1", last_written=None)
    assert needs_current(mapping) == ("lifecyclestage",)

    at_customer = finish(mapping, composed, {"lifecyclestage": "customer", "hs_lead_status": "NEW"}, None)
    at_lead = finish(mapping, composed, {"lifecyclestage": "lead", "hs_lead_status": "IN_PROGRESS"}, None)

    assert (
        "lifecyclestage" not in at_customer.fields and at_customer.fields["hs_lead_status"] == "IN_PROGRESS"
    )
    assert at_customer.withheld["lifecyclestage"].startswith("forward-only")
    assert at_lead.fields["lifecyclestage"] == "salesqualifiedlead" and "hs_lead_status" not in at_lead.fields
    assert at_customer.payload_hash == composed.mapped.payload_hash  # the intent is unchanged


CONFLICTS = """
version = 2
kind = "feedback"
[source]
object = "Lead"
key = "Id"
[target]
object = "contacts"
upsert_key = "hs_object_id"
[fields.jobtitle]
from = "lead_status"
conflict = "target_wins"
[fields.company]
from = "lead_status"
conflict = "target_wins_unless_blank"
"""


def test_conflict_rules_keep_marketers_edits(mapping):
    rules = parse_mapping(CONFLICTS, source="c.toml", spec=FeedbackMappingSpec)
    composed = compose(rules, item(), key="1", last_written=None)

    blank = finish(rules, composed, {"jobtitle": "", "company": None}, None)
    edited = finish(rules, composed, {"jobtitle": "Marketer's", "company": "Acme"}, None)
    ours = finish(rules, composed, {"jobtitle": "Old", "company": "Acme"}, {"jobtitle": "Old"})

    assert set(blank.fields) == {"jobtitle", "company"}  # nothing there yet: filled
    assert edited.fields == {}
    assert set(ours.fields) == {"jobtitle"}  # still what revloop wrote: follows Salesforce


def test_only_a_stage_moving_back_from_a_value_is_cleared_first(mapping):
    fields = {"lifecyclestage": "lead", "hs_lead_status": "UNQUALIFIED"}

    assert moving_back(mapping, fields, {"lifecyclestage": "customer"}) == ("lifecyclestage",)
    assert moving_back(mapping, fields, {"lifecyclestage": "subscriber"}) == ()  # forward
    # blank (as after a clear whose write was cut short by a crash): nothing moves back any more
    assert moving_back(mapping, fields, {"lifecyclestage": ""}) == ()
    assert moving_back(mapping, {"hs_lead_status": "NEW"}, {"lifecyclestage": "customer"}) == ()


def test_the_preview_counts_a_clearing_call_for_each_batch_that_moves_a_stage_back():
    """250 writes, 3 of them moving the stage back, one in each batch of 100: 3 updates and 3 clears."""
    target = SimpleNamespace(name="hubspot", max_write_batch=100)
    ctx = SimpleNamespace(target=target, api_calls=lambda: {"hubspot": {"batch.read": 3}})
    feedback = SimpleNamespace(ctx=ctx, nurture=SimpleNamespace(enabled=False))
    writes = [SimpleNamespace(clears=("lifecyclestage",) if n in (5, 150, 249) else ()) for n in range(250)]

    assert _estimate(feedback, FeedbackPlan(writes=writes)) == {"hubspot": 3 + 3 + 3}
