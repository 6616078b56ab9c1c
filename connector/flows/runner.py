"""Runs one cycle of a flow: lock, run row, systems with their budgets, the flow, then the run's outcome.

The runner owns what every flow shares: only one process runs a flow at a time (flow lock), a
scheduled window runs once across replicas (run row), every system's daily budget starts from the
calls already spent today, and the run row records counts and API calls whatever happens.
"""

from __future__ import annotations

import logging
import os
import socket
import uuid
from collections.abc import Mapping

from sqlalchemy import Engine

from connector.config import Config, FlowSettings
from connector.errors import (
    ExitCode,
    FlowLockedError,
    RemoteError,
    SchemaDriftError,
)
from connector.flows import flow_class
from connector.flows.base import Flow, FlowSetup, RunContext
from connector.logs import redact
from connector.queries.runs import RunOutcome
from connector.state import open_store, runs
from connector.state.db import flow_lock
from connector.systems import build_system
from connector.systems.base import System

log = logging.getLogger(__name__)


def new_owner() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


def run_flow(
    config: Config, flow: str, *, window: str | None = None, engine: Engine | None = None
) -> RunOutcome:
    """Run one cycle of ``flow``. ``window`` names a schedule slot so replicas run it once."""
    settings = config.flow(flow)
    own_engine = engine is None
    engine = engine or open_store(config.state.engine_url())
    owner = new_owner()
    try:
        with flow_lock(engine, flow):
            return _locked_run(config, flow, settings, engine, owner, window)
    except FlowLockedError as exc:
        return RunOutcome(flow, "locked", {}, {}, str(exc))
    finally:
        if own_engine:  # a caller's engine is the caller's to close
            engine.dispose()


def build_setup(config: Config, flow: str, *, used_today: Mapping[str, int] | None = None) -> FlowSetup:
    """The flow's systems by role, each built once from its config table.

    ``used_today``: calls already spent today per system, so each daily budget starts where it is.
    """
    settings = config.flow(flow)
    used = used_today or {}
    built: dict[str, System] = {}
    for name in dict.fromkeys(settings.roles().values()):
        built[name] = build_system(name, config.system(name), used_today=used.get(name, 0))
    systems = {role: built[name] for role, name in settings.roles().items()}
    return FlowSetup(config=config, flow=flow, settings=settings, systems=systems)


def build_context(
    config: Config,
    flow: str,
    engine: Engine,
    *,
    run_id: int = 0,
    owner: str | None = None,
    used_today: Mapping[str, int] | None = None,
) -> RunContext:
    """The context a flow runs in; run_id 0 is for dry runs (previews) that record no run."""
    setup = build_setup(config, flow, used_today=used_today)
    return RunContext(
        config=config,
        flow=flow,
        settings=setup.settings,
        systems=setup.systems,
        engine=engine,
        run_id=run_id,
        owner=owner or new_owner(),
    )


def open_flow(context: RunContext) -> Flow:
    """The flow of the context's kind, ready to run or preview."""
    return flow_class(context.config.flow_kind(context.flow))(context)


def _locked_run(
    config: Config, flow: str, settings: FlowSettings, engine: Engine, owner: str, window: str | None
) -> RunOutcome:
    with engine.begin() as connection:
        paused = runs.pause_reason(connection, flow)
        used = {name: runs.calls_today(connection, name) for name in settings.roles().values()}
    if paused:
        return RunOutcome(
            flow, "paused", {}, {}, f"flow {flow} is paused: {paused} (revloop flows resume {flow})"
        )
    run_id = runs.start_run(engine, flow, window or f"manual:{uuid.uuid4().hex}", owner)
    if run_id is None:
        return RunOutcome(flow, "skipped", {}, {}, f"window {window} of flow {flow} already ran")
    runs.close_abandoned(engine, flow, run_id)
    context = build_context(config, flow, engine, run_id=run_id, owner=owner, used_today=used)
    status, message = "failed", ""
    try:
        open_flow(context).run()
        status = "record_errors" if context.counts["failed"] else "ok"
    except SchemaDriftError as exc:
        status, message = "paused", redact(exc)
        with engine.begin() as connection:
            runs.set_paused(connection, flow, message)
    except RemoteError as exc:
        status, message = ("stopped" if exc.exit_code == ExitCode.UNAVAILABLE else "failed"), redact(exc)
    except Exception as exc:
        message = redact(f"{type(exc).__name__}: {exc}")
        raise
    finally:
        runs.finish_run(
            engine,
            run_id,
            status=status,
            counts=context.counts,
            api_calls=context.api_calls(),
            message=message or None,
        )
        _log_outcome(flow, run_id, status, context, message)
    return RunOutcome(flow, status, dict(context.counts), context.api_calls(), message, run_id)


def _log_outcome(flow: str, run_id: int, status: str, context: RunContext, message: str) -> None:
    counts = ", ".join(f"{key}={value}" for key, value in sorted(context.counts.items())) or "nothing to do"
    calls = sum(sum(per.values()) for per in context.api_calls().values())
    level = logging.INFO if status in ("ok", "record_errors") else logging.WARNING
    log.log(
        level,
        "flow %s run %d %s: %s; %d API calls%s",
        flow,
        run_id,
        status,
        counts,
        calls,
        f"; {message}" if message else "",
        extra={"flow": flow, "run_id": run_id},
    )
