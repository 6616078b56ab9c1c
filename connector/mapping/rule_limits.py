"""Limits a CEL rule must stay within before it is compiled, so no rule can stall or crash a run.

A rule runs once per record, so its cost multiplies: a comprehension nested in another over a few hundred
elements costs seconds per record (27 million steps for three levels of 300). And the CEL library is
native code: some inputs (a syntax error past column 65,535) make it panic, which no ``except Exception``
catches. So a rule is checked as text first:

* at most :data:`MAX_LENGTH` characters (a qualification rule agreed with sales is a line or two);
* brackets nested at most :data:`MAX_DEPTH` deep;
* comprehensions (``all``, ``exists``, ``exists_one``, ``map``, ``filter``) never nested in one another
  and at most :data:`MAX_COMPREHENSIONS` of them;
* list literals of at most :data:`MAX_LIST_ITEMS` items, so a comprehension's cost stays small.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

MAX_LENGTH = 2_000
MAX_DEPTH = 24
MAX_COMPREHENSIONS = 8
MAX_LIST_ITEMS = 100

_MACRO = re.compile(r"\.\s*(all|exists_one|exists|map|filter)\s*\(")
_OPENING = {"(": ")", "[": "]", "{": "}"}


def rule_limit_problems(expression: str) -> list[str]:
    """Why ``expression`` is refused before compiling (empty when it is within every limit)."""
    if len(expression) > MAX_LENGTH:
        return [f"the rule is {len(expression):,} characters long; at most {MAX_LENGTH:,} are allowed"]
    code = _without_strings(expression)
    problems = _bracket_problems(code)
    if problems:
        return problems
    return _comprehension_problems(code) + _list_problems(code)


def _without_strings(expression: str) -> str:
    """``expression`` with every string literal's content blanked out (same length), so brackets and
    words inside quotes are not taken for code."""
    out = list(expression)
    for start, end in _string_spans(expression):
        out[start:end] = " " * (end - start)
    return "".join(out)


def _string_spans(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) of each string literal's content: '...', "...", triple-quoted, raw or bytes."""
    index = 0
    while index < len(text):
        char = text[index]
        if char not in "'\"":
            index += 1
            continue
        quote = text[index : index + 3] if text[index : index + 3] in ("'''", '"""') else char
        raw = index > 0 and text[index - 1] in "rR"
        start = index + len(quote)
        index = start
        while index < len(text) and not text.startswith(quote, index):
            index += 2 if text[index] == "\\" and not raw else 1
        yield start, min(index, len(text))
        index += len(quote)


def _bracket_problems(code: str) -> list[str]:
    depth, deepest = 0, 0
    for char in code:
        if char in _OPENING:
            depth += 1
            deepest = max(deepest, depth)
        elif char in _OPENING.values():
            depth -= 1
    if deepest > MAX_DEPTH:
        return [f"brackets are nested {deepest} deep; at most {MAX_DEPTH} are allowed"]
    return []


def _comprehension_problems(code: str) -> list[str]:
    spans = [(match.end() - 1, _closing(code, match.end() - 1)) for match in _MACRO.finditer(code)]
    problems = []
    if len(spans) > MAX_COMPREHENSIONS:
        problems.append(
            f"the rule has {len(spans)} comprehensions (all, exists, exists_one, map, filter); "
            f"at most {MAX_COMPREHENSIONS} are allowed"
        )
    if any(outer[0] < inner[0] < outer[1] for outer in spans for inner in spans if inner != outer):
        problems.append(
            "a comprehension (all, exists, exists_one, map, filter) is nested in another; its cost would "
            "multiply for every record: write them one after the other"
        )
    return problems


def _list_problems(code: str) -> list[str]:
    largest = max((_items(code, index) for index, char in enumerate(code) if char == "["), default=0)
    if largest > MAX_LIST_ITEMS:
        return [f"a list has {largest} items; at most {MAX_LIST_ITEMS} are allowed"]
    return []


def _closing(code: str, opening: int) -> int:
    """The index of the bracket closing the one at ``opening`` (the end of the text if unbalanced)."""
    depth = 0
    for index in range(opening, len(code)):
        if code[index] in _OPENING:
            depth += 1
        elif code[index] in _OPENING.values():
            depth -= 1
            if depth == 0:
                return index
    return len(code)


def _items(code: str, opening: int) -> int:
    """How many top-level items the list (or index) opened at ``opening`` holds."""
    end = _closing(code, opening)
    body = code[opening + 1 : end]
    if not body.strip():
        return 0
    depth, commas = 0, 0
    for char in body:
        if char in _OPENING:
            depth += 1
        elif char in _OPENING.values():
            depth -= 1
        elif char == "," and depth == 0:
            commas += 1
    return commas + 1
