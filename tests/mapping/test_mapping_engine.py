"""The mapping engine: qualification, field mapping, conflict rules, routing, writeback, hashing."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connector.errors import ErrorCategory
from connector.flows.handoff.mapping import HandoffMappingSpec
from connector.flows.handoff.sections import fields_needing_current, map_writeback, qualify
from connector.mapping import MappedRecord, MappingFailure, build_mapping, map_record, required_source_fields
from connector.mapping.rules import RuleEvaluationError
from connector.records import FieldSchema, ObjectSchema

SOURCE = "mappings/handoff/engine.toml"


def mapping_with(fields: dict, **extra):
    data = {
        "version": 1,
        "source": {"object": "contacts", "key": "hs_object_id", "fields": ["country"]},
        "target": {
            "object": "Lead",
            "upsert_key": "Revloop_MA_Id__c",
            "contact_object": "Contact",
            "contact_upsert_key": "Revloop_MA_Id__c",
            "account_field": "AccountId",
        },
        "qualify": {"score_field": "hubspotscore", "threshold": 80, "rule": "pricing_views >= 2"},
        "metrics": {"pricing_views": {"activity": "page_view", "contains": "/pricing"}},
        "fields": fields,
        **extra,
    }
    return build_mapping(data, source=SOURCE, spec=HandoffMappingSpec)


HANDOFF = mapping_with(
    {
        "LastName": {"from": "lastname", "transform": ["trim", "nfkc"], "default": "(unknown)"},
        "Company": {"from": "company", "default": "(not provided)"},
        "Email": {"from": "email", "transform": ["trim", "nfkc", "lower"]},
        "Phone": {
            "from": "phone",
            "transform": [{"phone_e164": {"region": "JP"}}],
            "conflict": "sfa_wins_unless_blank",
        },
        "Title": {"from": "jobtitle", "conflict": "sfa_wins"},
        "LeadSource": {"value": "Web"},
        "Rating": {
            "from": "hs_lead_status",
            "map": {"OPEN": "Warm", "IN_PROGRESS": "Hot"},
            "unmapped": "blank",
        },
        "Description": {
            "template": "Qualified: {qualification}\nViews: {pricing_views} {{raw}}\nCountry: {country}"
        },
        "Internal__c": {"from": "secret_notes", "conflict": "do_not_sync"},
    },
    writeback={
        "key": "hs_object_id",
        "fields": {
            "revloop_salesforce_id": {"from": "target_id"},
            "revloop_sync_status": {"from": "link_status"},
            "lifecyclestage": {"value": "salesqualifiedlead", "conflict": "ma_wins"},
        },
    },
)

CONTACT = {
    "hs_object_id": "501",
    "lastname": " ﾔﾏﾀﾞ ",
    "company": "ABC株式会社",
    "email": " Taro@Example.COM ",
    "phone": "03-1234-5678",
    "jobtitle": "部長",
    "hs_lead_status": "OPEN",
    "hubspotscore": "85",
    "country": "JP",
}
CONTEXT = {"qualification": "score 85 ≥ 80", "pricing_views": 3, "source_id": "501"}


def mapped(**kwargs) -> MappedRecord:
    result = map_record(HANDOFF, kwargs.pop("fields", CONTACT), kwargs.pop("context", CONTEXT), **kwargs)
    assert isinstance(result, MappedRecord), result
    return result


def failure(mapping, fields, **kwargs) -> MappingFailure:
    result = map_record(mapping, fields, CONTEXT, creating=True, **kwargs)
    assert isinstance(result, MappingFailure), result
    return result


# ---- qualify


@pytest.mark.parametrize(
    ("score", "views", "qualified", "reason"),
    [
        ("85", 0, True, "score 85 ≥ 80"),
        (80, 0, True, "score 80 ≥ 80"),
        ("79.5", 0, False, "score 79.5 < 80; rule not met: pricing_views >= 2"),
        ("40", 2, True, "rule: pricing_views >= 2"),
        ("90", 5, True, "score 90 ≥ 80; rule: pricing_views >= 2"),
        (None, 0, False, "no score; rule not met: pricing_views >= 2"),
        ("n/a", 0, False, "score 'n/a' is not a number; rule not met: pricing_views >= 2"),
    ],
)
def test_qualify_by_score_or_rule(score, views, qualified, reason):
    result = qualify(HANDOFF, {"hubspotscore": score}, {"pricing_views": views})
    assert (result.qualified, result.reason) == (qualified, reason)


def test_without_a_qualify_section_every_record_qualifies():
    data = HANDOFF.spec.model_dump(by_alias=True, exclude_none=True, exclude_defaults=True)
    data.pop("qualify")
    result = qualify(build_mapping(data, source=SOURCE, spec=HandoffMappingSpec), {}, {})
    assert (result.qualified, result.reason) == (True, "no [qualify] section: every record qualifies")


def test_a_rule_that_cannot_be_decided_raises_a_typed_error():
    mapping = mapping_with(
        {"LastName": {"from": "lastname"}},
        qualify={"rule": "pricing_views == 0 || 10 / pricing_views > 1.5"},
    )
    assert qualify(mapping, {}, {"pricing_views": 0}).qualified
    with pytest.raises(RuleEvaluationError):
        qualify(mapping, {}, {"pricing_views": 2.5})


# ---- map_record


def test_fields_are_mapped_from_values_templates_maps_and_defaults():
    record = mapped(creating=True)
    assert record.object == "Lead"
    assert (record.key_field, record.key) == ("Revloop_MA_Id__c", "501")
    assert record.fields == {
        "LastName": "ヤマダ",
        "Company": "ABC株式会社",
        "Email": "taro@example.com",
        "Phone": "+81312345678",
        "Title": "部長",
        "LeadSource": "Web",
        "Rating": "Warm",
        "Description": "Qualified: score 85 ≥ 80\nViews: 3 {raw}\nCountry: JP",
    }
    assert record.withheld == {"Internal__c": "do_not_sync"}
    assert record.outgoing().key == "501" and record.outgoing().fields == record.fields


def test_blank_values_take_the_default_or_become_none():
    record = mapped(
        fields={"hs_object_id": "7", "lastname": "  ", "hs_lead_status": "UNKNOWN"}, creating=True
    )
    assert record.fields["LastName"] == "(unknown)"
    assert record.fields["Company"] == "(not provided)"
    assert record.fields["Email"] is None and record.fields["Phone"] is None
    assert record.fields["Rating"] is None  # unmapped = "blank"
    assert record.fields["Description"] == "Qualified: score 85 ≥ 80\nViews: 3 {raw}\nCountry: "


def test_the_key_falls_back_to_the_context_source_id():
    record = mapped(fields={"lastname": "x"}, creating=True)
    assert record.key == "501"
    result = map_record(HANDOFF, {}, {}, creating=True)
    assert isinstance(result, MappingFailure) and result.key_path == "source.key"


def test_an_invalid_phone_fails_the_whole_record_with_a_mapping_error():
    result = failure(HANDOFF, {**CONTACT, "phone": "12"})
    assert (result.field, result.value, result.key_path) == ("Phone", "12", "fields.Phone")
    assert "not a valid phone number for region JP" in result.message
    error = result.record_error()
    assert error.category is ErrorCategory.MAPPING
    assert error.fields == ("Phone",)
    assert error.message.startswith("fields.Phone: phone_e164: not a valid phone number")


@pytest.mark.parametrize(("unmapped", "expected"), [("keep", "NEW"), ("blank", None)])
def test_unmapped_values_are_kept_or_blanked(unmapped, expected):
    mapping = mapping_with({"Rating": {"from": "s", "map": {"OPEN": "Warm"}, "unmapped": unmapped}})
    result = map_record(mapping, {"hs_object_id": "1", "s": "NEW"}, {}, creating=True)
    assert result.fields["Rating"] == expected


def test_unmapped_values_are_an_error_by_default():
    mapping = mapping_with({"Rating": {"from": "s", "map": {"OPEN": "Warm", "DONE": "Cold"}}})
    result = failure(mapping, {"hs_object_id": "1", "s": "NEW"})
    assert result.message == "value 'NEW' is not in map (known: DONE, OPEN)"


def test_required_blank_without_default_fails():
    mapping = mapping_with({"LastName": {"from": "lastname", "required": True}})
    result = failure(mapping, {"hs_object_id": "1", "lastname": " "})
    assert result.field == "LastName" and "required" in result.message


SCHEMA = ObjectSchema(
    "salesforce",
    "Lead",
    {
        "Description": FieldSchema("Description", "textarea", length=10),
        "DoNotCall": FieldSchema("DoNotCall", "boolean"),
        "NumberOfEmployees": FieldSchema("NumberOfEmployees", "int"),
        "AnnualRevenue": FieldSchema("AnnualRevenue", "currency"),
        "Rating": FieldSchema("Rating", "picklist", picklist=("Hot", "Warm"), restricted_picklist=True),
    },
)


def test_the_target_schema_truncates_and_converts():
    mapping = mapping_with(
        {
            "Description": {"template": "{qualification} and more"},
            "DoNotCall": {"from": "dnc"},
            "NumberOfEmployees": {"from": "employees"},
            "AnnualRevenue": {"from": "revenue"},
        }
    )
    source = {"hs_object_id": "1", "dnc": "true", "employees": "250", "revenue": "1,200.50"}
    result = map_record(mapping, source, CONTEXT, target_schema=SCHEMA, creating=True)
    assert result.fields == {
        "Description": "score 85 ≥",
        "DoNotCall": True,
        "NumberOfEmployees": 250,
        "AnnualRevenue": 1200.5,
    }


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("DoNotCall", "maybe", "DoNotCall is of type boolean and cannot take 'maybe'"),
        ("NumberOfEmployees", "12.5", "NumberOfEmployees is of type int and cannot take '12.5'"),
        ("AnnualRevenue", "lots", "cannot take 'lots'"),
        ("Rating", "Cold", "Rating is a restricted picklist without 'Cold'; allowed: Hot, Warm"),
    ],
)
def test_values_the_target_type_cannot_hold_fail_the_record(field, value, message):
    mapping = mapping_with({field: {"from": "v"}})
    result = failure(mapping, {"hs_object_id": "1", "v": value}, target_schema=SCHEMA)
    assert result.field == field and message in result.message


# ---- conflict rules


def test_on_create_every_syncing_field_is_written():
    assert set(mapped(creating=True).fields) == set(HANDOFF.spec.fields) - {"Internal__c"}


def test_updates_need_the_current_values_of_protected_fields():
    assert fields_needing_current(HANDOFF) == ("Phone", "Title")
    with pytest.raises(ValueError, match="current 'Phone'"):
        map_record(HANDOFF, CONTACT, CONTEXT, creating=False, target_current={"Title": "x"})


def test_sfa_wins_writes_only_while_the_target_keeps_what_revloop_wrote():
    first = mapped(creating=True)
    last = first.written_state(None)
    unchanged = mapped(
        creating=False, target_current={"Phone": "+81312345678", "Title": "部長"}, last_written=last
    )
    assert "Title" in unchanged.fields
    edited = mapped(
        creating=False, target_current={"Phone": "+81312345678", "Title": "課長"}, last_written=last
    )
    assert "Title" not in edited.fields
    assert edited.withheld["Title"] == "changed in the target since revloop wrote it (sfa_wins)"
    never = mapped(creating=False, target_current={"Phone": "", "Title": "部長"}, last_written=None)
    assert never.withheld["Title"] == "revloop has not written this field before (sfa_wins)"


def test_sfa_wins_unless_blank_only_fills_blank_target_values():
    current = {"Phone": None, "Title": "部長"}
    assert mapped(creating=False, target_current=current).fields["Phone"] == "+81312345678"
    kept = mapped(creating=False, target_current={**current, "Phone": "+81399999999"})
    assert "Phone" not in kept.fields
    assert kept.withheld["Phone"] == "the target has a value (sfa_wins_unless_blank)"


def test_ma_wins_always_writes_and_do_not_sync_never_does():
    record = mapped(creating=False, target_current={"Phone": "x", "Title": "y"}, last_written={})
    assert record.fields["Email"] == "taro@example.com" and record.fields["Rating"] == "Warm"
    assert "Internal__c" not in record.payload and "Internal__c" not in record.fields


def test_values_echoed_back_in_another_shape_still_count_as_unchanged():
    mapping = mapping_with({"NumberOfEmployees": {"from": "n", "conflict": "sfa_wins"}})
    source = {"hs_object_id": "1", "n": "250"}
    first = map_record(mapping, source, {}, target_schema=SCHEMA, creating=True)
    again = map_record(
        mapping,
        source,
        {},
        target_schema=SCHEMA,
        creating=False,
        target_current={"NumberOfEmployees": 250.0},
        last_written=first.written_state({}),
    )
    assert again.fields == {"NumberOfEmployees": 250}


# ---- hash, purity


def test_the_payload_hash_is_stable_and_tracks_the_payload():
    one = mapped(creating=True)
    shuffled = dict(reversed(list(CONTACT.items())))
    assert mapped(fields=shuffled, creating=True).payload_hash == one.payload_hash
    assert len(one.payload_hash) == 64
    assert mapped(fields={**CONTACT, "jobtitle": "社長"}, creating=True).payload_hash != one.payload_hash
    assert mapped(fields={**CONTACT, "secret_notes": "x"}, creating=True).payload_hash == one.payload_hash


def test_conflict_rules_do_not_change_the_hash():
    created = mapped(creating=True)
    updated = mapped(
        creating=False, target_current={"Phone": "+81399999999", "Title": "課長"}, last_written={}
    )
    assert updated.fields != created.fields
    assert updated.payload == created.payload and updated.payload_hash == created.payload_hash


def test_inputs_are_never_mutated():
    fields, context = copy.deepcopy(CONTACT), copy.deepcopy(CONTEXT)
    current, last = {"Phone": "", "Title": "部長"}, {"Title": "部長"}
    result = map_record(HANDOFF, fields, context, creating=False, target_current=current, last_written=last)
    result.written_state(last)
    assert (fields, context, current, last) == (
        CONTACT,
        CONTEXT,
        {"Phone": "", "Title": "部長"},
        {"Title": "部長"},
    )


@settings(max_examples=200)
@given(
    st.dictionaries(
        st.sampled_from(
            ["hs_object_id", "lastname", "company", "email", "phone", "jobtitle", "hs_lead_status"]
        ),
        st.none() | st.text(max_size=30) | st.integers() | st.floats() | st.booleans(),
    )
)
def test_any_source_values_map_or_fail_cleanly(fields):
    result = map_record(HANDOFF, fields, CONTEXT, target_schema=SCHEMA, creating=True)
    assert isinstance(result, MappedRecord | MappingFailure)


# ---- routing to a Contact on a customer Account

CONTACT_SCHEMA = ObjectSchema(
    "salesforce",
    "Contact",
    {
        name: FieldSchema(name, "string")
        for name in ("LastName", "Email", "Phone", "Title", "LeadSource", "Description")
    },
)


def test_a_person_routed_to_a_customer_account_becomes_a_contact():
    context = {**CONTEXT, "target_object": "Contact", "account_id": "001A"}
    result = map_record(HANDOFF, CONTACT, context, target_schema=CONTACT_SCHEMA, creating=True)
    assert (result.object, result.key_field, result.key) == ("Contact", "Revloop_MA_Id__c", "501")
    assert result.fields["AccountId"] == "001A"
    assert {"Company", "Rating"} <= set(result.withheld) and "Company" not in result.fields
    assert result.withheld["Company"] == "not a field of Contact"


def test_routing_without_an_account_id_fails():
    result = map_record(HANDOFF, CONTACT, {**CONTEXT, "target_object": "Contact"}, creating=True)
    assert isinstance(result, MappingFailure) and result.key_path == "target.account_field"


# ---- writeback


def test_writeback_maps_context_values_onto_the_source_record():
    context = {"source_id": "501", "target_id": "00Q1", "link_status": "created"}
    result = map_writeback(HANDOFF, context, first_write=True)
    assert (result.object, result.key_field, result.key) == ("contacts", "hs_object_id", "501")
    assert result.fields == {
        "revloop_salesforce_id": "00Q1",
        "revloop_sync_status": "created",
        "lifecyclestage": "salesqualifiedlead",
    }


def test_writeback_ma_wins_sets_the_stage_once_then_keeps_the_mas_edits():
    context = {"source_id": "501", "target_id": "00Q1", "link_status": "linked"}
    first = map_writeback(HANDOFF, context, first_write=True)
    assert fields_needing_current(HANDOFF, writeback=True) == ("lifecyclestage",)
    moved_on = map_writeback(
        HANDOFF,
        context,
        first_write=False,
        source_current={"lifecyclestage": "customer"},
        last_written=first.written_state(None),
    )
    assert moved_on.fields == {"revloop_salesforce_id": "00Q1", "revloop_sync_status": "linked"}
    untouched = map_writeback(
        HANDOFF,
        context,
        first_write=False,
        source_current={"lifecyclestage": "salesqualifiedlead"},
        last_written=first.written_state(None),
    )
    assert untouched.fields["lifecyclestage"] == "salesqualifiedlead"


def test_writeback_needs_a_source_id_and_a_writeback_section():
    result = map_writeback(HANDOFF, {"target_id": "00Q1"}, first_write=True)
    assert isinstance(result, MappingFailure) and result.key_path == "writeback.key"
    with pytest.raises(ValueError, match="no \\[writeback\\]"):
        map_writeback(mapping_with({"LastName": {"from": "lastname"}}), {"source_id": "1"}, first_write=True)


def test_required_source_fields_lists_everything_the_flow_must_read():
    assert required_source_fields(HANDOFF) == (
        "company", "country", "email", "hs_lead_status", "hs_object_id", "hubspotscore", "jobtitle",
        "lastname", "phone", "secret_notes",
    )  # fmt: skip


def test_an_ordered_field_never_moves_back_and_moves_forward_freely():
    from connector.mapping.compiled import CompiledField
    from connector.mapping.conflicts import Conflicts, WritePolicy
    from connector.mapping.spec import FieldSpec

    stages = ("lead", "opportunity", "customer", "evangelist")
    compiled = CompiledField(
        "lifecyclestage", FieldSpec(value="customer", order=stages), (), None, WritePolicy.ALWAYS, "f"
    )

    def reason(now: str | None, creating: bool = False) -> str | None:
        return Conflicts(creating, {"lifecyclestage": now}, None).withhold_reason(compiled, "customer")

    assert reason("lead") is None and reason("opportunity") is None and reason("customer") is None
    assert "only moves forward" in (reason("evangelist") or "")
    assert reason("other") is None  # a value outside the order does not hold it back
    assert reason("evangelist", creating=True) is None
