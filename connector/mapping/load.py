"""Load mapping files: TOML → validated spec → compiled :class:`Mapping`, reporting every problem at once.

Every problem names the file and the key path (``mappings/handoff/x.toml: fields.Phone.transform[0]:
unknown transform 'phone164'; known: ...``). Structural problems (unknown keys, wrong types) are found
first; the names used by templates and rules are checked once the structure is right.

The caller passes the spec class of the flow kind (a subclass of :class:`MappingSpec`); the compiler
works from what that class declares, so it knows no kind's sections by name.
"""

from __future__ import annotations

import logging
import tomllib
from collections.abc import Iterable
from collections.abc import Mapping as Table
from pathlib import Path
from types import MappingProxyType
from typing import Any

from pydantic import ValidationError

from connector.errors import MappingError, RuleError
from connector.mapping import spec as s
from connector.mapping.compiled import CompiledField, Mapping
from connector.mapping.conflicts import VERSION_1_CONFLICTS, Conflict, Direction, write_policy
from connector.mapping.rules import Rule, RuleNames, compile_rule
from connector.mapping.template import Template, TemplateSyntaxError, parse_template
from connector.mapping.transforms import Transform, TransformSpecError, compile_step
from connector.validation import describe_errors

log = logging.getLogger(__name__)


def load_mapping(path: str | Path, *, spec: type[s.MappingSpec]) -> Mapping:
    """Read and compile one mapping file as ``spec``; MappingError (or RuleError) lists every problem."""
    return build_mapping(read_mapping_data(path), source=str(path), spec=spec)


def read_mapping_data(path: str | Path) -> Any:
    """A mapping file's TOML as data, not yet validated (a flow reads its ``kind`` to choose the spec)."""
    shown = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise MappingError(f"{shown}: cannot read the file: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise MappingError(f"{shown}: not UTF-8 text (byte {exc.start})") from None
    return _parse_toml(text, source=shown)


def parse_mapping(text: str, *, source: str, spec: type[s.MappingSpec]) -> Mapping:
    """Compile mapping TOML ``text``; ``source`` names it in messages (normally the file path)."""
    return build_mapping(_parse_toml(text, source=source), source=source, spec=spec)


def build_mapping(data: Any, *, source: str, spec: type[s.MappingSpec]) -> Mapping:
    """Compile already-parsed mapping data (a dict as tomllib returns it) as ``spec``."""
    try:
        validated = spec.model_validate(data)
    except ValidationError as exc:
        problems = describe_errors(exc, source=source, model=spec)
        raise MappingError(problems[0], problems=problems) from None
    return _Compiler(validated, source).compile()


def _parse_toml(text: str, *, source: str) -> Any:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"{source}: TOML syntax error: {exc}") from None


class _Compiler:
    """Turns a structurally valid spec into a Mapping, collecting every semantic problem."""

    def __init__(self, spec: s.MappingSpec, source: str) -> None:
        self.spec = spec
        self.source = source
        self.problems: list[str] = []
        self.rule_problems: list[str] = []
        self.metrics = spec.metric_specs()
        self.kind_context = frozenset(spec.context_names)
        self.context_names = self.kind_context | frozenset(self.metrics)
        self.source_fields = _declared_source_fields(spec, self.metrics, self.context_names)

    def compile(self) -> Mapping:
        self._check_metrics()
        for key_path, message in self.spec.kind_problems():
            self._problem(key_path, message)
        for key_path, message in self.spec.kind_warnings():
            log.warning("%s: %s: %s", self.source, key_path, message)
        sections = {section.key_path: self._section(section) for section in self.spec.field_sections}
        rules = self._rules()
        if self.problems:
            problems = self.problems + self.rule_problems
            raise MappingError(problems[0], problems=problems)
        if self.rule_problems:
            raise RuleError(self.rule_problems[0], problems=self.rule_problems)
        return self.spec.compiled_as(
            self.source,
            self.spec,
            MappingProxyType(sections),
            MappingProxyType(rules),
            MappingProxyType(dict(self.metrics)),
            self.source_fields,
            self.context_names,
        )

    def _problem(self, key_path: str, message: str) -> None:
        self.problems.append(f"{self.source}: {key_path}: {message}")

    def _check_metrics(self) -> None:
        for name in self.metrics:
            key_path = f"{self.spec.metrics_key}.{name}"
            if not name.isidentifier() or not name.isascii():
                self._problem(key_path, "a metric name must be a plain name (letters, digits, _)")
            elif name in self.kind_context:
                self._problem(key_path, f"{name!r} is a context name; choose another metric name")

    def _section(self, section: s.FieldSection) -> tuple[CompiledField, ...]:
        fields: dict[str, s.FieldSpec] = self.spec.value_at(section.key_path) or {}
        return tuple(self._field(name, field, section) for name, field in fields.items())

    def _field(self, name: str, field: s.FieldSpec, section: s.FieldSection) -> CompiledField:
        key_path = f"{section.key_path}.{name}"
        transforms = tuple(self._transforms(field, key_path))
        template = self._template(field, key_path, section.direction)
        if section.direction is Direction.TO_SOURCE:
            self._check_origin_written_back(field, key_path, section)
        self._check_conflict_name(field, key_path)
        policy = write_policy(field.conflict_rule, section.direction)
        return CompiledField(name, field, transforms, template, policy, key_path)

    def _transforms(self, field: s.FieldSpec, key_path: str) -> Iterable[Transform]:
        for index, step in enumerate(field.transform):
            try:
                yield compile_step(step)
            except TransformSpecError as exc:
                self._problem(f"{key_path}.transform[{index}]", str(exc))

    def _template(self, field: s.FieldSpec, key_path: str, direction: Direction) -> Template | None:
        if field.template is None:
            return None
        try:
            template = parse_template(field.template)
        except TemplateSyntaxError as exc:
            self._problem(f"{key_path}.template", str(exc))
            return None
        known = self.context_names
        if direction is Direction.TO_TARGET:
            known = known | self.source_fields
        for name in sorted(template.names - known):
            self._problem(f"{key_path}.template", f"unknown name {{{name}}}; known names: {_listing(known)}")
        return template

    def _check_origin_written_back(self, field: s.FieldSpec, key_path: str, section: s.FieldSection) -> None:
        """Fields written back to the source take their values from the run's context, not from a record."""
        if field.from_ is not None and field.from_ not in self.context_names:
            self._problem(
                f"{key_path}.from",
                f"unknown name {field.from_!r}; [{section.table}] values come from the context: "
                f"{_listing(self.context_names)}",
            )
        if field.conflict_rule is Conflict.TARGET_WINS_UNLESS_BLANK:
            self._problem(
                f"{key_path}.conflict",
                f"{field.conflict} has no meaning in [{section.table}]; use target_wins (always write), "
                "source_wins (write once, then keep the source's edits) or do_not_sync",
            )

    def _check_conflict_name(self, field: s.FieldSpec, key_path: str) -> None:
        """A version 1 name: a deprecation warning in a version 1 file, a problem in a later one."""
        renamed = VERSION_1_CONFLICTS.get(field.conflict or "")
        if renamed is None:
            return
        if self.spec.version == 1:
            log.warning(
                "%s: %s.conflict: %r is deprecated; write %r (conflict rules are named by direction: "
                "source = [source], target = [target])",
                self.source, key_path, field.conflict, renamed.value,
            )  # fmt: skip
        else:
            self._problem(
                f"{key_path}.conflict",
                f"{field.conflict!r} is a version 1 name; from version 2 on it is {renamed.value!r}",
            )

    def _rules(self) -> dict[str, Rule]:
        names = RuleNames(frozenset(self.metrics), self.kind_context, self.source_fields)
        rules: dict[str, Rule] = {}
        for key_path in self.spec.rule_keys:
            expression = self.spec.value_at(key_path)
            if expression is None:
                continue
            try:
                rules[key_path] = compile_rule(expression, where=f"{self.source}: {key_path}", names=names)
            except RuleError as exc:
                self.rule_problems.extend(exc.problems)
        return rules


def _declared_source_fields(
    spec: s.MappingSpec, metrics: Table[str, s.MetricSpec], context_names: frozenset[str]
) -> frozenset[str]:
    names = {spec.source.key, *spec.source.fields}
    if spec.source.campaign_field is not None:
        names.add(spec.source.campaign_field)
    for section in spec.field_sections:
        if section.direction is Direction.TO_TARGET:
            fields: dict[str, s.FieldSpec] = spec.value_at(section.key_path) or {}
            names.update(field.from_ for field in fields.values() if field.from_ is not None)
    names.update(metric.property for metric in metrics.values() if metric.property is not None)
    names.update(filter(None, map(spec.value_at, spec.source_field_keys)))
    return frozenset(names - context_names)


def _listing(names: Iterable[str]) -> str:
    return ", ".join(sorted(names)) or "(none)"
