"""The one translator of pydantic errors: file, key path, and the same words for config and mappings."""

from __future__ import annotations

from typing import Annotated

import pytest
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from connector.validation import describe_errors, key_path


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Leaf(Strict):
    from_: str | None = Field(default=None, alias="from")
    count: Annotated[int, Field(gt=0)] = 1
    enabled: bool = True

    @model_validator(mode="after")
    def _needs_a_source(self) -> Leaf:
        if self.from_ is None:
            raise ValueError("set from")
        return self


class Branch(Strict):
    name: str
    leaves: dict[str, Leaf] = {}
    tags: tuple[str, ...] = ()


class Root(Strict):
    branch: Branch | None = None
    branches: dict[str, Branch] = {}
    trunk: list[Leaf] = []


def described(data: dict) -> list[str]:
    with pytest.raises(ValidationError) as caught:
        Root.model_validate(data)
    return describe_errors(caught.value, source="file.toml", model=Root)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"brnch": {}}, "file.toml: brnch: unknown key; did you mean 'branch'?"),
        ({"colour": 1}, "file.toml: colour: unknown key; expected one of: branch, branches, trunk"),
        (
            {"branch": {"name": "b", "leaves": {"x": {"from": "a", "colour": 1}}}},
            "file.toml: branch.leaves.x.colour: unknown key; expected one of: from, count, enabled",
        ),
        (
            {"branches": {"b": {"name": "b", "leaves": {"x": {"fro": "a"}}}}},
            "file.toml: branches.b.leaves.x.fro: unknown key; did you mean 'from'?",
        ),
        (
            {"trunk": [{"from": "a"}, {"from": "a", "cnt": 2}]},
            "file.toml: trunk[1].cnt: unknown key; did you mean 'count'?",
        ),
        ({"branch": {}}, "file.toml: branch.name: required key is missing"),
        ({"branch": "b"}, "file.toml: branch: expected a table (got 'b')"),
        ({"branch": {"name": "b", "tags": "x"}}, "file.toml: branch.tags: expected a list (got 'x')"),
        ({"branch": {"name": 5}}, "file.toml: branch.name: expected a string (got 5)"),
        (
            {"trunk": [{"from": "a", "count": 0}]},
            "file.toml: trunk[0].count: Input should be greater than 0 (got 0)",
        ),
        ({"trunk": [{}]}, "file.toml: trunk[0]: set from"),  # a table-level check: no value repeated
    ],
)
def test_every_kind_of_problem_names_the_file_and_the_key_path(data, expected):
    assert expected in described(data)


def test_every_problem_is_reported_once():
    found = described({"colour": 1, "branch": {"name": 5, "name2": 1}, "trunk": [{}]})
    assert len(found) == len(set(found)) == 4


def test_key_paths_read_like_the_file():
    assert key_path(("fields", "Phone", "transform", 0)) == "fields.Phone.transform[0]"
    assert key_path(()) == "(top level)"
