"""The structure of a mapping file (version 1) as pydantic models; semantics are checked in load.py.

Models only describe shape: which keys exist, their types, and which combinations are allowed
inside one table. Checks that need the whole file (unknown names in templates and rules, unknown
transforms) live in :mod:`connector.mapping.load`, which reports every problem at once.
"""

from __future__ import annotations

import math
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StrictBool, model_validator


def _scalar(value: Any) -> str | int | float | bool:
    if not isinstance(value, str | int | float | bool):
        raise ValueError("expected a string, number or boolean")
    return value


def _number(value: Any) -> int | float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValueError("expected a number")
    return value


def _transform_step(value: Any) -> str | dict[str, Any]:
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and len(value) == 1:
        return value
    raise ValueError('expected a transform name ("trim") or a one-key table ({ truncate = 80 })')


Scalar = Annotated[Any, AfterValidator(_scalar)]
"""A TOML scalar a mapping may write as a constant, default or value-map entry."""
Number = Annotated[Any, AfterValidator(_number)]
TransformStep = Annotated[Any, AfterValidator(_transform_step)]

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
"""Names the flow provides at run time; mappings may use them in ``from``, templates and rules.

Every metric name is a context name too: the flow passes the computed metrics in the same context.
"""

ACTIVITY_KINDS: tuple[str, ...] = ("page_view", "form_fill", "link_click", "email_open", "email_click")
"""Activity kinds a metric may count (the ``kind`` of :class:`connector.records.Activity`)."""

MATCH_RULES: tuple[str, ...] = ("email", "company_name", "phone")
"""Identity rules ``[match] order`` may list, in the default order."""


class Conflict(StrEnum):
    """Whose edits win when both systems hold a value, named by system as in the handoff direction."""

    MA_WINS = "ma_wins"
    SFA_WINS = "sfa_wins"
    SFA_WINS_UNLESS_BLANK = "sfa_wins_unless_blank"
    DO_NOT_SYNC = "do_not_sync"


class Unmapped(StrEnum):
    """What ``map`` does with a value that is not one of its keys."""

    ERROR = "error"
    KEEP = "keep"
    BLANK = "blank"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceSpec(_Strict):
    object: str = Field(min_length=1)
    key: str = Field(min_length=1)
    fields: tuple[str, ...] = ()
    campaign_field: str | None = Field(default=None, min_length=1)
    """The source field naming the campaign that brought the person in (the ``source_campaign`` context)."""


class TargetSpec(_Strict):
    object: str = Field(min_length=1)
    upsert_key: str = Field(min_length=1)
    contact_object: str | None = None
    contact_upsert_key: str | None = None
    account_field: str | None = None
    options: dict[str, Scalar] = Field(default_factory=dict)
    key_prefix: str = Field(default="", max_length=20)
    """Prepended to the source id in the upsert key, so two MAs' ids (HubSpot 5000, Marketo 5000)
    never land on one target record when both flows use the same external-id field."""

    @model_validator(mode="after")
    def _contact_routing_is_complete(self) -> TargetSpec:
        routing = (self.contact_object, self.contact_upsert_key, self.account_field)
        if any(routing) and not all(routing):
            raise ValueError(
                "contact_object, contact_upsert_key and account_field go together: set all three"
            )
        return self


class QualifySpec(_Strict):
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


class MetricSpec(_Strict):
    activity: Literal["page_view", "form_fill", "link_click", "email_open", "email_click"] | None = None
    contains: str | None = None
    property: str | None = Field(default=None, min_length=1)

    @model_validator(mode="after")
    def _one_source(self) -> MetricSpec:
        if (self.activity is None) == (self.property is None):
            raise ValueError("set exactly one of activity or property")
        if self.contains is not None and self.activity is None:
            raise ValueError("contains filters activities: it needs activity")
        return self


class MatchSpec(_Strict):
    order: tuple[Literal["email", "company_name", "phone"], ...] = MATCH_RULES
    region: str = "JP"
    route_to_contact_when_customer: StrictBool = False

    @model_validator(mode="after")
    def _order_is_a_set(self) -> MatchSpec:
        if not self.order:
            raise ValueError("order needs at least one rule")
        if len(set(self.order)) != len(self.order):
            raise ValueError("order lists a rule twice")
        return self


class FieldSpec(_Strict):
    """One target field: where its value comes from and how it is shaped and protected."""

    from_: str | None = Field(default=None, alias="from", min_length=1)
    value: Scalar | None = None
    template: str | None = None
    transform: tuple[TransformStep, ...] = ()
    map: dict[str, Scalar] | None = None
    unmapped: Unmapped = Unmapped.ERROR
    default: Scalar | None = None
    required: StrictBool = False
    conflict: Conflict | None = None

    @model_validator(mode="after")
    def _one_origin(self) -> FieldSpec:
        origins = [name for name in ("from_", "value", "template") if getattr(self, name) is not None]
        if len(origins) != 1:
            raise ValueError("set exactly one of from, value or template")
        if self.map is None and "unmapped" in self.model_fields_set:
            raise ValueError("unmapped only applies together with map")
        return self

    @property
    def origin(self) -> Literal["from", "value", "template"]:
        if self.from_ is not None:
            return "from"
        return "value" if self.value is not None else "template"


class WritebackSpec(_Strict):
    key: str = Field(min_length=1)
    fields: dict[str, FieldSpec] = Field(min_length=1)


class TaskSpec(_Strict):
    """A follow-up Task for the record's owner, created once when revloop first links a person."""

    object: str = Field(default="Task", min_length=1)
    upsert_key: str = Field(min_length=1)
    """External-id field on the Task that makes the create idempotent (one Task per person and flow)."""
    due_in_days: int = Field(default=1, ge=0, le=365)
    on: Literal["created", "linked", "both"] = "both"
    """When: revloop created the record, linked an existing one, or both."""
    fields: dict[str, FieldSpec] = Field(min_length=1)


class MappingSpec(_Strict):
    """A whole mapping file. ``qualify`` is optional: without it every record qualifies."""

    version: Literal[1]
    description: str = ""
    source: SourceSpec
    target: TargetSpec
    qualify: QualifySpec | None = None
    metrics: dict[str, MetricSpec] = Field(default_factory=dict)
    match: MatchSpec = Field(default_factory=MatchSpec)
    fields: dict[str, FieldSpec] = Field(min_length=1)
    writeback: WritebackSpec | None = None
    task: TaskSpec | None = None


class WritePolicy(StrEnum):
    """A conflict rule resolved for one direction: when the system being written gets the mapped value."""

    ALWAYS = "always"  # the side revloop reads from wins
    UNLESS_CHANGED = (
        "unless_changed"  # on create; on update only while the target still holds what revloop wrote
    )
    ONLY_IF_BLANK = "only_if_blank"  # on create; on update only where the target is blank
    NEVER = "never"


def write_policy(conflict: Conflict | None, *, writeback: bool) -> WritePolicy:
    """Resolve ``conflict`` for the handoff (MA → SFA) or for ``[writeback]`` (SFA → MA).

    The names say whose edits win. In the handoff the MA is read, so ``ma_wins`` (the default) always
    writes. In ``[writeback]`` the MA is the system written, so ``sfa_wins`` (the default there) always
    writes and ``ma_wins`` writes once and then leaves values the MA has changed since alone.
    ``sfa_wins_unless_blank`` has no writeback meaning; the loader refuses it there.
    """
    if conflict is Conflict.DO_NOT_SYNC:
        return WritePolicy.NEVER
    if writeback:
        return WritePolicy.UNLESS_CHANGED if conflict is Conflict.MA_WINS else WritePolicy.ALWAYS
    if conflict is Conflict.SFA_WINS:
        return WritePolicy.UNLESS_CHANGED
    if conflict is Conflict.SFA_WINS_UNLESS_BLANK:
        return WritePolicy.ONLY_IF_BLANK
    return WritePolicy.ALWAYS
