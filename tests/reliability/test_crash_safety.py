"""Crash safety of the handoff (issue 4, reliability.md): kill a real `revloop run handoff`, run again, check.

Every test seeds a world (``crash_world``: a few hundred HubSpot contacts, some invalid, some already
Salesforce Leads, some of a customer Account), kills a real ``revloop run handoff`` subprocess with
SIGKILL at a named crash point (REVLOOP_CRASH_AT) or at a random moment, checks right after each kill
that the cursor is not ahead of what the store holds, then runs again until a run ends with nothing in
flight or due, and runs the checker (``checker.check``): nothing lost, duplicated or unexpected, and the
ledger agrees with what Salesforce and HubSpot hold. Re-sends are bounded: only the batch that was in
flight when the process died is sent again.
"""

from __future__ import annotations

import math
import random

import pytest
from crash_world import INVALID_KINDS, CrashWorld

pytest_plugins = ("conftest_crash",)
pytestmark = pytest.mark.slow

SEED = 11
BATCH_CALLS = 4
"""Salesforce write calls one batch of 200 may take: Lead, Contact and Task upserts, updates by Id."""

AT_KILL = {  # crash point: (write rows in flight, writeback rows in flight) when the process died
    "after_accept": (False, False),
    "after_accept:2": (False, False),
    "after_claim:2": (True, False),
    "after_send": (True, False),
    "after_send:2": (True, False),
    "after_commit": (False, False),
    "after_writeback_send": (False, True),
    "after_writeback_send:2": (False, True),
}


@pytest.fixture(scope="module")
def baseline(crash_sandbox, tmp_path_factory) -> dict[str, int]:
    """Write calls of an uninterrupted first sync of the SEED world (which must itself check clean)."""
    world = CrashWorld(crash_sandbox, tmp_path_factory.mktemp("baseline"), seed=SEED)
    assert world.run_until_settled() == 1
    report = world.check()
    assert report.ok, str(report)
    return world.write_calls()


def assert_healed(world: CrashWorld) -> None:
    """The checker is clean, and every qualifying person ended synced or explained by an error row."""
    report = world.check()
    assert report.ok, str(report)
    invalid = world.ids_of(*INVALID_KINDS)
    assert report.rejected == invalid
    assert report.synced == set(world.source.qualifying) - invalid


def in_flight(world: CrashWorld, stage: str) -> list[str]:
    return [key for s, key, state, _due in world.ledger().waiting if s == stage and state == "in_flight"]


@pytest.mark.parametrize("point", list(AT_KILL))
def test_a_kill_at_a_crash_point_is_healed_by_one_clean_run(crash_sandbox, tmp_path, baseline, point):
    world = CrashWorld(crash_sandbox, tmp_path, seed=SEED)

    killed = world.run(point)

    assert killed.killed, f"{point} was never reached: {killed.stderr[-2000:]}"
    assert world.ledger().cursor is not None
    assert world.cursor_ahead() == set(), "the cursor passed records the store does not hold"
    assert (bool(in_flight(world, "write")), bool(in_flight(world, "writeback"))) == AT_KILL[point]
    if point.startswith("after_accept"):
        assert world.write_calls() == {"salesforce": 0, "hubspot": 0}
    assert world.run_until_settled() == 1
    assert_healed(world)
    assert world.run_statuses()[0] == "crashed"  # not 'running' forever
    assert "running" not in world.run_statuses()
    calls = world.write_calls()
    assert calls["salesforce"] <= baseline["salesforce"] + BATCH_CALLS
    assert calls["hubspot"] <= baseline["hubspot"] + 1


def test_unacknowledged_creates_are_sent_again_as_the_same_upsert(crash_sandbox, tmp_path):
    """Killed after Salesforce created a batch but before the store knew: the rerun finds revloop's own
    records by their external id, upserts them again (no duplicate), and calls them created, not linked."""
    world = CrashWorld(crash_sandbox, tmp_path, seed=SEED)
    assert world.run("after_send").killed
    sent = set(in_flight(world, "write"))
    carrying = world.observed().carrying()
    created = {key for key in sent if key in carrying}
    assert created, "the first batch created nothing before the kill"

    world.run_until_settled()

    assert_healed(world)
    assert all(world.contact(key)["revloop_sync_status"] == "created" for key in created)
    assert all(world.observed().creates["Lead"].get(key, 0) <= 1 for key in created)


@pytest.mark.parametrize("seed", [101, 102, 103])
def test_random_kills_then_a_clean_run_lose_and_duplicate_nothing(crash_sandbox, tmp_path, seed):
    rng = random.Random(seed)
    world = CrashWorld(crash_sandbox, tmp_path, seed=seed)
    world.set_latency(80)  # a run takes a second or two after start-up: kills land anywhere in it
    kills = 0
    for _ in range(3):
        result = world.run(kill_after_s=rng.uniform(0.8, 3.2))
        assert result.killed or result.returncode in (0, 1), result.stderr[-2000:]
        kills += result.killed
        assert world.cursor_ahead() == set()

    world.set_latency(0)
    assert world.run_until_settled() == 1
    assert_healed(world)
    batches = math.ceil(len(world.source.qualifying) / 200)
    calls = world.write_calls()
    assert calls["salesforce"] <= BATCH_CALLS * (batches + kills)
    assert calls["hubspot"] <= math.ceil(len(world.source.qualifying) / 100) + kills


@pytest.mark.parametrize("point", ["after_send", "after_writeback_send"])
def test_a_crash_during_an_incremental_run_loses_no_update(crash_sandbox, tmp_path, point):
    """Titles change and cold contacts heat up; the update run dies; the rerun writes every change once,
    and the store still knows what it wrote (a later conflict rule must not mistake it for sales)."""
    world = CrashWorld(crash_sandbox, tmp_path, seed=SEED)
    world.run_until_settled()
    changes = world.change_contacts(random.Random(7), 150)

    assert world.run(point).killed
    assert world.cursor_ahead() == set()
    world.run_until_settled()

    assert_healed(world)
    ledger, observed = world.ledger(), world.observed()
    for key, values in changes.items():
        targets = ledger.active_targets(key)
        if key in world.ids_of(*INVALID_KINDS) or not targets or key not in world.source.qualifying:
            continue
        row = observed.people[targets[0].record_id]
        if ledger.written[key].get("Title") is not None:  # written on create: follows the source since
            assert row["Title"] == values["jobtitle"], key


def test_a_writeback_resent_after_a_crash_keeps_what_marketers_changed_since(crash_sandbox, tmp_path):
    """The writeback batch reached HubSpot, then the process died. Before the rerun re-sends it, a
    marketer moves some of those contacts on to 'opportunity': the re-send must not move them back."""
    world = CrashWorld(crash_sandbox, tmp_path, seed=SEED)
    assert world.run("after_writeback_send").killed
    sent = sorted(in_flight(world, "writeback"))
    moved = sent[:5]
    for key in moved:
        world.hs.touch("contacts", key, {"lifecyclestage": "opportunity"})

    world.run_until_settled()

    assert_healed(world)
    assert [world.contact(key)["lifecyclestage"] for key in moved] == ["opportunity"] * len(moved)
    assert {world.contact(key)["lifecyclestage"] for key in sent[5:]} == {"salesqualifiedlead"}
