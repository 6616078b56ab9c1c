"""The handoff's ``[match]``: the identity engine's settings; version 1's rule ``order`` still loads."""

from __future__ import annotations

import copy
import logging

import pytest

from connector.errors import ConfigError
from connector.flows.handoff.mapping import HandoffMappingSpec
from connector.flows.handoff.plan import guarded_fields
from connector.mapping import build_mapping
from connector.matching import DEFAULT_SETTINGS, person
from connector.matching.emails import AddressKind

SOURCE = "mappings/handoff/match.toml"
CORE = {
    "source": {"object": "contacts", "key": "hs_object_id"},
    "target": {"object": "Lead", "upsert_key": "Revloop_MA_Id__c"},
    "fields": {"LastName": {"from": "lastname"}, "Email": {"from": "email"}},
}


def mapping_with(match: dict, version: int = 2):
    data = {"version": version, **copy.deepcopy(CORE), "match": match}
    if version >= 2:
        data["kind"] = "handoff"
    return build_mapping(data, source=SOURCE, spec=HandoffMappingSpec)


def problems(match: dict, version: int = 2) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        mapping_with(match, version)
    return caught.value.problems


def test_the_defaults_are_the_engines():
    settings = mapping_with({}).spec.match.settings()

    assert settings == DEFAULT_SETTINGS


def test_extra_mailboxes_and_domains_are_added_to_the_built_in_lists():
    match = {
        "role_mailboxes": ["Eigyo-Tokyo", "kikaku.bu"],
        "placeholder_mailboxes": ["mitei"],
        "placeholder_domains": ["@Dummy-Corp.jp"],
        "phone_evidence": False,
    }
    settings = mapping_with(match).spec.match.settings()

    assert {"eigyotokyo", "kikakubu", "info"} <= settings.role_mailboxes
    assert "mitei" in settings.placeholder_mailboxes and "dummy-corp.jp" in settings.placeholder_domains
    assert settings.phone_evidence is False
    kinds = [
        person(email=e, settings=settings).address_kind
        for e in ("kikaku.bu@acme.co.jp", "taro@dummy-corp.jp")
    ]
    assert kinds == [AddressKind.ROLE, AddressKind.PLACEHOLDER]
    assert person(phone="090-1234-5678", settings=settings).phone == ""  # phone evidence off


@pytest.mark.parametrize(
    ("match", "expected"),
    [
        ({"role_mailboxes": ["info@acme.co.jp"]}, "match.role_mailboxes[0]: expected a mailbox name"),
        ({"placeholder_mailboxes": [""]}, "match.placeholder_mailboxes[0]: expected a mailbox name"),
        ({"placeholder_domains": ["a@b.jp"]}, "match.placeholder_domains[0]: expected a domain"),
        ({"phone_evidence": "yes"}, "match.phone_evidence: expected true or false"),
        ({"order": ["email"]}, "match.order: rule order no longer decides"),
    ],
)
def test_wrong_values_are_reported_with_their_key_path(match, expected):
    (problem,) = problems(match)
    assert problem.startswith(f"{SOURCE}: {expected}"), problem


@pytest.mark.parametrize(("order", "phone"), [(["email", "company_name"], False), (["email", "phone"], True)])
def test_a_version_1_order_loads_with_a_deprecation_warning_and_says_whether_phones_count(
    caplog, order, phone
):
    with caplog.at_level(logging.WARNING, logger="connector.mapping"):
        mapping = mapping_with({"order": order}, version=1)

    assert mapping.spec.match.settings().phone_evidence is phone
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warning.startswith(f"{SOURCE}: match.order: deprecated: rule order no longer decides")
    assert warning.endswith(f"this file reads as phone_evidence = {str(phone).lower()}")


def test_a_version_1_order_is_still_checked():
    assert problems({"order": ["email", "email"]}, version=1) == [
        f"{SOURCE}: match: order lists a rule twice"
    ]


def test_phone_evidence_written_out_wins_over_a_version_1_order():
    mapping = mapping_with({"order": ["email", "phone"], "phone_evidence": False}, version=1)
    assert mapping.spec.match.settings().phone_evidence is False


def test_identity_fields_without_a_rule_are_guarded_and_source_wins_written_out_is_not():
    data = {"version": 2, "kind": "handoff", **copy.deepcopy(CORE)}
    data["target"] = {**data["target"], "contact_object": "Contact", "contact_upsert_key": "K",
                      "account_field": "AccountId"}  # fmt: skip
    data["fields"].update(
        FirstName={"from": "firstname", "conflict": "source_wins"},
        Company={"from": "company"},
        Title={"from": "jobtitle"},
    )
    mapping = build_mapping(data, source=SOURCE, spec=HandoffMappingSpec)

    assert guarded_fields(mapping, "Lead") == ("Email", "LastName", "Company")
    assert guarded_fields(mapping, "Contact") == ("Email", "LastName")
