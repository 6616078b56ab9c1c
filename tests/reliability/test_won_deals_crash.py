"""Crash safety of won deals: kill a real `revloop run won_deals` at each crash point or at random, run
again until settled, and check that no won opportunity is lost and no deal, company, line item, product
or person is created twice (the CRM fake counts creates per unique key, archived records included)."""

from __future__ import annotations

import random

import pytest
from won_crash_world import UNIQUE, WonWorld

pytest_plugins = ("conftest_crash",)
pytestmark = pytest.mark.slow

SEED = 5
AT_KILL = {  # crash point: a batch was in flight when the process died (sent, not recorded)
    "after_accept": False,
    "after_accept:2": False,
    "after_deals_send": True,
    "after_deals_send:2": True,
    "after_deals_commit": False,
    "after_lines_send": True,
    "after_lines_send:2": True,
    "after_people_send": True,
}


def assert_healed(world: WonWorld) -> None:
    report = world.check()
    assert report.ok, str(report)
    won = sum(1 for sale in world.sales if sale.stage == "Closed Won")
    assert len(report.synced) == won
    assert world.errors() == {}


@pytest.fixture(scope="module")
def baseline(crash_sandbox, tmp_path_factory) -> dict[str, int]:
    """An uninterrupted first sync of the SEED world: it checks clean, and how many records it created."""
    world = WonWorld(crash_sandbox, tmp_path_factory.mktemp("won-baseline"), seed=SEED)
    assert world.run_until_settled() == 1
    assert_healed(world)
    return {obj: len(world.hs.creates_per_key(obj, prop)) for obj, prop in UNIQUE.items()}


@pytest.mark.parametrize("point", list(AT_KILL))
def test_a_kill_at_a_crash_point_is_healed_by_clean_runs(crash_sandbox, tmp_path, baseline, point):
    world = WonWorld(crash_sandbox, tmp_path, seed=SEED)

    killed = world.run(point)

    assert killed.killed, f"{point} was never reached: {killed.stderr[-2000:]}"
    assert bool(world.in_flight()) is AT_KILL[point]
    if point == "after_accept":
        assert world.hs.dump_state()["deals"] == []  # queued with the cursor, nothing written yet
    elif AT_KILL[point]:
        assert world.hs.dump_state()["deals"]  # the CRM took writes the store never recorded
    world.run_until_settled()
    assert_healed(world)
    created = {obj: len(world.hs.creates_per_key(obj, prop)) for obj, prop in UNIQUE.items()}
    assert created == baseline  # the same records as an uninterrupted run, each created once


@pytest.mark.parametrize("seed", [201, 202])
def test_random_kills_then_clean_runs_lose_and_duplicate_nothing(crash_sandbox, tmp_path, seed):
    rng = random.Random(seed)
    world = WonWorld(crash_sandbox, tmp_path, seed=seed)
    world.set_latency(60)
    for _ in range(3):
        result = world.run(kill_after_s=rng.uniform(1.0, 3.5))
        assert result.killed or result.returncode in (0, 1), result.stderr[-2000:]
    world.set_latency(0)

    world.run_until_settled()

    assert_healed(world)


@pytest.mark.parametrize("point", ["after_deals_send", "after_lines_send", "after_deals_commit"])
def test_a_crash_while_won_deals_change_loses_no_change(crash_sandbox, tmp_path, point):
    """After the first sync, sales change quantities, add and delete line items; the run dies; the
    rerun brings every deal back in line with Salesforce, archiving what was deleted."""
    world = WonWorld(crash_sandbox, tmp_path, seed=SEED)
    world.run_until_settled()
    world.sf.advance_clock(5)
    lines = world.sf.dump_state()["OpportunityLineItem"]
    for line in random.Random(3).sample(lines, 40):
        if line["Quantity"] > 2:
            world.sf.delete("OpportunityLineItem", line["Id"])
        else:
            world.sf.touch("OpportunityLineItem", line["Id"], {"Quantity": line["Quantity"] + 3})

    assert world.run(point).killed
    world.run_until_settled()

    assert_healed(world)
