"""The handoff's mapping file: the shared core plus ``[qualify]``, ``[metrics]``, ``[match]``,
``[writeback]`` and ``[task]``.

In the handoff the source is the MA and the target the SFA, so ``source_wins`` means "the MA's value
wins" and ``target_wins`` "sales' edits in Salesforce win". ``[writeback]`` writes back to the MA;
``[task]`` creates a follow-up Task in the SFA.
"""

from __future__ import annotations

import re
from dataclasses import replace
from typing import Annotated, Literal

import phonenumbers
from pydantic import AfterValidator, Field, StrictBool, model_validator

from connector.mapping import (
    CompiledField,
    Direction,
    FieldSection,
    Mapping,
    MappingSpec,
    MetricSpec,
    Strict,
)
from connector.mapping.rules import Rule
from connector.mapping.spec import FieldSpec, Number
from connector.matching import DEFAULT_SETTINGS, MatchSettings

CONTEXT_NAMES: tuple[str, ...] = (
    "qualification",  # why the record qualified, e.g. "score 85 ≥ 80"
    "engagement",  # the pages and assets the person engaged with
    "source_campaign",  # the campaign that brought the person in
    "source_id",  # the source record's id
    "target_id",  # the target record's id (known after the write, for writeback)
    "target_object",  # the object written: target.object, or target.contact_object when routed
    "link_status",  # the state of the source ↔ target link ("linked", "created", ...)
    "account_id",  # the customer Account a person is routed to (fills target.account_field)
)
"""Names the handoff provides at run time; mappings may use them in ``from``, templates and rules."""

_SEPARATORS = re.compile(r"[.\-_]")


def _mailbox_name(value: str) -> str:
    """A mailbox name as the engine compares it: lower case, without dots, hyphens or underscores."""
    name = _SEPARATORS.sub("", value.strip().lower())
    if not name or "@" in name:
        raise ValueError("expected a mailbox name, the part before @ (e.g. 'eigyo' for eigyo@...)")
    return name


def _domain_name(value: str) -> str:
    domain = value.strip().lower().lstrip("@")
    if not domain or "@" in domain or " " in domain:
        raise ValueError("expected a domain, the part after @ (e.g. 'example.co.jp')")
    return domain


MailboxName = Annotated[str, AfterValidator(_mailbox_name)]
DomainName = Annotated[str, AfterValidator(_domain_name)]


class QualifySpec(Strict):
    score_field: str | None = Field(default=None, min_length=1)
    threshold: Number | None = None
    rule: str | None = None

    @model_validator(mode="after")
    def _has_a_criterion(self) -> QualifySpec:
        if (self.score_field is None) != (self.threshold is None):
            raise ValueError("score_field and threshold go together: set both or neither")
        if self.score_field is None and self.rule is None:
            raise ValueError("set score_field and threshold, or rule, or both")
        return self


class MatchSpec(Strict):
    """How the handoff finds a person in the target before creating one (名寄せ): the identity engine's
    settings. Every candidate's evidence is weighed (email, name, company, phone); nothing is tried in
    an order, and a doubtful match goes to the review queue instead of being linked."""

    region: str = "JP"
    """Phone numbers without a country code are read as this region's numbers."""
    route_to_contact_when_customer: StrictBool = False
    phone_evidence: StrictBool | None = None
    """Whether phone numbers count as evidence (default true). A phone alone never links anyone."""
    role_mailboxes: tuple[MailboxName, ...] = ()
    """More shared or department mailboxes (the part before @), added to the built-in list."""
    placeholder_mailboxes: tuple[MailboxName, ...] = ()
    """More made-up mailboxes typed to get past a form, added to the built-in list."""
    placeholder_domains: tuple[DomainName, ...] = ()
    """More domains that never receive mail, added to the built-in list."""
    order: tuple[Literal["email", "company_name", "phone"], ...] | None = None
    """Version 1 only, deprecated: the old rule order. Only whether it lists "phone" still counts."""

    @model_validator(mode="after")
    def _order_is_a_set(self) -> MatchSpec:
        if self.order is None:
            return self
        if not self.order:
            raise ValueError("order needs at least one rule")
        if len(set(self.order)) != len(self.order):
            raise ValueError("order lists a rule twice")
        return self

    @property
    def uses_phone(self) -> bool:
        """``phone_evidence`` as set; else, from a version 1 ``order``, whether it lists "phone"."""
        if self.phone_evidence is not None:
            return self.phone_evidence
        return self.order is None or "phone" in self.order

    def settings(self) -> MatchSettings:
        """The identity engine's settings: the built-in lists extended with this section's."""
        extended = DEFAULT_SETTINGS.extended(
            role_mailboxes=self.role_mailboxes,
            placeholder_mailboxes=self.placeholder_mailboxes,
            placeholder_domains=self.placeholder_domains,
        )
        return replace(extended, phone_evidence=self.uses_phone)


class WritebackSpec(Strict):
    key: str = Field(min_length=1)
    fields: dict[str, FieldSpec] = Field(min_length=1)


class TaskSpec(Strict):
    """A follow-up Task for the record's owner, created once when revloop first links a person."""

    object: str = Field(default="Task", min_length=1)
    upsert_key: str = Field(min_length=1)
    """External-id field on the Task that makes the create idempotent (one Task per person and flow)."""
    due_in_days: int = Field(default=1, ge=0, le=365)
    on: Literal["created", "linked", "both"] = "both"
    """When: revloop created the record, linked an existing one, or both."""
    fields: dict[str, FieldSpec] = Field(min_length=1)


class HandoffMapping(Mapping):
    """A compiled handoff mapping: its qualification rule and its tables of fields by name."""

    __slots__ = ()
    spec: HandoffMappingSpec

    @property
    def rule(self) -> Rule | None:
        """``[qualify] rule``, compiled; None without one."""
        return self.rules.get("qualify.rule")

    @property
    def writeback_fields(self) -> tuple[CompiledField, ...]:
        return self.section("writeback.fields")

    @property
    def task_fields(self) -> tuple[CompiledField, ...]:
        return self.section("task.fields")


class HandoffMappingSpec(MappingSpec):
    """A handoff mapping file. ``qualify`` is optional: without it every record qualifies."""

    for_kind = "handoff"
    field_sections = (
        *MappingSpec.field_sections,
        FieldSection("writeback.fields", Direction.TO_SOURCE),
        FieldSection("task.fields", Direction.TO_TARGET),
    )
    context_names = CONTEXT_NAMES
    rule_keys = ("qualify.rule",)
    metrics_key = "metrics"
    source_field_keys = ("qualify.score_field",)
    compiled_as = HandoffMapping

    qualify: QualifySpec | None = None
    metrics: dict[str, MetricSpec] = Field(default_factory=dict)
    match: MatchSpec = Field(default_factory=MatchSpec)
    writeback: WritebackSpec | None = None
    task: TaskSpec | None = None

    def kind_problems(self) -> list[tuple[str, str]]:
        problems = []
        if self.match.order is not None and self.version >= 2:
            problems.append(("match.order", f"{_ORDER_GONE}; remove it (version 1 files still load with it)"))
        if self.match.region not in phonenumbers.SUPPORTED_REGIONS:
            problems.append(("match.region", f"unknown region {self.match.region!r}; use e.g. 'JP' or 'US'"))
        if self.match.route_to_contact_when_customer and self.target.contact_object is None:
            problems.append(
                (
                    "match.route_to_contact_when_customer",
                    "needs target.contact_object, target.contact_upsert_key and target.account_field",
                )
            )
        return problems

    def kind_warnings(self) -> list[tuple[str, str]]:
        if self.match.order is None or self.version >= 2:
            return []
        phone = "true" if self.match.uses_phone else "false"
        return [("match.order", f"deprecated: {_ORDER_GONE}; this file reads as phone_evidence = {phone}")]


_ORDER_GONE = (
    "rule order no longer decides (every candidate's evidence is weighed, doubtful matches go to review); "
    "phone_evidence = true|false says whether phone numbers count"
)
