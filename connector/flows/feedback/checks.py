"""The feedback's checks: offline (its source is Salesforce) and against the live schemas.

Against the schemas (``revloop mappings check``): every MA field written exists, can be written and takes
the mapping's constants and translated values (HubSpot's lifecycle stages, lead statuses); every
translation table covers the live Salesforce picklist it translates (Lead Status, Opportunity Stage) and
names no value that picklist lacks; ordered values and nurture statuses exist; the person's own fields
exist on Lead and Contact; owners and lists are only asked of an MA that has them.
"""

from __future__ import annotations

from collections.abc import Mapping

from connector.config import Config, FlowSettings
from connector.flows.base import FlowSetup
from connector.flows.feedback.mapping import FeedbackMapping, FeedbackMappingSpec
from connector.flows.feedback.source import person_fields
from connector.mapping import CompiledField, load_mapping
from connector.mapping.check import section_problems
from connector.mapping.echoes import sources_of
from connector.mapping.spec import Unmapped
from connector.records import ObjectSchema
from connector.systems.base import Lists, Owners

SOURCE_KIND = "salesforce"
RECORD_ID_KEYS = ("hs_object_id", "id")
"""The MA's own record ids: the feedback updates the linked record by its id and never creates one."""


def source_is_salesforce(config: Config, flows: Mapping[str, FlowSettings]) -> list[str]:
    """The feedback reads Salesforce's Leads, Contacts and Opportunities: its source must be one."""
    return [
        f"{config.path}: flows.{name}.source: the feedback reads Salesforce people; "
        f"{flow.source!r} is a {config.system_kind(flow.source)} system"
        for name, flow in flows.items()
        if flow.source in config.systems_configured() and config.system_kind(flow.source) != SOURCE_KIND
    ]


def against_schemas(setup: FlowSetup) -> list[str]:
    mapping = load_mapping(setup.settings.mapping, spec=FeedbackMappingSpec)
    assert isinstance(mapping, FeedbackMapping)
    salesforce = {obj: setup.source.describe(obj) for obj in ("Lead", "Contact", "Opportunity")}
    ma = setup.target.describe(mapping.spec.target.object)
    problems = _ma_problems(mapping, ma, salesforce["Lead"])
    problems += _capability_problems(mapping, setup)
    problems += _translation_problems(mapping, salesforce)
    problems += _person_field_problems(mapping, salesforce)
    return [f"{mapping.path}: {problem}" for problem in problems]


def _ma_problems(mapping: FeedbackMapping, ma: ObjectSchema, lead: ObjectSchema) -> list[str]:
    key = mapping.spec.target.upsert_key
    problems = []
    if ma.field(key) is None or not (key in RECORD_ID_KEYS or ma.fields[key].external_id):
        problems.append(
            f"target.upsert_key: {ma.object}.{key} is not a record id ({', '.join(RECORD_ID_KEYS)})"
        )
    for key_path in ("fields", "opportunity.fields", "nurture.fields"):
        problems += section_problems(mapping.section(key_path), ma, lead)
    for name, order in mapping.spec.order.items():
        options = ma.field(name).picklist if ma.field(name) else ()
        unknown = [value for value in order.values if options and value not in options]
        if unknown:
            problems.append(f"order.{name}.values: {ma.object}.{name} has no option {', '.join(unknown)}")
    identity = mapping.spec.match.fields
    for part, name in (identity.names() if identity else {}).items():
        if ma.field(name) is None:
            problems.append(f"match.fields.{part}: {ma.object} has no field {name!r}")
    return problems


def _capability_problems(mapping: FeedbackMapping, setup: FlowSetup) -> list[str]:
    problems = []
    target = setup.target
    owners_wanted = [c.key_path for c in _all_fields(mapping) if "ma_owner_id" in sources_of(c)]
    if owners_wanted and not isinstance(target, Owners):
        problems += [
            f"{path}: {target.name} has no owners; map owner_email into a field" for path in owners_wanted
        ]
    nurture = mapping.spec.nurture
    if nurture and nurture.list and not isinstance(target, Lists):
        problems.append(f"nurture.list: {target.name} has no static lists")
    return problems


def _translation_problems(mapping: FeedbackMapping, salesforce: Mapping[str, ObjectSchema]) -> list[str]:
    """Translation tables against the live Salesforce picklists they translate."""
    problems = []
    for compiled in _all_fields(mapping):
        picklist = _picklist_of(compiled, mapping, salesforce)
        if picklist is None or compiled.spec.map is None:
            continue
        where, values = picklist
        table = compiled.spec.map
        typos = sorted(set(table) - set(values))
        if typos:
            problems.append(f"{compiled.key_path}.map: {typos} not values of {where}")
        missing = [value for value in values if value not in table]
        if missing and compiled.spec.unmapped is Unmapped.ERROR:
            problems.append(
                f"{compiled.key_path}.map: {where} also has {missing}; map them, or set unmapped = "
                '"blank" (the MA keeps its value) or "keep"'
            )
    nurture = mapping.spec.nurture
    statuses = _picklist(salesforce["Lead"], "Status")
    for status in nurture.lead_statuses if nurture else ():
        if statuses and status not in statuses:
            problems.append(f"nurture.lead_statuses: {status!r} is not a value of Lead.Status")
    return problems


def _picklist_of(
    compiled: CompiledField, mapping: FeedbackMapping, salesforce: Mapping[str, ObjectSchema]
) -> tuple[str, tuple[str, ...]] | None:
    """The Salesforce picklist a field's ``from`` reads, as (where, values)."""
    name = compiled.spec.from_
    origins = {"lead_status": ("Lead", "Status"), "opportunity_stage": ("Opportunity", "StageName")}
    obj, field = origins.get(name or "", ("Lead", name if name in person_fields(mapping) else ""))
    values = _picklist(salesforce[obj], field) if field else ()
    return (f"{obj}.{field}", values) if values else None


def _picklist(schema: ObjectSchema, field: str) -> tuple[str, ...]:
    found = schema.field(field)
    return found.picklist if found is not None else ()


def _person_field_problems(mapping: FeedbackMapping, salesforce: Mapping[str, ObjectSchema]) -> list[str]:
    """The person's own fields are read from the Lead, and from the Contact once converted."""
    return [
        f"source: {obj} has no field {name!r} (the person's fields must exist on Lead and Contact)"
        for name in person_fields(mapping)
        for obj in ("Lead", "Contact")
        if salesforce[obj].field(name) is None
    ]


def _all_fields(mapping: FeedbackMapping) -> tuple[CompiledField, ...]:
    return (*mapping.fields, *mapping.opportunity_fields, *mapping.nurture_fields)
