"""`revloop mappings check`: a mapping compared with described schemas, every problem with file and key."""

from __future__ import annotations

from pathlib import Path

from connector.flows.handoff.mapping import HandoffMappingSpec
from connector.flows.handoff.sections import check_against_schema
from connector.flows.mappings import load_flow_mapping
from connector.mapping import build_mapping, parse_mapping
from connector.records import FieldSchema, ObjectSchema

SOURCE = "mappings/handoff/check.toml"
HUBSPOT = Path(__file__).resolve().parents[2] / "mappings" / "handoff" / "hubspot__salesforce.toml"


def schema(system: str, object_name: str, *fields: FieldSchema) -> ObjectSchema:
    return ObjectSchema(system, object_name, {field.name: field for field in fields})


LEAD = schema(
    "salesforce",
    "Lead",
    FieldSchema("LastName", "string", length=80, required=True),
    FieldSchema("FirstName", "string", length=40),
    FieldSchema("Company", "string", length=255, required=True),
    FieldSchema("Email", "email", length=80),
    FieldSchema("Phone", "phone", length=40),
    FieldSchema("Title", "string", length=128),
    FieldSchema("LeadSource", "picklist", picklist=("Web", "Phone Inquiry"), restricted_picklist=True),
    FieldSchema("Rating", "picklist", picklist=("Hot", "Warm", "Cold"), restricted_picklist=True),
    FieldSchema("Description", "textarea", length=32000),
    FieldSchema("Revloop_MA_Id__c", "string", length=64, external_id=True),
    FieldSchema("Revloop_Qualification__c", "string", length=255),
    FieldSchema("DoNotCall", "boolean"),
    FieldSchema("NumberOfEmployees", "int"),
    FieldSchema("IsConverted", "boolean", createable=False, updateable=False),
    FieldSchema("Status", "picklist", picklist=("Open",)),
    FieldSchema("ConvertedDate", "date"),
)
CONTACTS = schema(
    "hubspot",
    "contacts",
    *(FieldSchema(name, "string") for name in
      ("hs_object_id", "firstname", "lastname", "company", "email", "phone", "jobtitle", "hs_lead_status")),
    FieldSchema("hubspotscore", "number"),
    FieldSchema("hs_analytics_source_data_1", "string"),
    *(FieldSchema(name, "number") for name in
      ("revloop_pricing_page_views", "revloop_case_study_downloads", "revloop_contact_form_visits")),
    FieldSchema("hs_email_optout", "bool"),
    FieldSchema("closedate", "datetime"),
    FieldSchema("revloop_salesforce_id", "string"),
    FieldSchema("revloop_sync_status", "string"),
    FieldSchema("lifecyclestage", "enumeration", restricted_picklist=True,
                picklist=("subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "customer")),
)  # fmt: skip


def mapping_with(fields: dict, writeback: dict | None = None, **target):
    data = {
        "version": 1,
        "source": {"object": "contacts", "key": "hs_object_id"},
        "target": {"object": "Lead", "upsert_key": "Revloop_MA_Id__c", **target},
        "fields": fields,
    }
    if writeback is not None:
        data["writeback"] = writeback
    return build_mapping(data, source=SOURCE, spec=HandoffMappingSpec)


REQUIRED = {"LastName": {"from": "lastname", "default": "(unknown)"}, "Company": {"value": "ACME"}}


def problems(fields: dict, **kwargs) -> list[str]:
    return check_against_schema(mapping_with({**REQUIRED, **fields}, **kwargs), LEAD, CONTACTS, CONTACTS)


def test_the_shipped_hubspot_mapping_fits_the_described_schemas():
    assert check_against_schema(load_flow_mapping(HUBSPOT), LEAD, CONTACTS, CONTACTS) == []


def test_a_fitting_mapping_has_no_problems():
    assert problems({}) == []


def test_unknown_target_field():
    assert problems({"Nickname__c": {"from": "firstname"}}) == [
        f"{SOURCE}: fields.Nickname__c: Lead has no field 'Nickname__c'"
    ]


def test_type_mismatches():
    found = problems(
        {
            "DoNotCall": {"template": "{lastname}"},
            "NumberOfEmployees": {"from": "email"},
            "Description": {"from": "hubspotscore"},
        }
    )
    assert found == [
        f"{SOURCE}: fields.DoNotCall: DoNotCall is of type boolean but the mapping gives it text "
        "(a template)",
        f"{SOURCE}: fields.NumberOfEmployees: NumberOfEmployees is of type int but the mapping gives it text "
        "(from = 'email')",
    ]


def test_matching_types_and_date_transforms_pass():
    matching = {"DoNotCall": {"from": "hs_email_optout"}, "NumberOfEmployees": {"from": "hubspotscore"}}
    assert problems(matching) == []
    assert problems({"ConvertedDate": {"from": "closedate", "transform": ["to_date"]}}) == []


def test_dates_need_a_conversion():
    assert problems({"ConvertedDate": {"from": "closedate"}}) == [
        f"{SOURCE}: fields.ConvertedDate: ConvertedDate is of type date but the mapping gives it a date "
        "in the source's format (add transform to_date or to_datetime) (from = 'closedate')"
    ]
    assert problems({"ConvertedDate": {"from": "email", "transform": ["to_datetime"]}}) == []


def test_constants_must_fit_the_type():
    found = problems({"DoNotCall": {"value": "perhaps"}, "NumberOfEmployees": {"value": 12}})
    assert found == [
        f"{SOURCE}: fields.DoNotCall.value: DoNotCall is of type boolean and cannot take 'perhaps'",
    ]


def test_non_createable_and_non_updateable_fields():
    found = problems({"IsConverted": {"value": True}})
    assert f"{SOURCE}: fields.IsConverted: Lead.IsConverted is not createable" in found
    assert any(
        p.startswith(f"{SOURCE}: fields.IsConverted: Lead.IsConverted is not updateable") for p in found
    )
    assert problems({"IsConverted": {"value": True, "conflict": "do_not_sync"}}) == []


def test_restricted_picklists_refuse_values_maps_and_defaults():
    found = problems(
        {
            "LeadSource": {"value": "Webinar"},
            "Rating": {
                "from": "hs_lead_status",
                "map": {"OPEN": "Warm", "IN_PROGRESS": "Burning"},
                "default": "Cool",
            },
        }
    )
    assert found == [
        f"{SOURCE}: fields.LeadSource.value: LeadSource is a restricted picklist without 'Webinar'; "
        "allowed: Web, Phone Inquiry",
        f"{SOURCE}: fields.Rating.default: Rating is a restricted picklist without 'Cool'; "
        "allowed: Hot, Warm, Cold",
        f"{SOURCE}: fields.Rating.map.IN_PROGRESS: Rating is a restricted picklist without 'Burning'; "
        "allowed: Hot, Warm, Cold",
    ]


def test_required_target_fields_left_unmapped_or_possibly_blank():
    mapping = mapping_with({"LastName": {"from": "lastname"}, "Email": {"from": "email"}})
    found = check_against_schema(mapping, LEAD, None, None)
    assert found == [
        f"{SOURCE}: fields.LastName: Lead.LastName is required, so a blank value would be refused; "
        'add default = "..." (or required = true to fail such records here)',
        f"{SOURCE}: fields: Lead.Company is required on create but not mapped; "
        'add [fields.Company] with a default such as default = "(unknown)"',
    ]
    accepted = mapping_with({"LastName": {"from": "lastname", "required": True}, "Company": {"value": "x"}})
    assert check_against_schema(accepted, LEAD, None, None) == []


def test_the_upsert_key_must_be_an_external_id():
    mapping = mapping_with(REQUIRED, upsert_key="Email")
    assert check_against_schema(mapping, LEAD, None, None) == [
        f"{SOURCE}: target.upsert_key: Lead.Email is not an external-id field, so it cannot be an upsert key"
    ]


def test_unknown_source_fields():
    found = problems({"Title": {"from": "job_title"}})
    assert found == [f"{SOURCE}: source: contacts has no field 'job_title' (used by this mapping)"]


def test_writeback_fields_must_exist_in_the_source_and_fit_it():
    writeback = {
        "key": "hs_object_id",
        "fields": {
            "revloop_sfdc_id": {"from": "target_id"},
            "lifecyclestage": {"value": "sql"},
        },
    }
    found = problems({}, writeback=writeback)
    assert found == [
        f"{SOURCE}: writeback.fields.revloop_sfdc_id: contacts has no field 'revloop_sfdc_id'",
        f"{SOURCE}: writeback.fields.lifecyclestage.value: lifecyclestage is a restricted picklist without "
        "'sql'; allowed: subscriber, lead, marketingqualifiedlead, salesqualifiedlead, customer",
    ]


def test_schemas_not_given_are_not_checked():
    mapping = mapping_with({"Nickname__c": {"from": "nick"}})
    assert check_against_schema(mapping, None, None, None) == []


def test_task_fields_are_checked_against_the_task_schema():
    mapping = parse_mapping(
        HUBSPOT.read_text(encoding="utf-8").replace('value = "High"', 'value = "Urgent"'),
        source="hubspot__salesforce.toml",
        spec=HandoffMappingSpec,
    )
    task = schema(
        "salesforce",
        "Task",
        FieldSchema("Subject", "combobox", length=255),
        FieldSchema("Description", "textarea", length=32000),
        FieldSchema("Priority", "picklist", picklist=("High", "Normal", "Low"), restricted_picklist=True),
        FieldSchema("Status", "picklist", picklist=("Not Started", "Completed"), restricted_picklist=True),
        FieldSchema("Revloop_Task_Key__c", "string", external_id=True),
    )
    problems = check_against_schema(mapping, None, None, None, task_schema=task)
    assert len(problems) == 1 and "task.fields.Priority" in problems[0] and "Urgent" in problems[0]
    assert check_against_schema(load_flow_mapping(HUBSPOT), None, None, None, task_schema=task) == []
