"""The handoff's checks: offline (two flows whose upsert keys would collide) and against live schemas."""

from __future__ import annotations

from collections.abc import Mapping

from connector.config import Config, FlowSettings
from connector.errors import MappingError, RuleError
from connector.flows.base import FlowSetup
from connector.flows.handoff.mapping import HandoffMappingSpec
from connector.flows.handoff.sections import check_against_schema
from connector.mapping import load_mapping


def key_collisions(config: Config, flows: Mapping[str, FlowSettings]) -> list[str]:
    """Two handoffs from different sources upserting one target object on one key would share records.

    HubSpot contact 5000 and Marketo lead 5000 would become one Lead unless a ``key_prefix`` (or another
    key field) keeps their upsert keys apart.
    """
    owners: dict[tuple[str, str, str, str], tuple[str, str]] = {}
    problems = []
    for name, flow in flows.items():
        try:
            target = load_mapping(flow.mapping, spec=HandoffMappingSpec).spec.target
        except (MappingError, RuleError):
            continue  # `revloop mappings check` reports broken mappings
        keys = [(target.object, target.upsert_key)]
        if target.contact_object and target.contact_upsert_key:
            keys.append((target.contact_object, target.contact_upsert_key))
        for obj, field in keys:
            key = (flow.target, obj, field, target.key_prefix)
            other = owners.setdefault(key, (name, flow.source))
            if other[1] != flow.source:
                problems.append(
                    f"{config.path}: flows.{name}: upserts {flow.target} {obj} on {field} like "
                    f"flows.{other[0]} ({other[1]}), so ids from {flow.source} and {other[1]} would collide; "
                    "set a different [target] key_prefix in one of the mappings"
                )
    return problems


def against_schemas(setup: FlowSetup) -> list[str]:
    """The mapping against the target's object, the source's object (read and written back) and Tasks."""
    mapping = load_mapping(setup.settings.mapping, spec=HandoffMappingSpec)
    source_schema = setup.source.describe(mapping.spec.source.object)
    task = mapping.spec.task
    return check_against_schema(
        mapping,
        setup.target.describe(mapping.spec.target.object),
        source_schema,
        source_schema,
        task_schema=setup.target.describe(task.object) if task else None,
    )
