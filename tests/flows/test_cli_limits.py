"""Counts given on the command line are checked: a --limit below 1 is a usage error, not "the first -3"."""

from __future__ import annotations

import pytest


@pytest.mark.parametrize(
    "args",
    [
        ("mappings", "preview", "handoff", "--limit", "-3"),
        ("mappings", "preview", "handoff", "--limit", "0"),
        ("errors", "list", "--limit", "0"),
        ("runs", "--limit", "-1"),
    ],
)
def test_a_limit_below_one_is_a_usage_error(sqlite_env, args) -> None:
    result = sqlite_env.cli(*args)

    assert result.code == 2, result
    assert "--limit" in result.stderr and "x>=1" in result.stderr
    assert "showing the first" not in result.stdout
