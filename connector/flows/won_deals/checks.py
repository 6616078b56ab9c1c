"""Won deals' checks: offline (two flows would not share deals) and against live schemas.

Source fields may follow relationships (``Account.Name``): each hop is a reference field of the object
before it (``AccountId``, or ``Partner__c`` for ``Partner__r``), described in turn. Stage values are
checked against the CRM's pipeline and stage options.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import replace

from connector.config import Config, FlowSettings
from connector.errors import MappingError, RuleError
from connector.flows.base import FlowSetup
from connector.flows.won_deals.mapping import WonDealsMapping, WonDealsMappingSpec
from connector.mapping import load_mapping
from connector.mapping.check import key_field_problems, section_problems, source_problems, target_problems
from connector.records import FieldSchema, ObjectSchema
from connector.systems.base import Associations, Removals

Describe = Callable[[str], ObjectSchema]


def offline(config: Config, flows: Mapping[str, FlowSettings]) -> list[str]:
    """Two flows from different sources upserting one CRM's deals on one key would share deals. (A mapping
    that does not load is `revloop config check`'s to report, not every config load's.)"""
    problems, owners = [], {}
    for name, flow in flows.items():
        try:
            target = load_mapping(flow.mapping, spec=WonDealsMappingSpec).spec.target
        except (MappingError, RuleError):
            continue
        key = (flow.target, target.object, target.upsert_key, target.key_prefix)
        other = owners.setdefault(key, (name, flow.source))
        if other[1] != flow.source:
            problems.append(
                f"{config.path}: flows.{name}: upserts {flow.target} {target.object} on {target.upsert_key} "
                f"like flows.{other[0]} ({other[1]}), so opportunity ids of both would share deals; set a "
                "different [target] key_prefix in one of the mappings"
            )
    return problems


def against_schemas(setup: FlowSetup) -> list[str]:
    """Every way the flow's mapping does not fit the SFA's and the CRM's live schemas."""
    mapping = load_mapping(setup.settings.mapping, spec=WonDealsMappingSpec)
    assert isinstance(mapping, WonDealsMapping)
    spec, source, target = mapping.spec, _cached(setup.source.describe), _cached(setup.target.describe)
    opportunity = with_relationships(source, spec.source.object, mapping.opportunity_fields())
    lines = with_relationships(source, spec.line_items.source, mapping.line_fields())
    roles = with_relationships(source, spec.people.source, mapping.people_fields())
    deals = target(spec.target.object)
    problems = target_problems(mapping, deals, opportunity)
    problems += source_problems(_only(mapping, mapping.opportunity_fields()), opportunity)
    problems += [
        *_missing(lines, mapping.line_fields(), "line_items"),
        *_missing(roles, mapping.people_fields(), "people"),
    ]
    problems += _stage_problems(mapping, deals, opportunity)
    problems += _company_problems(mapping, target(spec.company.object), opportunity)
    problems += _line_problems(mapping, target(spec.line_items.object), target(spec.products.object), lines)
    problems += key_field_problems("people.key", spec.people.key, target(spec.people.object))
    problems += section_problems(mapping.section("people.fields"), target(spec.people.object), roles)
    problems += _capability_problems(setup)
    return [f"{mapping.path}: {problem}" for problem in problems]


def _cached(describe: Describe) -> Describe:
    known: dict[str, ObjectSchema] = {}
    return lambda obj: known[obj] if obj in known else known.setdefault(obj, describe(obj))


def with_relationships(describe: Describe, obj: str, names: Iterable[str]) -> ObjectSchema:
    """``obj``'s schema plus a field for each dotted name that resolves through its references."""
    schema = describe(obj)
    extra = {}
    for name in names:
        if "." in name:
            field = _resolve(describe, schema, name.split("."))
            if field is not None:
                extra[name] = replace(field, name=name)
    return ObjectSchema(schema.system, schema.object, {**schema.fields, **extra})


def _resolve(describe: Describe, schema: ObjectSchema, path: list[str]) -> FieldSchema | None:
    relationship, rest = path[0], path[1:]
    reference = next((f for f in schema.fields.values() if _relationship(f) == relationship), None)
    if reference is None or not reference.reference_to:
        return None
    related = describe(reference.reference_to[0])
    return _resolve(describe, related, rest) if len(rest) > 1 else related.field(rest[0])


def _relationship(field: FieldSchema) -> str | None:
    if not field.reference_to:
        return None
    return field.name[:-3] + "__r" if field.name.endswith("__c") else field.name.removesuffix("Id")


def _only(mapping: WonDealsMapping, names: Iterable[str]) -> WonDealsMapping:
    """``mapping`` as :func:`source_problems` reads it: declaring just ``names`` as its source fields."""
    return replace(mapping, source_fields=frozenset(names))


def _missing(schema: ObjectSchema, names: Iterable[str], section: str) -> list[str]:
    return [f"{section}: {schema.object} has no field {name!r} (used by this mapping)" for name in names
            if schema.field(name) is None]  # fmt: skip


def _stage_problems(mapping: WonDealsMapping, deals: ObjectSchema, opportunity: ObjectSchema) -> list[str]:
    stages, won = mapping.spec.stages, mapping.spec.won
    problems = []
    source_field = opportunity.field(stages.from_)
    allowed = set(source_field.picklist) if source_field is not None and source_field.picklist else None
    for name in stages.map:
        if allowed is not None and name not in allowed:
            problems.append(f"stages.map: {name!r} is not a value of {opportunity.object}.{stages.from_}")
    targets = [(f"stages.map.{name}", stages.target(name)) for name in stages.map]
    if won.on_reversal == "move_to_stage":
        targets.append(("won.reversal_stage", stages.target_for(won.reversal_pipeline, won.reversal_stage)))
    for key_path, target in targets:
        problems += _option(deals, stages.pipeline_field, target.pipeline, key_path)  # type: ignore[union-attr]
        problems += _option(deals, stages.stage_field, target.stage, key_path)  # type: ignore[union-attr]
    return problems


def _option(schema: ObjectSchema, name: str, value: str, key_path: str) -> list[str]:
    field = schema.field(name)
    if field is None:
        return [f"{key_path}: {schema.object} has no field {name!r}"]
    if field.picklist and value not in field.picklist:
        return [
            f"{key_path}: {value!r} is not an option of {schema.object}.{name} ({', '.join(field.picklist)})"
        ]
    return []


def _company_problems(
    mapping: WonDealsMapping, companies: ObjectSchema, opportunity: ObjectSchema
) -> list[str]:
    spec = mapping.spec.company
    problems = key_field_problems("company.upsert_key", spec.upsert_key, companies)
    for key_path, name in (
        ("company.match_domain", spec.match_domain),
        ("company.match_name", spec.match_name),
    ):
        if name is not None and companies.field(name) is None:
            problems.append(f"{key_path}: {companies.object} has no field {name!r}")
    return problems + section_problems(mapping.section("company.fields"), companies, opportunity)


def _line_problems(
    mapping, line_items: ObjectSchema, products: ObjectSchema, lines: ObjectSchema
) -> list[str]:
    spec = mapping.spec
    problems = key_field_problems("line_items.upsert_key", spec.line_items.upsert_key, line_items)
    if line_items.field(spec.line_items.product_field) is None:
        problems.append(
            f"line_items.product_field: {line_items.object} has no field {spec.line_items.product_field!r}"
        )
    problems += section_problems(mapping.section("line_items.fields"), line_items, lines)
    problems += key_field_problems("products.key", spec.products.key, products)
    return problems + section_problems(mapping.section("products.fields"), products, lines)


def _capability_problems(setup: FlowSetup) -> list[str]:
    problems = []
    if not isinstance(setup.target, Associations):
        problems.append(
            f"target: {setup.target.name} cannot associate records (deals with companies and people)"
        )
    if not isinstance(setup.target, Removals):
        problems.append(
            f"target: {setup.target.name} cannot remove records (line items deleted at the source)"
        )
    return problems
