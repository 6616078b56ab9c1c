"""The scheduled daemon: the only module that imports APScheduler (3.x).

Each replica's scheduler is only a ticker. PostgreSQL decides who runs: a flow's schedule slot is a
run row that only one replica can insert, and a flow lock keeps a slow run from overlapping the next.
Slots are aligned to the clock (intervals to the epoch, cron to the minute) so every replica names the
same slot the same way.
"""

from __future__ import annotations

import logging
import os
import signal
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine

from connector.config import Config
from connector.flows.runner import run_flow
from connector.schedule import parse_schedule
from connector.state import open_store

log = logging.getLogger(__name__)

HEARTBEAT_ENV = "REVLOOP_HEARTBEAT_FILE"
DEFAULT_HEARTBEAT = "/tmp/revloop-daemon.heartbeat"
HEARTBEAT_EVERY_S = 30


def heartbeat_path() -> Path:
    return Path(os.environ.get(HEARTBEAT_ENV, DEFAULT_HEARTBEAT))


def window_for(schedule_text: str, now: datetime) -> str:
    """The slot a firing at ``now`` belongs to, identical on every replica."""
    schedule = parse_schedule(schedule_text)
    if schedule.interval_s:
        slot = int(now.timestamp()) // schedule.interval_s * schedule.interval_s
        return datetime.fromtimestamp(slot, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return now.strftime("%Y-%m-%dT%H:%MZ")


def _trigger(schedule_text: str):
    schedule = parse_schedule(schedule_text)
    if schedule.interval_s:
        return IntervalTrigger(seconds=schedule.interval_s, start_date=datetime(2020, 1, 1, tzinfo=UTC))
    return CronTrigger.from_crontab(schedule.cron, timezone="UTC")


def _tick(config: Config, flow: str, engine: Engine) -> None:
    window = window_for(config.flows[flow].schedule, datetime.now(UTC))
    try:
        outcome = run_flow(config, flow, window=window, engine=engine)
    except Exception:  # a crashed run must not stop the scheduler; the run row says what happened
        log.exception("flow %s window %s crashed", flow, window, extra={"flow": flow})
        return
    if outcome.status in ("skipped", "locked"):
        log.info("flow %s window %s: %s", flow, window, outcome.message, extra={"flow": flow})


def serve(config: Config, *, stop: threading.Event | None = None) -> None:
    """Run every enabled flow on its schedule until SIGTERM/SIGINT (or ``stop`` is set)."""
    engine = open_store(config.state.url)  # migrations before the first tick; one pool for every tick
    stop = stop or threading.Event()
    scheduler = BackgroundScheduler(timezone="UTC", job_defaults={"coalesce": True, "max_instances": 1})
    enabled = [name for name, flow in config.flows.items() if flow.enabled]
    for name in enabled:
        scheduler.add_job(
            _tick, _trigger(config.flows[name].schedule), args=(config, name, engine), id=name, name=name
        )
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    scheduler.start()
    log.info(
        "daemon started: %s", ", ".join(f"{n} ({config.flows[n].schedule})" for n in enabled) or "no flows"
    )
    try:
        while not stop.is_set():
            heartbeat_path().write_text(str(time.time()))
            stop.wait(HEARTBEAT_EVERY_S)
    finally:
        scheduler.shutdown(wait=True)
        engine.dispose()
        log.info("daemon stopped")


def healthy(max_age_s: float) -> bool:
    """True when the daemon wrote its heartbeat within ``max_age_s`` seconds."""
    try:
        return time.time() - float(heartbeat_path().read_text()) <= max_age_s
    except (OSError, ValueError):
        return False
