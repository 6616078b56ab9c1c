"""A rule cannot stall or crash a run: length, nesting, comprehension and list limits checked before the
CEL library sees it, and a native panic turned into a rule error naming the file and key."""

from __future__ import annotations

import pytest

from connector.errors import RuleError
from connector.mapping import rule_limits, rules
from connector.mapping.rules import RuleEvaluationError, RuleNames, compile_rule

NAMES = RuleNames(frozenset({"pricing_views"}), frozenset(), frozenset({"jobtitle"}))
WHERE = "mappings/handoff/x.toml: qualify.rule"
HUNDRED = "[" + ", ".join(str(i) for i in range(100)) + "]"


def problems_of(expression: str) -> list[str]:
    with pytest.raises(RuleError) as caught:
        compile_rule(expression, where=WHERE, names=NAMES)
    assert all(problem.startswith(f"{WHERE}: ") for problem in caught.value.problems)
    return caught.value.problems


def test_a_syntax_error_past_column_65535_is_a_rule_error_not_a_native_panic():
    (problem,) = problems_of("pricing_views >" + " " * 70_000 + "(")
    assert "70,016 characters long; at most 2,000" in problem


def test_a_long_rule_with_a_syntax_error_inside_the_limit_names_it_and_stays_readable():
    (problem,) = problems_of("pricing_views >" + " " * 1_900 + "(")
    assert "syntax error" in problem
    assert len(problem.splitlines()[0]) < 300  # the expression is cut in the message


def test_nested_comprehensions_are_refused_sequential_ones_are_not():
    nested = f"{HUNDRED}.all(x, {HUNDRED}.all(y, {HUNDRED}.all(z, x + y + z >= pricing_views)))"
    (problem,) = problems_of(nested)
    assert "nested in another" in problem

    rule = compile_rule(
        f"{HUNDRED}.all(x, x >= 0) && {HUNDRED}.exists(y, y == pricing_views)", where=WHERE, names=NAMES
    )
    assert rule.evaluate({"pricing_views": 7}, {}, {}) is True


def test_list_literals_and_comprehension_counts_are_bounded():
    many = "[" + ", ".join("1" for _ in range(101)) + "].all(x, x > 0)"
    assert "a list has 101 items; at most 100" in problems_of(many)[0]
    nine = " && ".join(f"[1, 2].exists(v{i}, v{i} == pricing_views)" for i in range(9))
    assert "9 comprehensions" in problems_of(nine)[0]


def test_bracket_depth_is_bounded_but_brackets_in_strings_do_not_count():
    deep = "(" * 30 + "pricing_views > 1" + ")" * 30
    assert "nested 30 deep; at most 24" in problems_of(deep)[0]
    rule = compile_rule("jobtitle != '((((((((((((((((((((((((((((((['", where=WHERE, names=NAMES)
    assert rule.evaluate({}, {}, {"jobtitle": "CEO"}) is True


@pytest.mark.parametrize(
    ("text", "blanked"),
    [("'a(b' + \"c]\"", "'   ' + \"  \""), ("r'\\(' == x", "r'  ' == x"), ("'''x'y'''", "'''   '''")],
)
def test_string_literals_are_blanked_before_counting(text: str, blanked: str):
    assert rule_limits._without_strings(text) == blanked


class PanicLike(BaseException):
    """Stands in for pyo3's PanicException: a BaseException that ``except Exception`` misses."""


class PanickingProgram:
    def execute(self, inputs):
        raise PanicLike("native code panicked")


def test_a_panic_while_evaluating_is_a_rule_evaluation_error():
    rule = rules.Rule("pricing_views > 1", frozenset({"pricing_views"}), NAMES, PanickingProgram())
    with pytest.raises(RuleEvaluationError, match="cannot be decided: native code panicked"):
        rule.evaluate({"pricing_views": 3}, {}, {})


def test_an_interrupt_is_not_swallowed():
    class Interrupting:
        def execute(self, inputs):
            raise KeyboardInterrupt

    rule = rules.Rule("pricing_views > 1", frozenset({"pricing_views"}), NAMES, Interrupting())
    with pytest.raises(KeyboardInterrupt):
        rule.evaluate({"pricing_views": 3}, {}, {})
