"""The feedback's mapping file: the shared core plus ``[opportunity]``, ``[order]``, ``[nurture]`` and
``[match]``.

In the feedback the source is Salesforce (the SFA) and the target the MA, so ``source_wins`` means "sales'
value in Salesforce wins" and ``target_wins`` "marketers' edits in the MA win". Values come from the
context names below (sales' view of one person, assembled from the Lead, the Contact it became, the
person's open or latest Opportunity and its owner) and from declared fields of the person's record.
"""

from __future__ import annotations

from typing import Literal

import phonenumbers
from pydantic import Field, StrictBool, model_validator

from connector.mapping import CompiledField, Direction, FieldSection, Mapping, MappingSpec, Strict
from connector.mapping.spec import FieldSpec

CONTEXT_NAMES: tuple[str, ...] = (
    "salesforce_id",  # the person's Salesforce record: the Contact once converted, else the Lead
    "salesforce_object",  # "Lead" or "Contact"
    "lead_id",  # the Lead (blank for a Contact sales created directly)
    "lead_status",  # the Lead's Status ("Closed - Converted" once converted)
    "is_converted",  # true once the Lead is converted
    "converted_contact_id",  # the Contact, Account and Opportunity the conversion created
    "converted_account_id",
    "converted_opportunity_id",
    "contact_id",  # the Contact (blank while the person is an unconverted Lead)
    "account_id",  # the Contact's Account
    "owner_id",  # the Salesforce user who owns the person's record
    "owner_email",  # that user's email
    "ma_owner_id",  # the MA's owner with that email (HubSpot owners); blank when there is none
    "opportunity_id",  # the person's open Opportunity (the latest one when none is open)
    "opportunity_stage",  # its StageName
    "opportunity_is_closed",  # true / false
    "opportunity_is_won",  # true / false
    "disqualified",  # true when lead_status is one of [nurture] lead_statuses
)
"""Names the feedback provides per person; mappings may use them in ``from`` and templates."""

OPPORTUNITY_NAMES = frozenset(name for name in CONTEXT_NAMES if name.startswith("opportunity_"))
LEAD_OBJECT, LEAD_KEY = "Lead", "Id"


class OpportunitySpec(Strict):
    """Fields written for a person with an opportunity; they win over ``[fields]`` (an ordered field
    takes the further of the two values)."""

    fields: dict[str, FieldSpec] = Field(min_length=1)


class OrderSpec(Strict):
    """An ordered field (the lifecycle stage): its values from first to last."""

    values: tuple[str, ...] = Field(min_length=2)
    backwards: StrictBool = False
    """False (default): never write a value before the one the MA holds. [nurture] fields may."""
    clear_to_move_back: StrictBool = False
    """True: a write that moves the field back first clears it, in a call of its own. HubSpot keeps a
    lifecycle stage set to an earlier one unless the property is blank first."""

    @model_validator(mode="after")
    def _values_are_a_set(self) -> OrderSpec:
        if len(set(self.values)) != len(self.values):
            raise ValueError("values lists a value twice")
        return self


class NurtureSpec(Strict):
    """People sales disqualified go back to nurture: fields to set and/or a static list to join."""

    lead_statuses: tuple[str, ...] = Field(min_length=1)
    list: str | None = Field(default=None, min_length=1)
    fields: dict[str, FieldSpec] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _does_something(self) -> NurtureSpec:
        if self.list is None and not self.fields:
            raise ValueError("set list, fields, or both: what happens to a disqualified person")
        return self


class IdentityFields(Strict):
    """The MA's fields holding what people are matched by."""

    email: str = Field(min_length=1)
    first_name: str | None = Field(default=None, min_length=1)
    last_name: str | None = Field(default=None, min_length=1)
    company: str | None = Field(default=None, min_length=1)
    phone: str | None = Field(default=None, min_length=1)

    def names(self) -> dict[str, str]:
        """Identity part (email, first_name, ...) → MA field, for the parts the MA has."""
        return {part: name for part, name in self.model_dump().items() if name}


class MatchSpec(Strict):
    unlinked: Literal["skip", "match"] = "skip"
    """People revloop has not linked (sales created them in Salesforce): "skip" them, or "match" them
    to MA records by the handoff's identity rules (only a sure match links; feedback never creates)."""
    region: str = "JP"
    fields: IdentityFields | None = None
    """The MA fields to match by; required with unlinked = "match"."""

    @model_validator(mode="after")
    def _match_needs_fields(self) -> MatchSpec:
        if self.unlinked == "match" and self.fields is None:
            raise ValueError(
                'unlinked = "match" needs fields = { email = "...", ... }: the MA fields to match by'
            )
        return self


class FeedbackMapping(Mapping):
    """A compiled feedback mapping and its tables of fields by name."""

    __slots__ = ()
    spec: FeedbackMappingSpec

    @property
    def opportunity_fields(self) -> tuple[CompiledField, ...]:
        return self.section("opportunity.fields")

    @property
    def nurture_fields(self) -> tuple[CompiledField, ...]:
        return self.section("nurture.fields")

    def written_names(self) -> set[str]:
        """Every MA field some table of this mapping writes."""
        return {f.name for f in (*self.fields, *self.opportunity_fields, *self.nurture_fields)}


class FeedbackMappingSpec(MappingSpec):
    """A feedback mapping file: Salesforce people (``[source] object = "Lead"``) → the MA's records."""

    for_kind = "feedback"
    field_sections = (
        *MappingSpec.field_sections,
        FieldSection("opportunity.fields", Direction.TO_TARGET),
        FieldSection("nurture.fields", Direction.TO_TARGET),
    )
    context_names = CONTEXT_NAMES
    compiled_as = FeedbackMapping

    opportunity: OpportunitySpec | None = None
    order: dict[str, OrderSpec] = Field(default_factory=dict)
    nurture: NurtureSpec | None = None
    match: MatchSpec = Field(default_factory=MatchSpec)

    def kind_problems(self) -> list[tuple[str, str]]:
        problems = []
        if (self.source.object, self.source.key) != (LEAD_OBJECT, LEAD_KEY):
            problems.append(("source", 'the feedback reads Salesforce people: object = "Lead", key = "Id"'))
        if self.match.region not in phonenumbers.SUPPORTED_REGIONS:
            problems.append(("match.region", f"unknown region {self.match.region!r}; use e.g. 'JP' or 'US'"))
        problems += [  # compose() reads [order.X]: a field-level order here would be silently ignored
            (f"{path}.{name}.order", f"a feedback mapping orders a field by [order.{name}] values = [...]")
            for path, table in self._tables().items()
            for name, spec in table.items()
            if spec.order is not None
        ]
        written = self._written()
        for name, order in self.order.items():
            if name not in written:
                problems.append((f"order.{name}", f"no table of fields writes {name!r}"))
            problems += self._values_outside(name, order)
        return problems

    def _tables(self) -> dict[str, dict[str, FieldSpec]]:
        return {
            "fields": self.fields,
            "opportunity.fields": self.opportunity.fields if self.opportunity else {},
            "nurture.fields": self.nurture.fields if self.nurture else {},
        }

    def _written(self) -> set[str]:
        return {name for table in self._tables().values() for name in table}

    def _values_outside(self, name: str, order: OrderSpec) -> list[tuple[str, str]]:
        """Constants that [fields] and [opportunity.fields] write to an ordered field it does not know."""
        problems = []
        tables = self._tables()
        del tables["nurture.fields"]  # [nurture.fields] may move the field anywhere, outside the order too
        for path, table in tables.items():
            spec = table.get(name)
            if spec is None:
                continue
            constants = [spec.value, spec.default, *(spec.map or {}).values()]
            unknown = sorted({str(v) for v in constants if v is not None} - set(order.values))
            if unknown:
                problems.append((f"{path}.{name}", f"{unknown} not in order.{name}.values"))
        return problems
