"""Load mapping files: TOML → validated spec → compiled :class:`Mapping`, reporting every problem at once.

Every problem names the file and the key path (``mappings/handoff/x.toml: fields.Phone.transform[0]:
unknown transform 'phone164'; known: ...``). Structural problems (unknown keys, wrong types) are found
first; the names used by templates and rules are checked once the structure is right.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import phonenumbers
from pydantic import ValidationError

from connector.errors import MappingError, RuleError
from connector.mapping import spec as s
from connector.mapping.rules import Rule, RuleNames, compile_rule
from connector.mapping.template import Template, TemplateSyntaxError, parse_template
from connector.mapping.transforms import Transform, TransformSpecError, compile_step


@dataclass(frozen=True, slots=True)
class CompiledField:
    """One ``[fields.X]`` or ``[writeback.fields.X]`` entry, ready to apply."""

    name: str
    spec: s.FieldSpec
    transforms: tuple[Transform, ...]
    template: Template | None
    policy: s.WritePolicy
    key_path: str  # e.g. "fields.Phone", for messages


@dataclass(frozen=True, slots=True)
class Mapping:
    """A loaded, validated mapping file. Immutable; share it freely between threads and records."""

    path: str
    spec: s.MappingSpec
    rule: Rule | None
    fields: tuple[CompiledField, ...]
    writeback_fields: tuple[CompiledField, ...]
    task_fields: tuple[CompiledField, ...]
    source_fields: frozenset[
        str
    ]  # declared source fields: from names, templates, [source] fields, key, score
    metric_names: frozenset[str]

    @property
    def name(self) -> str:
        return Path(self.path).stem


def load_mapping(path: str | Path) -> Mapping:
    """Read and compile one mapping file; raise MappingError (or RuleError) listing every problem."""
    shown = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise MappingError(f"{shown}: cannot read the file: {exc.strerror or exc}") from None
    except UnicodeDecodeError as exc:
        raise MappingError(f"{shown}: not UTF-8 text (byte {exc.start})") from None
    return parse_mapping(text, source=shown)


def load_all(root: str | Path) -> dict[str, Mapping]:
    """Load every ``*.toml`` under ``root``, keyed by path; one MappingError lists every file's problems."""
    mappings: dict[str, Mapping] = {}
    problems: list[str] = []
    for path in sorted(Path(root).rglob("*.toml")):
        try:
            mappings[str(path)] = load_mapping(path)
        except (MappingError, RuleError) as exc:
            problems.extend(exc.problems)
    if problems:
        raise MappingError(problems[0], problems=problems)
    return mappings


def parse_mapping(text: str, *, source: str) -> Mapping:
    """Compile mapping TOML ``text``; ``source`` names it in messages (normally the file path)."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise MappingError(f"{source}: TOML syntax error: {exc}") from None
    return build_mapping(data, source=source)


def build_mapping(data: Any, *, source: str) -> Mapping:
    """Compile already-parsed mapping data (a dict as tomllib returns it)."""
    try:
        spec = s.MappingSpec.model_validate(data)
    except ValidationError as exc:
        problems = [f"{source}: {problem}" for problem in _structure_problems(exc)]
        raise MappingError(problems[0], problems=problems) from None
    return _Compiler(spec, source).compile()


class _Compiler:
    """Turns a structurally valid spec into a Mapping, collecting every semantic problem."""

    def __init__(self, spec: s.MappingSpec, source: str) -> None:
        self.spec = spec
        self.source = source
        self.problems: list[str] = []
        self.rule_problems: list[str] = []
        self.metric_names = frozenset(spec.metrics)
        self.context_names = frozenset(s.CONTEXT_NAMES) | self.metric_names
        self.source_fields = _declared_source_fields(spec, self.context_names)

    def compile(self) -> Mapping:
        self._check_metrics()
        self._check_match()
        fields = tuple(
            self._field(name, field, "fields", writeback=False) for name, field in self.spec.fields.items()
        )
        writeback = self.spec.writeback
        writeback_fields = tuple(
            self._field(name, field, "writeback.fields", writeback=True)
            for name, field in (writeback.fields.items() if writeback else ())
        )
        task = self.spec.task
        task_fields = tuple(
            self._field(name, field, "task.fields", writeback=False)
            for name, field in (task.fields.items() if task else ())
        )
        rule = self._rule()
        if self.problems:
            problems = self.problems + self.rule_problems
            raise MappingError(problems[0], problems=problems)
        if self.rule_problems:
            raise RuleError(self.rule_problems[0], problems=self.rule_problems)
        return Mapping(
            self.source,
            self.spec,
            rule,
            fields,
            writeback_fields,
            task_fields,
            self.source_fields,
            self.metric_names,
        )

    def _problem(self, key_path: str, message: str) -> None:
        self.problems.append(f"{self.source}: {key_path}: {message}")

    def _check_metrics(self) -> None:
        for name in self.spec.metrics:
            if not name.isidentifier() or not name.isascii():
                self._problem(f"metrics.{name}", "a metric name must be a plain name (letters, digits, _)")
            elif name in s.CONTEXT_NAMES:
                self._problem(f"metrics.{name}", f"{name!r} is a context name; choose another metric name")

    def _check_match(self) -> None:
        if self.spec.match.region not in phonenumbers.SUPPORTED_REGIONS:
            self._problem("match.region", f"unknown region {self.spec.match.region!r}; use e.g. 'JP' or 'US'")
        if self.spec.match.route_to_contact_when_customer and self.spec.target.contact_object is None:
            self._problem(
                "match.route_to_contact_when_customer",
                "needs target.contact_object, target.contact_upsert_key and target.account_field",
            )

    def _field(self, name: str, field: s.FieldSpec, section: str, *, writeback: bool) -> CompiledField:
        key_path = f"{section}.{name}"
        transforms = tuple(self._transforms(field, key_path))
        template = self._template(field, key_path, writeback=writeback)
        if writeback:
            self._check_writeback_origin(field, key_path)
        policy = s.write_policy(field.conflict, writeback=writeback)
        return CompiledField(name, field, transforms, template, policy, key_path)

    def _transforms(self, field: s.FieldSpec, key_path: str) -> Iterable[Transform]:
        for index, step in enumerate(field.transform):
            try:
                yield compile_step(step)
            except TransformSpecError as exc:
                self._problem(f"{key_path}.transform[{index}]", str(exc))

    def _template(self, field: s.FieldSpec, key_path: str, *, writeback: bool) -> Template | None:
        if field.template is None:
            return None
        try:
            template = parse_template(field.template)
        except TemplateSyntaxError as exc:
            self._problem(f"{key_path}.template", str(exc))
            return None
        known = self.context_names if writeback else self.context_names | self.source_fields
        for name in sorted(template.names - known):
            self._problem(f"{key_path}.template", f"unknown name {{{name}}}; known names: {_listing(known)}")
        return template

    def _check_writeback_origin(self, field: s.FieldSpec, key_path: str) -> None:
        if field.from_ is not None and field.from_ not in self.context_names:
            self._problem(
                f"{key_path}.from",
                f"unknown name {field.from_!r}; writeback values come from the context: "
                f"{_listing(self.context_names)}",
            )
        if field.conflict is s.Conflict.SFA_WINS_UNLESS_BLANK:
            self._problem(
                f"{key_path}.conflict",
                "sfa_wins_unless_blank has no meaning in [writeback]; use sfa_wins (always write), "
                "ma_wins (write once, then keep the MA's edits) or do_not_sync",
            )

    def _rule(self) -> Rule | None:
        qualify = self.spec.qualify
        if qualify is None or qualify.rule is None:
            return None
        names = RuleNames(self.metric_names, frozenset(s.CONTEXT_NAMES), self.source_fields)
        try:
            return compile_rule(qualify.rule, where=f"{self.source}: qualify.rule", names=names)
        except RuleError as exc:
            self.rule_problems.extend(exc.problems)
            return None


def _declared_source_fields(spec: s.MappingSpec, context_names: frozenset[str]) -> frozenset[str]:
    names = {spec.source.key, *spec.source.fields}
    if spec.source.campaign_field is not None:
        names.add(spec.source.campaign_field)
    names.update(field.from_ for field in spec.fields.values() if field.from_ is not None)
    if spec.task is not None:
        names.update(field.from_ for field in spec.task.fields.values() if field.from_ is not None)
    names.update(metric.property for metric in spec.metrics.values() if metric.property is not None)
    if spec.qualify is not None and spec.qualify.score_field is not None:
        names.add(spec.qualify.score_field)
    return frozenset(names - context_names)


def _listing(names: Iterable[str]) -> str:
    return ", ".join(sorted(names)) or "(none)"


# ---- pydantic errors → "key.path: message"

_TABLES: dict[tuple[str, ...], type] = {
    (): s.MappingSpec,
    ("source",): s.SourceSpec,
    ("target",): s.TargetSpec,
    ("qualify",): s.QualifySpec,
    ("metrics", "*"): s.MetricSpec,
    ("match",): s.MatchSpec,
    ("fields", "*"): s.FieldSpec,
    ("writeback",): s.WritebackSpec,
    ("writeback", "fields", "*"): s.FieldSpec,
}


_EXPECTED = {
    "model_type": "expected a table",
    "dict_type": "expected a table",
    "tuple_type": "expected a list",
    "list_type": "expected a list",
    "string_type": "expected a string",
    "bool_type": "expected true or false",
}


def _structure_problems(exc: ValidationError) -> list[str]:
    problems: list[str] = []
    for error in exc.errors(include_url=False):
        loc = tuple(error["loc"])
        problem = f"{_key_path(loc)}: {_message(error, loc)}"
        if problem not in problems:
            problems.append(problem)
    return problems


def _key_path(loc: tuple[Any, ...]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(top level)"


def _message(error: Any, loc: tuple[Any, ...]) -> str:
    kind = error["type"]
    if kind == "extra_forbidden":
        return f"unknown key; allowed keys: {_allowed_keys(loc[:-1])}"
    if kind == "missing":
        return "missing required key"
    if loc == ("version",):
        return f"unsupported version {error.get('input')!r}; this revloop reads version = 1"
    if kind in _EXPECTED:
        return _EXPECTED[kind]
    return str(error["msg"]).removeprefix("Value error, ")


def _allowed_keys(loc: tuple[Any, ...]) -> str:
    for shape, model in _TABLES.items():
        if len(shape) == len(loc) and all(want in ("*", got) for want, got in zip(shape, loc, strict=True)):
            return _listing(info.alias or name for name, info in model.model_fields.items())
    return "(see the mapping format)"
