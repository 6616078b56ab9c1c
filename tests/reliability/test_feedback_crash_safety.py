"""Crash safety of the feedback (reliability.md): kill a real `revloop run feedback`, run again, check.

Each test builds a world (``feedback_crash_world``: 250 people handed off, then worked by sales: statuses,
disqualifications, conversions with an opportunity), SIGKILLs a real ``revloop run feedback`` at a named
crash point or at a random moment, checks right after the kill that no stream's cursor passed a person the
store does not hold, runs again until nothing waits, and checks every contact against the oracle: nothing
lost, nothing created, the nurture list exact. Re-sends are bounded to the batch in flight.
"""

from __future__ import annotations

import random

import pytest
from feedback_crash_world import FeedbackWorld

pytest_plugins = ("conftest_crash",)
pytestmark = pytest.mark.slow

SEED = 5
POINTS = ["after_accept", "after_claim:2", "after_send", "after_send:2", "after_commit", "after_nurture_send"]


@pytest.fixture(scope="module")
def baseline(crash_sandbox, tmp_path_factory) -> int:
    """HubSpot write calls of an uninterrupted feedback run of the SEED world (which must check clean)."""
    world = FeedbackWorld(crash_sandbox, tmp_path_factory.mktemp("baseline"), SEED)
    world.hs.reset_calls()
    assert world.run_until_settled() == 1
    assert world.problems() == []
    return world.write_calls()


@pytest.mark.parametrize("point", POINTS)
def test_a_kill_at_a_crash_point_is_healed_by_one_clean_run(crash_sandbox, tmp_path, baseline, point):
    world = FeedbackWorld(crash_sandbox, tmp_path, SEED)
    world.hs.reset_calls()

    assert world.run(point), f"{point} was never reached: {world.stderr[-2000:]}"
    assert world.cursor_ahead() == set(), "a cursor passed people the store does not hold"
    if point == "after_accept":
        assert world.write_calls() == 0
    assert world.run_until_settled() == 1

    assert world.problems() == []
    assert world.write_calls() <= baseline + 1  # only the batch in flight is sent again


@pytest.mark.parametrize("seed", [21, 22])
def test_random_kills_then_a_clean_run_lose_and_duplicate_nothing(crash_sandbox, tmp_path, seed):
    rng = random.Random(seed)
    world = FeedbackWorld(crash_sandbox, tmp_path, seed)
    for fake in (world.sf, world.hs):
        fake.set_knobs(latency_ms=40)
    for _ in range(3):
        world.run(kill_after_s=rng.uniform(0.8, 2.5))
        assert world.cursor_ahead() == set()
    for fake in (world.sf, world.hs):
        fake.set_knobs(latency_ms=0)

    world.run_until_settled()

    assert world.problems() == []
