"""Qualification rules in CEL (Common Expression Language): compiled and checked at load, never eval'd.

Names a rule may use, and the values they get at evaluation:

* metric names: numbers (activity counts, or a numeric property declared under ``[metrics]``); a
  missing value is 0;
* context names (the kind's ``MappingSpec.context_names``): text, missing is "";
* declared source fields: text as the source system holds it (HubSpot sends every property as text,
  so Marketo's numbers and booleans are turned into the same text); missing is "".
  Compare a numeric property by declaring it a metric with ``property = "..."``.

So a record that lacks a property never makes a rule fail. At load the rule is also run once with
every value at its default: a rule that fails then (``leadScore >= 50`` on a text field) is refused
with a hint, instead of failing for every record later.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from connector.errors import RuleError
from connector.mapping.cel_runtime import cel
from connector.mapping.rule_limits import rule_limit_problems
from connector.mapping.template import render_text

_FUNCTIONS = frozenset(
    {
        "size", "contains", "startsWith", "endsWith", "matches", "int", "uint", "double", "string",
        "bytes", "timestamp", "duration", "type", "dyn", "getFullYear", "getMonth", "getDate",
        "getDayOfMonth", "getDayOfWeek", "getDayOfYear", "getHours", "getMinutes", "getSeconds",
        "getMilliseconds",
    }
)  # fmt: skip
"""CEL's standard functions that the runtime implements; anything else would fail on every record."""

_COMPREHENSION_VARIABLE = re.compile(r"\.\s*(?:all|exists_one|exists|map|filter)\s*\(\s*([A-Za-z_]\w*)\s*,")


_NOT_A_RULE_FAILURE = (KeyboardInterrupt, SystemExit, GeneratorExit)
"""The CEL library is native code: besides exceptions it can panic, and a panic is a BaseException
(pyo3's PanicException) that ``except Exception`` lets through. Every BaseException but these is the
rule's failure."""


class RuleEvaluationError(RuleError):
    """A rule failed on one record's values, or did not produce true or false."""


@dataclass(frozen=True, slots=True)
class RuleNames:
    """The names a rule may refer to, by kind (each kind gets its own typed default)."""

    metrics: frozenset[str]
    context: frozenset[str]
    source_fields: frozenset[str]

    @property
    def all(self) -> frozenset[str]:
        return self.metrics | self.context | self.source_fields


@dataclass(frozen=True, slots=True)
class Rule:
    """A compiled rule. ``variables`` are the names it reads; ``source`` is the expression text."""

    source: str
    variables: frozenset[str]
    names: RuleNames
    program: Any  # cel.Program: compiled once, executed per record

    def evaluate(
        self, metrics: Mapping[str, Any], context: Mapping[str, Any], fields: Mapping[str, Any]
    ) -> bool:
        """True when the rule holds for these values; RuleEvaluationError when it cannot be decided."""
        inputs = rule_inputs(self, metrics=metrics, context=context, fields=fields)
        try:
            return _execute(self.program, inputs)
        except _Undecided as exc:
            raise RuleEvaluationError(f"rule {self.source!r} cannot be decided: {exc}") from None


class _Undecided(ValueError):
    """The CEL program raised, or produced something other than true or false."""


def _execute(program: Any, inputs: dict[str, Any]) -> bool:
    try:
        result = program.execute(inputs)
    except BaseException as exc:  # TypeError, RuntimeError, ZeroDivisionError, ... or a native panic
        if isinstance(exc, _NOT_A_RULE_FAILURE):
            raise
        raise _Undecided(_first_sentence(exc)) from None
    if not isinstance(result, bool):
        raise _Undecided(f"it must give true or false, but gave {type(result).__name__} {result!r}")
    return result


def compile_rule(expression: str, *, where: str, names: RuleNames) -> Rule:
    """Compile and check ``expression``. ``where`` prefixes every message (``file: qualify.rule``).

    Raises RuleError listing every problem: syntax errors with their position, unknown names with the
    known ones, unknown functions, and failures or a non-boolean result with default values.
    """
    limits = rule_limit_problems(expression)
    if limits:
        problems = [f"{where}: {problem}" for problem in limits]
        raise RuleError(problems[0], problems=problems)
    try:
        program = cel.compile(expression)
    except BaseException as exc:  # ValueError for syntax errors; anything else (a panic) refuses it too
        if isinstance(exc, _NOT_A_RULE_FAILURE):
            raise
        problem = f"{where}: syntax error in {_shown(expression)}:\n{_syntax_detail(exc)}"
        raise RuleError(problem, problems=[problem]) from None
    problems = _unknown_names(program, expression, where=where, names=names)
    variables = frozenset(program.variables()) - _comprehension_variables(expression)
    rule = Rule(expression, variables & names.all, names, program)
    if not problems:
        problems = _default_run_problems(rule, where)
    if problems:
        raise RuleError(problems[0], problems=problems)
    return rule


def rule_inputs(
    rule: Rule, *, metrics: Mapping[str, Any], context: Mapping[str, Any], fields: Mapping[str, Any]
) -> dict[str, Any]:
    """The typed values for every name ``rule`` reads: numbers for metrics, text for everything else."""
    inputs: dict[str, Any] = {}
    for name in rule.variables:
        if name in rule.names.metrics:
            inputs[name] = as_number(metrics.get(name, context.get(name)))
        elif name in rule.names.context:
            inputs[name] = render_text(context.get(name))
        else:
            inputs[name] = render_text(fields.get(name))
    return inputs


def as_number(value: Any) -> int | float:
    """A metric value as a CEL number: whole numbers as int, others as float, missing or not numeric as 0."""
    number = parse_number(value)
    return 0 if number is None else number


def parse_number(value: Any) -> int | float | None:
    """A number from a value as systems send it (85, "85", "12.5"); None if blank or not numeric."""
    if isinstance(value, bool) or value is None:
        return None
    if isinstance(value, int):
        return value
    try:
        number = float(value) if isinstance(value, float) else float(str(value).strip())
    except ValueError:
        return None
    if not math.isfinite(number):
        return None
    return int(number) if number.is_integer() else number


def _unknown_names(program: Any, expression: str, *, where: str, names: RuleNames) -> list[str]:
    problems = []
    known = ", ".join(sorted(names.all)) or "(none)"
    for name in sorted(frozenset(program.variables()) - _comprehension_variables(expression) - names.all):
        problems.append(f"{where}: unknown name {name!r} in {expression!r}; known names: {known}")
    for function in sorted(program.functions()):
        if not _is_operator(function) and function not in _FUNCTIONS:
            problems.append(f"{where}: unknown function {function!r} in {expression!r}")
    return problems


def _default_run_problems(rule: Rule, where: str) -> list[str]:
    inputs = rule_inputs(rule, metrics={}, context={}, fields={})
    try:
        _execute(rule.program, inputs)
    except _Undecided as exc:
        hint = ""
        if rule.variables & rule.names.source_fields:
            hint = (
                ' (source fields are text: declare a numeric property under [metrics] with property = "...")'
            )
        return [
            f"{where}: {rule.source!r} cannot be decided for a record without values "
            f'(metrics 0, fields and context ""): {exc}{hint}'
        ]
    return []


def _comprehension_variables(expression: str) -> frozenset[str]:
    return frozenset(_COMPREHENSION_VARIABLE.findall(expression))


def _is_operator(function: str) -> bool:
    return (
        function.startswith("@")
        or function in ("!_", "-_")
        or (function.startswith("_") and function.endswith("_"))
    )


def _shown(expression: str, limit: int = 200) -> str:
    """The expression for a message: quoted, and cut when long (the message must stay readable)."""
    return repr(expression if len(expression) <= limit else expression[:limit] + "…")


def _syntax_detail(exc: BaseException) -> str:
    text = str(exc)
    _, _, detail = text.partition(": ERROR: ")
    return ("ERROR: " + detail) if detail else text


def _first_sentence(exc: BaseException) -> str:
    text = (str(exc) or type(exc).__name__).splitlines()[0]
    sentence, period, _ = text.partition(". ")
    return sentence + period.strip()
