"""Mapping kinds and versions: ``kind``, per-kind sections, conflict rules renamed by direction."""

from __future__ import annotations

import copy
import logging

import pytest
from pydantic import Field

from connector.errors import ConfigError, MappingError
from connector.flows import known_kinds
from connector.flows.handoff.mapping import HandoffMappingSpec
from connector.flows.mappings import load_flow_mapping
from connector.mapping import Direction, FieldSection, MappingSpec, Strict, build_mapping
from connector.mapping.conflicts import WritePolicy
from connector.mapping.spec import FieldSpec

SOURCE = "mappings/handoff/kinds.toml"
KNOWN = ", ".join(known_kinds())

CORE = {
    "source": {"object": "contacts", "key": "hs_object_id"},
    "target": {"object": "Lead", "upsert_key": "Revloop_MA_Id__c"},
    "fields": {
        "LastName": {"from": "lastname"},
        "Phone": {"from": "phone", "conflict": "sfa_wins_unless_blank"},
        "Title": {"from": "jobtitle", "conflict": "sfa_wins"},
        "Email": {"from": "email", "conflict": "ma_wins"},
    },
    "writeback": {
        "key": "hs_object_id",
        "fields": {
            "lifecyclestage": {"value": "salesqualifiedlead", "conflict": "ma_wins"},
            "revloop_sync_status": {"from": "link_status", "conflict": "sfa_wins"},
        },
    },
}
RENAMED = {
    "ma_wins": "source_wins",
    "sfa_wins": "target_wins",
    "sfa_wins_unless_blank": "target_wins_unless_blank",
}


def version_1() -> dict:
    return {"version": 1, **copy.deepcopy(CORE)}


def version_2() -> dict:
    data = {"version": 2, "kind": "handoff", **copy.deepcopy(CORE)}
    for table in (data["fields"], data["writeback"]["fields"]):
        for field in table.values():
            if "conflict" in field:
                field["conflict"] = RENAMED[field["conflict"]]
    return data


def problems(data: dict, spec=HandoffMappingSpec) -> list[str]:
    with pytest.raises(ConfigError) as caught:
        build_mapping(data, source=SOURCE, spec=spec)
    return caught.value.problems


def policies(mapping) -> dict[str, WritePolicy]:
    return {f.key_path: f.policy for f in (*mapping.fields, *mapping.writeback_fields)}


# ---- conflict rules: version 1 names still work, with a warning; version 2 refuses them


def test_version_1_names_load_with_a_deprecation_warning_and_the_same_write_policies(caplog):
    with caplog.at_level(logging.WARNING, logger="connector.mapping"):
        old = build_mapping(version_1(), source=SOURCE, spec=HandoffMappingSpec)
    new = build_mapping(version_2(), source=SOURCE, spec=HandoffMappingSpec)

    assert (
        policies(old)
        == policies(new)
        == {
            "fields.LastName": WritePolicy.ALWAYS,
            "fields.Phone": WritePolicy.ONLY_IF_BLANK,
            "fields.Title": WritePolicy.UNLESS_CHANGED,
            "fields.Email": WritePolicy.ALWAYS,
            "writeback.fields.lifecyclestage": WritePolicy.UNLESS_CHANGED,
            "writeback.fields.revloop_sync_status": WritePolicy.ALWAYS,
        }
    )
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert warnings == [
        f"{SOURCE}: fields.Phone.conflict: 'sfa_wins_unless_blank' is deprecated; write "
        "'target_wins_unless_blank' (conflict rules are named by direction: source = [source], "
        "target = [target])",
        f"{SOURCE}: fields.Title.conflict: 'sfa_wins' is deprecated; write 'target_wins' "
        "(conflict rules are named by direction: source = [source], target = [target])",
        f"{SOURCE}: fields.Email.conflict: 'ma_wins' is deprecated; write 'source_wins' "
        "(conflict rules are named by direction: source = [source], target = [target])",
        f"{SOURCE}: writeback.fields.lifecyclestage.conflict: 'ma_wins' is deprecated; write 'source_wins' "
        "(conflict rules are named by direction: source = [source], target = [target])",
        f"{SOURCE}: writeback.fields.revloop_sync_status.conflict: 'sfa_wins' is deprecated; write "
        "'target_wins' (conflict rules are named by direction: source = [source], target = [target])",
    ]


def test_version_1_files_may_use_the_new_names_without_a_warning(caplog):
    data = version_2()
    data.pop("kind")
    data["version"] = 1
    with caplog.at_level(logging.WARNING, logger="connector.mapping"):
        build_mapping(data, source=SOURCE, spec=HandoffMappingSpec)
    assert caplog.records == []


def test_version_2_refuses_the_old_names():
    data = version_2()
    data["fields"]["Title"]["conflict"] = "sfa_wins"
    data["writeback"]["fields"]["lifecyclestage"]["conflict"] = "ma_wins"
    assert problems(data) == [
        f"{SOURCE}: fields.Title.conflict: 'sfa_wins' is a version 1 name; "
        "from version 2 on it is 'target_wins'",
        f"{SOURCE}: writeback.fields.lifecyclestage.conflict: 'ma_wins' is a version 1 name; "
        "from version 2 on it is 'source_wins'",
    ]


def test_an_unknown_conflict_rule_lists_the_rules():
    data = version_2()
    data["fields"]["Title"]["conflict"] = "sales_wins"
    assert problems(data) == [
        f"{SOURCE}: fields.Title.conflict: expected one of: source_wins, target_wins, "
        "target_wins_unless_blank, do_not_sync (got 'sales_wins')"
    ]


def test_target_wins_unless_blank_has_no_meaning_when_writing_back():
    data = version_2()
    data["writeback"]["fields"]["lifecyclestage"]["conflict"] = "target_wins_unless_blank"
    (problem,) = problems(data)
    assert problem.startswith(
        f"{SOURCE}: writeback.fields.lifecyclestage.conflict: target_wins_unless_blank has no meaning in "
        "[writeback]; use target_wins (always write), source_wins"
    )


# ---- kind


def test_version_2_without_kind_is_an_error_naming_the_key():
    data = version_2()
    data.pop("kind")
    assert problems(data) == [
        f'{SOURCE}: kind: required from version 2 on: the flow kind this mapping is for (kind = "handoff")'
    ]


def test_a_file_of_another_kind_is_refused():
    data = {**version_2(), "kind": "feedback"}
    assert problems(data) == [f"{SOURCE}: kind: this file is read as a 'handoff' mapping (got 'feedback')"]


def test_load_flow_mapping_reads_the_kind_from_the_file(tmp_path):
    path = tmp_path / "m.toml"
    path.write_text(
        'version = 2\nkind = "handoff"\n[source]\nobject = "contacts"\nkey = "id"\n'
        '[target]\nobject = "Lead"\nupsert_key = "Ext__c"\n[fields.LastName]\nfrom = "lastname"\n',
        encoding="utf-8",
    )
    assert load_flow_mapping(path).spec.kind == "handoff"
    assert isinstance(load_flow_mapping(path, "handoff").spec, HandoffMappingSpec)


def test_load_flow_mapping_reads_a_version_1_file_as_a_handoff(tmp_path):
    path = tmp_path / "m.toml"
    path.write_text(
        'version = 1\n[source]\nobject = "contacts"\nkey = "id"\n[target]\nobject = "Lead"\n'
        'upsert_key = "Ext__c"\n[fields.LastName]\nfrom = "lastname"\n[qualify]\nrule = "true"\n',
        encoding="utf-8",
    )
    assert load_flow_mapping(path).rule is not None


KNOWN = ", ".join(known_kinds())  # every registered kind, handoff first


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("version = 2\n", f"kind: required key is missing; the flow kind this mapping is for: {KNOWN}"),
        ('version = 2\nkind = "teleport"\n', f"kind: unknown flow kind 'teleport'; known flows: {KNOWN}"),
    ],
)
def test_load_flow_mapping_needs_a_known_kind(tmp_path, header, expected):
    path = tmp_path / "m.toml"
    path.write_text(header, encoding="utf-8")
    with pytest.raises(MappingError) as caught:
        load_flow_mapping(path)
    assert caught.value.problems == [f"{path}: {expected}"]


# ---- per-kind sections: a kind declares them, the loader compiles them


class BeaconSpec(Strict):
    object: str = "Beacon"
    fields: dict[str, FieldSpec] = Field(min_length=1)


class BeaconMappingSpec(MappingSpec):
    """A made-up kind: the core plus a [beacon] table of fields written back to the source."""

    for_kind = "beacon"
    field_sections = (
        *MappingSpec.field_sections,
        FieldSection("beacon.fields", Direction.TO_SOURCE),
    )
    context_names = ("pinged_at",)

    beacon: BeaconSpec | None = None


def beacon_file(**extra) -> dict:
    data = version_2()
    data.pop("writeback")
    return {**data, "kind": "beacon", **extra}


def test_a_kind_adds_a_section_of_fields_without_touching_the_loader():
    data = beacon_file(beacon={"fields": {"last_ping": {"from": "pinged_at", "conflict": "source_wins"}}})
    mapping = build_mapping(data, source=SOURCE, spec=BeaconMappingSpec)
    (field,) = mapping.section("beacon.fields")
    assert (field.key_path, field.policy) == ("beacon.fields.last_ping", WritePolicy.UNLESS_CHANGED)
    assert mapping.context_names == {"pinged_at"}


def test_a_kinds_section_is_checked_by_its_direction():
    data = beacon_file(beacon={"fields": {"last_ping": {"from": "lastname"}}})
    (problem,) = problems(data, spec=BeaconMappingSpec)
    assert problem == (
        f"{SOURCE}: beacon.fields.last_ping.from: unknown name 'lastname'; [beacon] values come from "
        "the context: pinged_at"
    )


def test_a_kind_whose_spec_lacks_a_section_refuses_it_as_an_unknown_key():
    data = beacon_file(qualify={"rule": "true"}, writeback=CORE["writeback"])
    found = problems(data, spec=BeaconMappingSpec)
    assert found == [
        f"{SOURCE}: qualify: unknown key; expected one of: version, kind, description, source, target, "
        "fields, beacon",
        f"{SOURCE}: writeback: unknown key; expected one of: version, kind, description, source, target, "
        "fields, beacon",
    ]


def test_the_handoffs_sections_are_not_part_of_the_core():
    data = {**version_2(), "kind": "core"}
    found = problems(data, spec=MappingSpec)
    assert found == [
        f"{SOURCE}: writeback: unknown key; "
        "expected one of: version, kind, description, source, target, fields"
    ]
