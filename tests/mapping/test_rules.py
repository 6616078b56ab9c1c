"""CEL qualification rules: load-time checks, typed defaults, evaluation errors."""

from __future__ import annotations

import contextlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from connector.errors import RuleError
from connector.flows.handoff.mapping import CONTEXT_NAMES
from connector.mapping.rules import RuleEvaluationError, RuleNames, as_number, compile_rule, parse_number

NAMES = RuleNames(
    metrics=frozenset({"pricing_views", "case_study_downloads", "contact_form_visits"}),
    context=frozenset(CONTEXT_NAMES),
    source_fields=frozenset({"lifecyclestage", "country", "jobtitle"}),
)
MQL = "pricing_views >= 2 && case_study_downloads >= 1 && contact_form_visits >= 1"
WHERE = "m.toml: qualify.rule"


def compile_(expression: str):
    return compile_rule(expression, where=WHERE, names=NAMES)


def problems_of(expression: str) -> list[str]:
    with pytest.raises(RuleError) as caught:
        compile_(expression)
    return caught.value.problems


def test_the_agreed_mql_rule():
    rule = compile_(MQL)
    assert rule.variables == {"pricing_views", "case_study_downloads", "contact_form_visits"}
    engaged = {"pricing_views": 2, "case_study_downloads": 1, "contact_form_visits": 3}
    assert rule.evaluate(engaged, {}, {}) is True
    assert rule.evaluate({**engaged, "pricing_views": 1}, {}, {}) is False


def test_missing_values_get_typed_defaults_and_never_raise():
    rule = compile_('pricing_views >= 0 && country == "" && source_campaign == ""')
    assert rule.evaluate({}, {}, {}) is True
    assert rule.evaluate({"pricing_views": None}, {"source_campaign": None}, {"country": None}) is True


def test_source_fields_are_text_whatever_the_system_sent():
    rule = compile_('lifecyclestage == "lead" && country.startsWith("J") && jobtitle == "true"')
    assert rule.evaluate({}, {}, {"lifecyclestage": "lead", "country": "JP", "jobtitle": True})


def test_metric_values_arrive_as_numbers_even_from_text():
    rule = compile_("pricing_views >= 2 && case_study_downloads > 0.5")
    assert rule.evaluate({"pricing_views": "3", "case_study_downloads": "1.5"}, {}, {})
    assert not rule.evaluate({"pricing_views": "lots"}, {}, {})


def test_unknown_name_names_the_expression_and_the_known_names():
    (problem,) = problems_of("pricing_view >= 2")
    assert problem.startswith(f"{WHERE}: unknown name 'pricing_view' in 'pricing_view >= 2'; known names: ")
    assert "pricing_views" in problem and "qualification" in problem and "country" in problem


def test_every_unknown_name_is_reported():
    problems = problems_of("a > 1 && b > 2")
    assert [p.split("'")[1] for p in problems] == ["a", "b"]


def test_syntax_error_shows_the_position():
    (problem,) = problems_of("pricing_views >= && x")
    assert problem.startswith(f"{WHERE}: syntax error in 'pricing_views >= && x':")
    assert "1:18" in problem and "^" in problem


def test_unknown_function_is_refused_at_load():
    (problem,) = problems_of("bogus(pricing_views)")
    assert "unknown function 'bogus'" in problem


def test_comprehension_variables_are_not_unknown_names():
    rule = compile_('["a", "b"].exists(x, x == country)')
    assert rule.evaluate({}, {}, {"country": "b"})


def test_a_rule_that_is_not_boolean_is_refused():
    (problem,) = problems_of("pricing_views + 1")
    assert "must give true or false, but gave int 1" in problem


def test_numeric_comparison_on_a_text_field_is_refused_with_a_hint():
    (problem,) = problems_of("jobtitle >= 50")
    assert "cannot be decided for a record without values" in problem
    assert "declare a numeric property under [metrics]" in problem


def test_division_by_a_missing_metric_is_refused_at_load():
    (problem,) = problems_of("pricing_views / contact_form_visits > 1")
    assert "division by zero" in problem


def test_evaluation_failure_is_a_typed_error():
    rule = compile_("contact_form_visits == 0 || pricing_views / contact_form_visits > 1")
    assert rule.evaluate({"contact_form_visits": 0}, {}, {})
    with pytest.raises(RuleEvaluationError, match="cannot be decided"):
        rule.evaluate({"contact_form_visits": 2, "pricing_views": 1.5}, {}, {})


@pytest.mark.parametrize(
    ("value", "number"),
    [(3, 3), ("3", 3), (" 12.5 ", 12.5), ("12.0", 12), (None, None), ("", None), ("x", None),
     (True, None), ("nan", None), ("inf", None)],
)  # fmt: skip
def test_parse_number(value, number):
    assert parse_number(value) == number
    assert as_number(value) == (number or 0)


@settings(max_examples=300)
@given(st.text(max_size=60))
def test_arbitrary_expressions_raise_only_rule_errors(expression):
    try:
        rule = compile_(expression)
    except RuleError:
        return
    with contextlib.suppress(RuleEvaluationError):
        rule.evaluate({}, {}, {})


@settings(max_examples=200)
@given(
    st.lists(st.sampled_from([*sorted(NAMES.all), "1", '"x"', "2.5", "true", "null", "[1]"]), min_size=1),
    st.lists(st.sampled_from([" >= ", " == ", " && ", " || ", " + ", " / ", " in ", "!", "("])),
)
def test_arbitrary_combinations_of_known_names_raise_only_rule_errors(operands, operators):
    expression = "".join(o + (operators[i] if i < len(operators) else "") for i, o in enumerate(operands))
    try:
        rule = compile_(expression)
        rule.evaluate({"pricing_views": 3}, {"qualification": "x"}, {"country": "JP"})
    except RuleError:
        pass
