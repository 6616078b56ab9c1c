"""A run that opens the state store closes it: a daemon ticking for weeks must not pile up connections."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import text

from connector.flows.runner import run_flow


def _backends(env) -> set[int]:
    with env.engine.connect() as connection:
        return set(
            connection.execute(
                text("SELECT pid FROM pg_stat_activity WHERE datname = current_database()")
            ).scalars()
        )


def test_runs_without_a_given_engine_leave_no_connections_behind(env, store_url) -> None:
    if not store_url.startswith("postgresql"):
        pytest.skip("SQLite connections are not pooled")
    env.contact(email="res@example.com", lastname="Res", company="R", hubspotscore="90")
    before = _backends(env)

    for _ in range(3):
        assert run_flow(env.config, "handoff").status == "ok"

    deadline = time.monotonic() + 5  # a closed connection's backend exits a moment later
    while (left := _backends(env) - before) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert left == set()
