"""The shared core of every mapping file as pydantic models; each flow kind extends it with its sections.

Every mapping file has ``version``, ``kind`` (from version 2), ``description``, ``[source]``,
``[target]`` and ``[fields]``. A flow kind declares a subclass of :class:`MappingSpec` that adds its
own sections and says, in class attributes, what the loader compiles in them: which tables hold
fields and in which direction they write, which keys are rules, where its metrics are, and the
names its flow provides at run time. :mod:`connector.mapping.load` compiles whatever a spec
declares, so a new kind adds sections without touching the loader.

Models only describe shape: which keys exist, their types, and which combinations are allowed
inside one table. Checks that need the whole file (unknown names in templates and rules, unknown
transforms) live in :mod:`connector.mapping.load`, which reports every problem at once.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    ValidationInfo,
    field_validator,
    model_validator,
)

from connector.mapping.compiled import Mapping
from connector.mapping.conflicts import VERSION_1_CONFLICTS, Conflict, Direction


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


def _version(value: Any) -> int:
    if type(value) is int and value in VERSIONS:  # a bool is no version, though True == 1
        return value
    raise ValueError(f"unsupported version; this revloop reads version = {' or '.join(map(str, VERSIONS))}")


def _conflict_name(value: str) -> str:
    if value not in [*Conflict, *VERSION_1_CONFLICTS]:
        raise ValueError(f"expected one of: {', '.join(Conflict)}")
    return value


VERSIONS = (1, 2)
"""Mapping formats this revloop reads. Version 2 added ``kind`` and named conflict rules by direction."""

Scalar = Annotated[Any, AfterValidator(_scalar)]
"""A TOML scalar a mapping may write as a constant, default or value-map entry."""
Number = Annotated[Any, AfterValidator(_number)]
TransformStep = Annotated[Any, AfterValidator(_transform_step)]
ConflictName = Annotated[str, AfterValidator(_conflict_name)]
"""A conflict rule as written: a :class:`Conflict`, or in version 1 files also its old name."""

ACTIVITY_KINDS: tuple[str, ...] = ("page_view", "form_fill", "link_click", "email_open", "email_click")
"""Activity kinds a metric may count (the ``kind`` of :class:`connector.records.Activity`)."""


class Unmapped(StrEnum):
    """What ``map`` does with a value that is not one of its keys."""

    ERROR = "error"
    KEEP = "keep"
    BLANK = "blank"


class Strict(BaseModel):
    """A table of a mapping file: unknown keys are errors, and a loaded spec never changes."""

    model_config = ConfigDict(extra="forbid", frozen=True)


class SourceSpec(Strict):
    object: str = Field(min_length=1)
    key: str = Field(min_length=1)
    fields: tuple[str, ...] = ()
    campaign_field: str | None = Field(default=None, min_length=1)
    """The source field naming the campaign that brought the person in (the ``source_campaign`` context)."""


class TargetSpec(Strict):
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


class MetricSpec(Strict):
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


class FieldSpec(Strict):
    """One field written: where its value comes from and how it is shaped and protected."""

    from_: str | None = Field(default=None, alias="from", min_length=1)
    value: Scalar | None = None
    template: str | None = None
    transform: tuple[TransformStep, ...] = ()
    map: dict[str, Scalar] | None = None
    unmapped: Unmapped = Unmapped.ERROR
    default: Scalar | None = None
    required: StrictBool = False
    conflict: ConflictName | None = None
    """As written in the file (a version 1 name stays as written, so messages quote the file)."""
    order: tuple[Scalar, ...] | None = Field(default=None, min_length=2)
    """The field's values from first to last (a lifecycle stage): an update never moves it back to an
    earlier value. A value the target holds outside the order does not hold it back."""

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

    @property
    def conflict_rule(self) -> Conflict | None:
        """The conflict rule, a version 1 name read as its version 2 name."""
        if self.conflict is None:
            return None
        return VERSION_1_CONFLICTS.get(self.conflict) or Conflict(self.conflict)


@dataclass(frozen=True, slots=True)
class FieldSection:
    """Where a spec keeps a table of fields (``"writeback.fields"``: ``[writeback.fields.<name>]``)."""

    key_path: str
    direction: Direction

    @property
    def table(self) -> str:
        """The section the fields belong to, as a reader names it (``writeback``)."""
        return self.key_path.split(".")[0]


class MappingSpec(Strict):
    """The core of a mapping file. A flow kind subclasses it with its sections and declarations."""

    for_kind: ClassVar[str | None] = None
    """The ``kind`` this spec reads; a file naming another kind is refused."""
    field_sections: ClassVar[tuple[FieldSection, ...]] = (FieldSection("fields", Direction.TO_TARGET),)
    """Every table of fields, ``[fields]`` first."""
    context_names: ClassVar[tuple[str, ...]] = ()
    """Names the flow provides at run time; mappings may use them in ``from``, templates and rules.
    Every metric name is a context name too: the flow passes computed metrics in the same context."""
    rule_keys: ClassVar[tuple[str, ...]] = ()
    """Key paths of CEL rules (``"qualify.rule"``), compiled at load and checked for unknown names."""
    metrics_key: ClassVar[str | None] = None
    """Key path of the ``{name: MetricSpec}`` table, if the kind computes metrics."""
    source_field_keys: ClassVar[tuple[str, ...]] = ()
    """Key paths naming one more source field the flow reads (``"qualify.score_field"``)."""
    compiled_as: ClassVar[type[Mapping]] = Mapping
    """The compiled form; a kind may subclass :class:`Mapping` to name its sections."""

    version: Annotated[Any, AfterValidator(_version)]
    kind: str | None = Field(default=None, min_length=1, validate_default=True)
    description: str = ""
    source: SourceSpec
    target: TargetSpec
    fields: dict[str, FieldSpec] = Field(min_length=1)

    @field_validator("kind")
    @classmethod
    def _kind_fits(cls, kind: str | None, info: ValidationInfo) -> str | None:
        version = info.data.get("version")  # absent when the version itself was refused
        example = f' (kind = "{cls.for_kind}")' if cls.for_kind else ""
        if kind is None and version is not None and version >= 2:
            raise ValueError(f"required from version 2 on: the flow kind this mapping is for{example}")
        if kind is not None and cls.for_kind is not None and kind != cls.for_kind:
            raise ValueError(f"this file is read as a {cls.for_kind!r} mapping")
        return kind

    def value_at(self, key_path: str) -> Any:
        """The value at a dotted key path (``"qualify.rule"``); None when a table on the way is absent."""
        value: Any = self
        for name in key_path.split("."):
            value = getattr(value, name, None)
            if value is None:
                return None
        return value

    def metric_specs(self) -> dict[str, MetricSpec]:
        """The metrics by name: the table at ``metrics_key``, or none."""
        return (self.value_at(self.metrics_key) if self.metrics_key else None) or {}

    def kind_problems(self) -> list[tuple[str, str]]:
        """(key path, message) for checks a kind's sections need beyond their own tables."""
        return []

    def kind_warnings(self) -> list[tuple[str, str]]:
        """(key path, message) for keys a kind still reads but has replaced: warned about at load."""
        return []
