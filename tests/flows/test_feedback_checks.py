"""The feedback's own checks: offline (its source is Salesforce; the mapping's sections hold together) and
against the live schemas (owners and lists only where the MA has them)."""

from __future__ import annotations

import pytest
from feedback_world import with_mapping

from connector.errors import ConfigError, MappingError
from connector.flows.checks import load_checked_config
from connector.flows.feedback.mapping import FeedbackMappingSpec
from connector.mapping import parse_mapping

CORE = """
version = 2
kind = "feedback"
[source]
object = "Lead"
key = "Id"
[target]
object = "contacts"
upsert_key = "hs_object_id"
[fields.hs_lead_status]
from = "lead_status"
"""


def test_the_source_of_a_feedback_must_be_salesforce(sqlite_env) -> None:
    config = sqlite_env.config_path.read_text(encoding="utf-8")
    table = config.index("[flows.feedback]")
    moved = config[table:].replace('source = "salesforce"', 'source = "marketo"', 1)
    sqlite_env.config_path.write_text(config[:table] + moved, encoding="utf-8")

    with pytest.raises(ConfigError) as raised:
        load_checked_config(sqlite_env.config_path)

    assert any(
        "flows.feedback.source: the feedback reads Salesforce people" in p for p in raised.value.problems
    )


@pytest.mark.parametrize(
    ("extra", "problem"),
    [
        ('[match]\nunlinked = "match"\n', 'match: unlinked = "match" needs fields'),
        ('[order.hs_lead_status]\nvalues = ["NEW", "OPEN"]\n[fields.x]\nvalue = "LATER"\n', None),
        (
            '[order.lifecyclestage]\nvalues = ["lead", "customer"]\n',
            "order.lifecyclestage: no table of fields",
        ),
        ("[nurture]\nlead_statuses = []\n", "nurture.lead_statuses"),
        (  # the core's field-level order would be ignored by the feedback: refused, pointing to [order]
            '[fields.lifecyclestage]\nvalue = "customer"\norder = ["lead", "customer"]\n',
            "fields.lifecyclestage.order: a feedback mapping orders a field by [order.lifecyclestage]",
        ),
        ('[nurture]\nlead_statuses = ["Closed - Not Converted"]\n', "nurture: set list, fields, or both"),
    ],
)
def test_mapping_sections_are_checked_when_loaded(extra, problem) -> None:
    text = CORE + extra
    if problem is None:
        parse_mapping(text, source="f.toml", spec=FeedbackMappingSpec)
        return
    with pytest.raises(MappingError) as raised:
        parse_mapping(text, source="f.toml", spec=FeedbackMappingSpec)
    assert any(problem in p for p in raised.value.problems), raised.value.problems


def test_an_ordered_fields_constants_must_be_in_its_order() -> None:
    text = (
        CORE.replace('from = "lead_status"', 'value = "LATER"')
        + '[order.hs_lead_status]\nvalues = ["NEW", "OPEN"]\n'
    )
    with pytest.raises(MappingError) as raised:
        parse_mapping(text, source="f.toml", spec=FeedbackMappingSpec)
    assert raised.value.problems == [
        "f.toml: fields.hs_lead_status: ['LATER'] not in order.hs_lead_status.values"
    ]


def test_owners_and_lists_are_only_asked_of_an_ma_that_has_them(sqlite_env) -> None:
    env = sqlite_env
    with_mapping(env, "marketo_feedback", lambda text: text.replace(
        'from = "owner_email"', 'from = "ma_owner_id"').replace(
        '[nurture]\n', '[nurture]\nlist = "Nurture"                              # a list\n'))  # fmt: skip

    result = env.cli("mappings", "check", "marketo_feedback")

    assert result.code == 2, result
    assert "fields.revloopOwnerEmail: marketo has no owners; map owner_email into a field" in result.stdout
