"""The won-deals mapping file: the shared core (``[source]`` the Opportunity, ``[target]`` and ``[fields]``
the deal) plus ``[won]``, ``[stages]``, ``[company]``, ``[line_items]``, ``[products]``, ``[people]`` and
``[read]``.

The source is the SFA and the target the CRM, so in every table of fields ``source_wins`` means "the
SFA's value wins" and ``target_wins`` "edits made in the CRM win". Keys naming source fields may follow
relationships (``Account.Name``, ``Product2.ProductCode``, ``Contact.Email``); defaults are Salesforce's
standard names, so a mapping only names what differs.
"""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictBool, model_validator

from connector.mapping import CompiledField, Conflict, Direction, FieldSection, Mapping, MappingSpec, Strict
from connector.mapping.spec import FieldSpec
from connector.mapping.template import parse_template

CONTEXT_NAMES: tuple[str, ...] = (
    "source_id",  # the Opportunity's id
    "opportunity_id",  # the Opportunity a line item or contact role belongs to
    "role",  # a contact role's role (Decision Maker, ...)
)
"""Names the flow provides at run time; mappings may use them in ``from`` and templates."""

Name = Field(min_length=1)


class WonSpec(Strict):
    field: str = "IsWon"
    """The Opportunity field that is true once it is won."""
    on_reversal: Literal["move_to_stage", "error"] = "error"
    """A won and synced opportunity that is reopened or lost: move its deal to ``reversal_stage``, or
    leave the deal and open an error row for an admin."""
    reversal_stage: str | None = Field(default=None, min_length=1)
    reversal_pipeline: str | None = Field(default=None, min_length=1)
    """The pipeline of ``reversal_stage``; default ``[stages] pipeline``."""

    @model_validator(mode="after")
    def _stage_for_move(self) -> WonSpec:
        if self.on_reversal == "move_to_stage" and self.reversal_stage is None:
            raise ValueError('on_reversal = "move_to_stage" needs reversal_stage')
        return self


class StageTarget(Strict):
    pipeline: str = Name
    stage: str = Name


class StagesSpec(Strict):
    """Opportunity stage → CRM pipeline and stage. A won opportunity whose stage is not mapped is an error."""

    from_: str = Field(default="StageName", alias="from", min_length=1)
    pipeline_field: str = Field(default="pipeline", min_length=1)
    stage_field: str = Field(default="dealstage", min_length=1)
    pipeline: str = Name
    map: dict[str, str | StageTarget] = Field(min_length=1)

    def target(self, stage_name: str) -> StageTarget | None:
        """Where an opportunity at ``stage_name`` goes; None when the stage is not mapped."""
        mapped = self.map.get(stage_name)
        return self.target_for(None, mapped) if isinstance(mapped, str) else mapped

    def target_for(self, pipeline: str | None, stage: str | None) -> StageTarget:
        """``stage`` of ``pipeline`` (default: this table's pipeline)."""
        return StageTarget(pipeline=pipeline or self.pipeline, stage=str(stage))


class CompanySpec(Strict):
    object: str = Field(default="companies", min_length=1)
    source: str = Field(default="Account", min_length=1)
    """The SFA object a company is (links are kept per Account)."""
    key_from: str = Field(default="AccountId", min_length=1)
    """The Opportunity field holding the Account id: the company's identity in the SFA."""
    upsert_key: str = Name
    """A unique CRM property that holds the Account id on companies revloop creates (idempotent creates)."""
    match_domain: str | None = Field(default="domain", min_length=1)
    match_name: str | None = Field(default="name", min_length=1)
    create: StrictBool = True
    association_type: int | None = None
    fields: dict[str, FieldSpec] = Field(min_length=1)


class LineItemsSpec(Strict):
    object: str = Field(default="line_items", min_length=1)
    source: str = Field(default="OpportunityLineItem", min_length=1)
    parent_field: str = Field(default="OpportunityId", min_length=1)
    upsert_key: str = Name
    product_field: str = Field(default="hs_product_id", min_length=1)
    association_type: int | None = None
    fields: dict[str, FieldSpec] = Field(min_length=1)


class ProductsSpec(Strict):
    object: str = Field(default="products", min_length=1)
    source: str = Field(default="Product2", min_length=1)
    """The SFA object of products (links are kept per product)."""
    id_from: str = Field(default="Product2Id", min_length=1)
    code_from: str = Field(default="Product2.ProductCode", min_length=1)
    key: str = Name
    """A unique CRM property holding the product code (the SKU)."""
    create: StrictBool = True
    fields: dict[str, FieldSpec] = Field(default_factory=dict)
    """Written only when revloop creates a product; an existing product is never changed."""


class PeopleSpec(Strict):
    object: str = Field(default="contacts", min_length=1)
    source: str = Field(default="OpportunityContactRole", min_length=1)
    parent_field: str = Field(default="OpportunityId", min_length=1)
    id_from: str = Field(default="ContactId", min_length=1)
    person_object: str = Field(default="Contact", min_length=1)
    email_from: str = Field(default="Contact.Email", min_length=1)
    role_from: str = Field(default="Role", min_length=1)
    key: str = Field(default="email", min_length=1)
    roles: tuple[str, ...] = ()
    association_type: int | None = None
    fields: dict[str, FieldSpec] = Field(min_length=1)


class ReadSpec(Strict):
    bulk_above: int = Field(default=20_000, ge=0)
    """A first run (no cursor) over more Opportunities than this reads them with a bulk job."""


class WonDealsMapping(Mapping):
    """A compiled won-deals mapping, with the source fields each source object must be read with."""

    __slots__ = ()
    spec: WonDealsMappingSpec

    def read_fields(self, *sections: str) -> tuple[str, ...]:
        """Source fields the tables at ``sections`` read (``from`` and template names), sorted."""
        names: set[str] = set()
        for section in sections:
            names.update(_names(self.section(section)))
        return tuple(sorted(names - self.context_names))

    def opportunity_fields(self) -> tuple[str, ...]:
        spec = self.spec
        extra = {
            spec.source.key,
            *spec.source.fields,
            spec.won.field,
            spec.stages.from_,
            spec.company.key_from,
        }
        return tuple(sorted({*self.read_fields("fields", "company.fields"), *extra}))

    def line_fields(self) -> tuple[str, ...]:
        spec = self.spec
        extra = {spec.line_items.parent_field, spec.products.id_from, spec.products.code_from}
        return tuple(sorted({*self.read_fields("line_items.fields", "products.fields"), *extra}))

    def people_fields(self) -> tuple[str, ...]:
        people = self.spec.people
        extra = {people.parent_field, people.id_from, people.email_from, people.role_from}
        return tuple(sorted({*self.read_fields("people.fields"), *extra}))


def _names(fields: tuple[CompiledField, ...]) -> set[str]:
    names: set[str] = set()
    for compiled in fields:
        if compiled.spec.from_ is not None:
            names.add(compiled.spec.from_)
        if compiled.spec.template is not None:
            names.update(parse_template(compiled.spec.template).names)
    return names


class WonDealsMappingSpec(MappingSpec):
    """A won-deals mapping file: ``[source]`` is the Opportunity, ``[target]`` and ``[fields]`` the deal."""

    for_kind = "won_deals"
    field_sections = (
        *MappingSpec.field_sections,
        FieldSection("company.fields", Direction.TO_TARGET),
        FieldSection("line_items.fields", Direction.TO_TARGET),
        FieldSection("products.fields", Direction.TO_TARGET),
        FieldSection("people.fields", Direction.TO_TARGET),
    )
    context_names = CONTEXT_NAMES
    compiled_as = WonDealsMapping

    record_id: str = Field(default="hs_object_id", min_length=1)
    """The CRM's record-id field: records revloop already knows are updated by it."""
    won: WonSpec = Field(default_factory=WonSpec)
    stages: StagesSpec
    company: CompanySpec
    line_items: LineItemsSpec
    products: ProductsSpec
    people: PeopleSpec
    read: ReadSpec = Field(default_factory=ReadSpec)

    def kind_problems(self) -> list[tuple[str, str]]:
        problems = []
        if self.company.match_domain is None and self.company.match_name is None and self.company.create:
            problems.append(("company", "set match_domain or match_name (or both) so companies are found"))
        for name in self.company.fields:
            if name == self.company.upsert_key:
                problems.append((f"company.fields.{name}", "revloop fills the upsert key itself"))
        if self.line_items.product_field in self.line_items.fields:
            problems.append(
                (f"line_items.fields.{self.line_items.product_field}", "revloop sets the product")
            )
        stage_fields = {self.stages.pipeline_field, self.stages.stage_field}
        problems += [(f"fields.{name}", "set by [stages]") for name in self.fields if name in stage_fields]
        for section, fields in (("line_items", self.line_items.fields), ("products", self.products.fields)):
            problems += [
                (f"{section}.fields.{name}.conflict", KEEPS_NO_CRM_EDITS[section])
                for name, field in fields.items()
                if field.conflict_rule in (Conflict.TARGET_WINS, Conflict.TARGET_WINS_UNLESS_BLANK)
            ]
        return problems


KEEPS_NO_CRM_EDITS = {
    "line_items": "line items follow their opportunity: use source_wins or do_not_sync",
    "products": "product fields are written only when revloop creates a product: use source_wins",
}
