"""Loading mapping files: structure, every problem at once with file and key path, and fuzzing."""

from __future__ import annotations

import contextlib
import copy
import tomllib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from connector.errors import ConfigError, MappingError, RuleError
from connector.flows.handoff.mapping import HandoffMappingSpec
from connector.flows.mappings import load_all_mappings
from connector.mapping import build_mapping, load_mapping, parse_mapping
from connector.mapping.conflicts import WritePolicy

SOURCE = "mappings/handoff/test.toml"

BASE_TOML = """
version = 1
description = "test"

[source]
object = "contacts"
key = "hs_object_id"
fields = ["country"]

[target]
object = "Lead"
upsert_key = "Revloop_MA_Id__c"
contact_object = "Contact"
contact_upsert_key = "Revloop_MA_Id__c"
account_field = "AccountId"
options = { assignment_rule = "default" }

[qualify]
score_field = "hubspotscore"
threshold = 80
rule = 'pricing_views >= 2 && case_study_downloads >= 1'

[metrics.pricing_views]
activity = "page_view"
contains = "/pricing"
[metrics.case_study_downloads]
property = "revloop_case_study_downloads"

[match]
order = ["email", "phone"]
region = "JP"
route_to_contact_when_customer = true

[fields.LastName]
from = "lastname"
transform = ["trim", "nfkc"]
default = "(unknown)"
[fields.Phone]
from = "phone"
transform = [{ phone_e164 = { region = "JP" } }]
conflict = "sfa_wins_unless_blank"
[fields.Rating]
from = "hs_lead_status"
map = { OPEN = "Warm" }
unmapped = "blank"
[fields.Description]
template = "Qualified: {qualification} ({pricing_views} pricing views, {country})"

[writeback]
key = "hs_object_id"
[writeback.fields.revloop_salesforce_id]
from = "target_id"
[writeback.fields.lifecyclestage]
value = "salesqualifiedlead"
conflict = "ma_wins"
"""
BASE = tomllib.loads(BASE_TOML)


def with_changes(**sections) -> dict:
    data = copy.deepcopy(BASE)
    for path, value in sections.items():
        *parents, last = path.split("__")
        node = data
        for part in parents:
            node = node.setdefault(part, {})
        if value is None:
            node.pop(last, None)
        else:
            node[last] = value
    return data


def problems(data) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        build_mapping(data, source=SOURCE, spec=HandoffMappingSpec)
    return caught.value.problems


def test_a_valid_mapping_compiles():
    mapping = parse_mapping(BASE_TOML, source=SOURCE, spec=HandoffMappingSpec)
    assert mapping.path == SOURCE
    assert [f.name for f in mapping.fields] == ["LastName", "Phone", "Rating", "Description"]
    assert mapping.metric_names == {"pricing_views", "case_study_downloads"}
    assert mapping.rule is not None and mapping.rule.variables == {"pricing_views", "case_study_downloads"}
    assert {f.name: f.policy for f in mapping.fields}["Phone"] is WritePolicy.ONLY_IF_BLANK
    assert {f.name: f.policy for f in mapping.writeback_fields} == {
        "revloop_salesforce_id": WritePolicy.ALWAYS,
        "lifecyclestage": WritePolicy.UNLESS_CHANGED,
    }


def test_declared_source_fields_cover_everything_the_mapping_reads():
    mapping = build_mapping(BASE, source=SOURCE, spec=HandoffMappingSpec)
    assert mapping.source_fields == {
        "hs_object_id", "country", "hubspotscore", "revloop_case_study_downloads", "lastname", "phone",
        "hs_lead_status",
    }  # fmt: skip


def test_the_brief_example_error_message():
    data = with_changes(fields__Phone={"from": "phone", "transform": [{"phone164": {"region": "JP"}}]})
    (problem,) = problems(data)
    assert problem.startswith(f"{SOURCE}: fields.Phone.transform[0]: unknown transform 'phone164'; known: ")


def test_structural_problems_are_all_reported_with_key_paths():
    data = with_changes(
        qualify__threshold="80",
        target__upsert_keys="x",
        fields__Phone={"from": "phone", "value": "x"},
        fields__Rating={"from": "s", "unmapped": "drop", "map": {"A": "B"}},
        match__order=["email", "fax"],
    )
    found = problems(data)
    assert f"{SOURCE}: qualify.threshold: expected a number (got '80')" in found
    assert f"{SOURCE}: target.upsert_keys: unknown key; did you mean 'upsert_key'?" in found
    assert f"{SOURCE}: fields.Phone: set exactly one of from, value or template" in found
    assert any(p.startswith(f"{SOURCE}: fields.Rating.unmapped: Input should be 'error'") for p in found)
    assert any(p.startswith(f"{SOURCE}: match.order[1]: ") for p in found)
    assert len(found) == 5


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"version": 3}, "version: unsupported version; this revloop reads version = 1 or 2 (got 3)"),
        ({"version": None}, "version: required key is missing"),
        ({"source": None}, "source: required key is missing"),
        ({"fields": {}}, "fields: "),
        ({"qualify__score_field": None}, "qualify: score_field and threshold go together"),
        ({"qualify": {}}, "qualify: set score_field and threshold, or rule, or both"),
        (
            {"metrics__pricing_views__property": "x"},
            "metrics.pricing_views: set exactly one of activity or property",
        ),
        ({"metrics__case_study_downloads__contains": "x"}, "metrics.case_study_downloads: contains filters"),
        ({"metrics__pricing_views__activity": "visit"}, "metrics.pricing_views.activity: "),
        ({"target__account_field": None}, "target: contact_object, contact_upsert_key and account_field go"),
        ({"match__order": ["email", "email"]}, "match: order lists a rule twice"),
        ({"match__order": []}, "match: order needs at least one rule"),
        ({"fields__LastName__required": "yes"}, "fields.LastName.required: expected true or false"),
        ({"fields__LastName__from_": "x"}, "fields.LastName.from_: unknown key"),
        ({"fields__LastName__transform": "trim"}, "fields.LastName.transform: expected a list"),
        (
            {"fields__LastName__default": ["x"]},
            "fields.LastName.default: expected a string, number or boolean",
        ),
        (
            {"fields__Rating__map": {"A": {"b": 1}}},
            "fields.Rating.map.A: expected a string, number or boolean",
        ),
        ({"writeback__fields": {}}, "writeback.fields: "),
        ({"fields__X": "y"}, "fields.X: expected a table"),
    ],
)
def test_structural_problem_messages(changes, expected):
    found = problems(with_changes(**changes))
    assert any(p.startswith(f"{SOURCE}: {expected}") for p in found), found


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"fields__Description__template": "{qualification} {engagment}"},
            "fields.Description.template: unknown name {engagment}; known names: ",
        ),
        (
            {"fields__Description__template": "{country!r}"},
            "fields.Description.template: placeholder '{country!r}' at position 0 is not a plain name",
        ),
        (
            {"fields__Description__template": "a { b"},
            "fields.Description.template: unbalanced '{' at position 2",
        ),
        ({"fields__Description__template": "{x.__class__}"}, "fields.Description.template: placeholder"),
        (
            {"fields__LastName__transform": ["trim", {"truncate": -1}]},
            "fields.LastName.transform[1]: truncate",
        ),
        ({"match__region": "ZZ"}, "match.region: unknown region 'ZZ'"),
        (
            {"metrics__engagement": {"activity": "page_view"}},
            "metrics.engagement: 'engagement' is a context name",
        ),
        (
            {"metrics__bad-name": {"activity": "page_view"}},
            "metrics.bad-name: a metric name must be a plain name",
        ),
        ({"writeback__fields__x": {"from": "lastname"}}, "writeback.fields.x.from: unknown name 'lastname'"),
        ({"writeback__fields__x": {"template": "{lastname}"}}, "writeback.fields.x.template: unknown name"),
        (
            {"writeback__fields__x": {"from": "target_id", "conflict": "sfa_wins_unless_blank"}},
            "writeback.fields.x.conflict: sfa_wins_unless_blank has no meaning in [writeback]",
        ),
        (
            {
                "target__contact_object": None,
                "target__contact_upsert_key": None,
                "target__account_field": None,
            },
            "match.route_to_contact_when_customer: needs target.contact_object",
        ),
    ],
)
def test_semantic_problem_messages(changes, expected):
    found = problems(with_changes(**changes))
    assert any(p.startswith(f"{SOURCE}: {expected}") for p in found), found


def test_semantic_and_rule_problems_are_reported_together():
    data = with_changes(
        qualify__rule="pricing_view >= 2",
        fields__LastName={"from": "lastname", "transform": ["phone164"]},
        fields__Description={"template": "{nope}"},
    )
    with pytest.raises(MappingError) as caught:
        build_mapping(data, source=SOURCE, spec=HandoffMappingSpec)
    found = caught.value.problems
    assert [p.split(": ")[1] for p in found] == [
        "fields.LastName.transform[0]",
        "fields.Description.template",
        "qualify.rule",
    ]
    assert str(caught.value) == "\n".join(found)


def test_only_rule_problems_raise_rule_error():
    with pytest.raises(RuleError) as caught:
        build_mapping(with_changes(qualify__rule="pricing_view >= 2"), source=SOURCE, spec=HandoffMappingSpec)
    assert not isinstance(caught.value, MappingError)
    assert caught.value.problems[0].startswith(f"{SOURCE}: qualify.rule: unknown name 'pricing_view'")


def test_toml_syntax_errors_show_line_and_column():
    with pytest.raises(MappingError, match=r"test.toml: TOML syntax error: .*line 2, column 8"):
        parse_mapping("version = 1\n[source\n", source=SOURCE, spec=HandoffMappingSpec)


def test_load_mapping_reads_files_and_names_them(tmp_path):
    good = tmp_path / "good.toml"
    good.write_text(BASE_TOML, encoding="utf-8")
    assert load_mapping(good, spec=HandoffMappingSpec).path == str(good)
    with pytest.raises(MappingError, match="cannot read the file"):
        load_mapping(tmp_path / "missing.toml", spec=HandoffMappingSpec)
    binary = tmp_path / "binary.toml"
    binary.write_bytes(b"version = 1\n\xff\xfe")
    with pytest.raises(MappingError, match="not UTF-8"):
        load_mapping(binary, spec=HandoffMappingSpec)


def test_load_all_reports_the_problems_of_every_file(tmp_path):
    (tmp_path / "handoff").mkdir()
    (tmp_path / "handoff" / "a.toml").write_text(BASE_TOML, encoding="utf-8")
    (tmp_path / "handoff" / "b.toml").write_text("version = 2\n", encoding="utf-8")
    (tmp_path / "c.toml").write_text("[", encoding="utf-8")
    with pytest.raises(MappingError) as caught:
        load_all_mappings(tmp_path)
    files = {problem.split(": ")[0] for problem in caught.value.problems}
    assert files == {str(tmp_path / "handoff" / "b.toml"), str(tmp_path / "c.toml")}


def test_the_loaded_mapping_is_frozen():
    mapping = build_mapping(BASE, source=SOURCE, spec=HandoffMappingSpec)
    with pytest.raises(AttributeError):
        mapping.path = "x"  # type: ignore[misc]
    with pytest.raises(ValueError):
        mapping.spec.fields["LastName"].default = "y"  # type: ignore[misc]


def test_loading_does_not_mutate_its_input():
    data = copy.deepcopy(BASE)
    build_mapping(data, source=SOURCE, spec=HandoffMappingSpec)
    assert data == BASE


# ---- fuzzing: whatever the input, only MappingError or RuleError may escape

toml_scalars = st.one_of(st.booleans(), st.integers(), st.floats(), st.text(max_size=20))
toml_values = st.recursive(
    toml_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
keys = st.sampled_from(
    ["version", "source", "target", "qualify", "metrics", "match", "fields", "writeback", "from", "value",
     "template", "transform", "map", "unmapped", "default", "required", "conflict", "rule", "key", "object"]
)  # fmt: skip
random_strings = st.text(alphabet=st.sampled_from(list("{}()[]|&=!<>.,'\" _abcxyz019%$\\")), max_size=40)


def assert_only_typed_errors(data) -> None:
    try:
        build_mapping(data, source=SOURCE, spec=HandoffMappingSpec)
    except (MappingError, RuleError) as exc:
        assert exc.problems and all(p.startswith(f"{SOURCE}: ") for p in exc.problems)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(keys | st.text(max_size=8), toml_values, max_size=8))
def test_arbitrary_documents_raise_only_typed_errors(data):
    assert_only_typed_errors(data)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(
    path=st.sampled_from(
        [
            ("qualify", "rule"),
            ("fields", "Description", "template"),
            ("fields", "LastName", "transform"),
            ("fields", "Phone", "transform"),
            ("fields", "Rating", "map"),
            ("writeback", "fields", "x"),
            ("metrics", "pricing_views"),
            ("match", "order"),
            ("target", "options"),
            ("source", "fields"),
        ]
    ),
    value=random_strings | st.lists(random_strings | toml_values, max_size=3) | toml_values,
)
def test_mutated_valid_documents_raise_only_typed_errors(path, value):
    data = copy.deepcopy(BASE)
    node = data
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node[path[-1]] = value
    assert_only_typed_errors(data)


@settings(max_examples=200)
@given(st.text(max_size=200))
def test_arbitrary_text_raises_only_typed_errors(text):
    with contextlib.suppress(MappingError, RuleError):
        parse_mapping(text, source=SOURCE, spec=HandoffMappingSpec)


TASK = {"upsert_key": "Revloop_Task_Key__c", "fields": {"Subject": {"value": "Follow up"}}}


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"task": {**TASK, "colour": "blue"}},
            "task.colour: unknown key; expected one of: object, upsert_key, due_in_days, on, fields",
        ),
        (
            {"task": {**TASK, "fields": {"Subject": {"value": "Follow up", "colour": "blue"}}}},
            "task.fields.Subject.colour: unknown key; expected one of: "
            "from, value, template, transform, map, unmapped, default, required, conflict, order",
        ),
        ({"task": {**TASK, "upsert_keys": "x"}}, "task.upsert_keys: unknown key; did you mean 'upsert_key'?"),
        (
            {"metrics__pricing_views__colour": "blue"},
            "metrics.pricing_views.colour: unknown key; expected one of: activity, contains, property",
        ),
    ],
)
def test_an_unknown_key_in_any_table_lists_the_keys_of_that_table(changes, expected):
    assert f"{SOURCE}: {expected}" in problems(with_changes(**changes))
