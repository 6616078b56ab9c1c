"""A fault-plan soak of the handoff: seeded 500/503s, 429s with Retry-After, "drop" (applied, then the
connection is cut: an ambiguous write) and "reset" across the Salesforce and HubSpot fakes during a run.

The guard retries what is retryable and re-sends ambiguous writes only as upserts, so the run ends with
the same checker verdict as an undisturbed one: nothing lost, duplicated or unexpected. Every planned
fault must have fired, and some of them on the write endpoints, or the soak proved nothing.
"""

from __future__ import annotations

import random

import pytest
from crash_world import INVALID_KINDS, CrashWorld

from connector.config import load_config
from connector.flows.runner import run_flow
from connector.sandbox.framework import Fault

pytest_plugins = ("conftest_crash",)
pytestmark = pytest.mark.slow

SALESFORCE_FAULTS = ("500", "503", "drop", "reset")
HUBSPOT_FAULTS = ("500", "429", "drop", "reset")
"""Salesforce answers no 429 (its rate refusal is 403 REQUEST_LIMIT_EXCEEDED, a quota stop)."""
SALESFORCE_CALLS = {
    "oauth_token": 1,
    "describe": 2,
    "query": 3,
    "collections_upsert": 2,
    "collections_update": 1,
}
HUBSPOT_CALLS = {"search_objects": 3, "batch_update": 3}
"""Calls every first sync of a world makes at least, per endpoint: where a planned fault surely fires."""


def fault_plan(
    rng: random.Random, calls: dict[str, int], kinds: tuple[str, ...], count: int, write: str
) -> list[Fault]:
    """A dropped answer on the ``write`` endpoint, and ``count`` faults on other (endpoint, n-th call)."""
    slots = [(endpoint, nth) for endpoint, most in calls.items() for nth in range(1, most + 1)]
    dropped = (write, rng.randint(1, calls[write]))
    others = rng.sample([slot for slot in slots if slot != dropped], count)
    return [Fault(nth=dropped[1], kind="drop", endpoint=write)] + [
        Fault(nth=nth, kind=rng.choice(kinds), endpoint=endpoint) for endpoint, nth in others
    ]


@pytest.mark.parametrize("seed", [201, 202])
def test_a_run_through_a_fault_plan_ends_clean(crash_sandbox, tmp_path, seed):
    world = CrashWorld(crash_sandbox, tmp_path, seed=seed)
    rng = random.Random(seed)
    salesforce = fault_plan(rng, SALESFORCE_CALLS, SALESFORCE_FAULTS, 5, "collections_upsert")
    hubspot = fault_plan(rng, HUBSPOT_CALLS, HUBSPOT_FAULTS, 3, "batch_update")
    world.sf.set_knobs(faults=salesforce)
    world.hs.set_knobs(faults=hubspot)
    config = load_config(world.config_path)

    statuses = []
    for _ in range(3):  # a fault that outlasts the guard's retries stops the run; the next one resumes
        statuses.append(run_flow(config, "handoff", engine=world.engine).status)
        if statuses[-1] == "record_errors" and world.ledger().settled:
            break

    assert statuses[-1] == "record_errors", statuses  # the invalid records, and nothing else
    assert world.sf.knobs.faults == [] and world.hs.knobs.faults == [], "some planned faults never fired"
    report = world.check()
    assert report.ok, str(report)
    invalid = world.ids_of(*INVALID_KINDS)
    assert report.rejected == invalid
    assert report.synced == set(world.source.qualifying) - invalid
    assert world.cursor_ahead() == set()
