"""The scheduled daemon: the only module that imports APScheduler (3.x).

Each replica's scheduler is only a ticker. PostgreSQL decides who runs: a flow's schedule slot is a
run row that only one replica can insert, and a flow lock keeps a slow run from overlapping the next.
Slots are aligned to the clock (intervals to the epoch, cron to the minute) so every replica names the
same slot the same way.
"""

from __future__ import annotations

import logging
import signal
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import Engine

from connector import heartbeat
from connector.config import Config
from connector.errors import RevloopError
from connector.flows.runner import run_flow
from connector.logs import redact
from connector.schedule import parse_schedule
from connector.state import open_store

log = logging.getLogger(__name__)

HEARTBEAT_JOB = "heartbeat"


def heartbeat_path(config: Config) -> Path:
    """This daemon's heartbeat file (see connector.heartbeat)."""
    folder = config.path.parent if config.path else None
    return heartbeat.locate(config.state.url, config.daemon.heartbeat_file, folder)


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


class RunWatch:
    """Which flows this daemon is running, since when: the heartbeat stops while one is hung."""

    def __init__(self, max_run_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.max_run_s = max_run_s
        self.clock = clock
        self._started: dict[str, float] = {}
        self._lock = threading.Lock()

    @contextmanager
    def running(self, flow: str) -> Iterator[None]:
        with self._lock:
            self._started[flow] = self.clock()
        try:
            yield
        finally:
            with self._lock:
                self._started.pop(flow, None)

    def hung(self) -> dict[str, float]:
        """Flows running longer than ``max_run_s``, with their seconds so far."""
        now = self.clock()
        with self._lock:
            running = {flow: now - started for flow, started in self._started.items()}
        return {flow: seconds for flow, seconds in running.items() if seconds > self.max_run_s}


def _tick(config: Config, flow: str, engine: Engine, watch: RunWatch) -> None:
    window = window_for(config.flows[flow].schedule, datetime.now(UTC))
    try:
        with watch.running(flow):
            outcome = run_flow(config, flow, window=window, engine=engine)
    except RevloopError as exc:  # a refused run (a broken mapping, a refused address): its reason only
        log.error("flow %s window %s failed: %s", flow, window, redact(exc), extra={"flow": flow})
        return
    except Exception:  # a crashed run must not stop the scheduler; the run row says what happened
        log.exception("flow %s window %s crashed", flow, window, extra={"flow": flow})
        return
    if outcome.status in ("skipped", "locked"):
        log.info("flow %s window %s: %s", flow, window, outcome.message, extra={"flow": flow})


def beat_unless_hung(path: Path, watch: RunWatch) -> None:
    hung = watch.hung()
    if hung:  # no beat: the health check turns red and the orchestrator restarts the daemon
        for flow, seconds in hung.items():
            log.error("flow %s has been running for %.0fs (max_run_s %.0f): hung; heartbeat stopped",
                      flow, seconds, watch.max_run_s, extra={"flow": flow})  # fmt: skip
        return
    try:
        heartbeat.beat(path)
    except OSError as exc:  # the health check turns red; say why
        log.error("cannot write the heartbeat file %s: %s", path, exc)


def build_scheduler(
    config: Config, engine: Engine, heartbeat_file: Path, *, beat_every_s: float = heartbeat.EVERY_S
) -> BackgroundScheduler:
    """A scheduler (not started) with a job per enabled flow and the heartbeat job.

    The heartbeat is a job on the flows' executor, not the main thread's loop, so a scheduler or an
    executor that stops running jobs stops the heartbeat, and so does a run hung past
    ``[daemon] max_run_s``. The executor has a worker per flow and one more: a flow runs one instance
    at a time, so a long run never starves the heartbeat.
    """
    watch = RunWatch(config.daemon.max_run_s)
    enabled = [name for name, flow in config.flows.items() if flow.enabled]
    scheduler = BackgroundScheduler(
        timezone="UTC",
        executors={"default": ThreadPoolExecutor(max_workers=len(enabled) + 1)},
        job_defaults={"coalesce": True, "max_instances": 1},
    )
    scheduler.add_job(
        beat_unless_hung,
        IntervalTrigger(seconds=beat_every_s),
        args=(heartbeat_file, watch),
        id=HEARTBEAT_JOB,
        name=HEARTBEAT_JOB,
        next_run_time=datetime.now(UTC),  # beat at once: the health check is green as soon as it can be
    )
    for name in enabled:
        scheduler.add_job(
            _tick,
            _trigger(config.flows[name].schedule),
            args=(config, name, engine, watch),
            id=name,
            name=name,
        )
    return scheduler


def next_runs(config: Config, scheduler: BackgroundScheduler) -> str:
    """Each flow's schedule and next run time (UTC), for the start-up message."""
    parts = []
    for name, flow in config.flows.items():
        job = scheduler.get_job(name)
        when = f"next run {job.next_run_time.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC" if job else "disabled"
        parts.append(f"{name} ({flow.schedule}): {when}")
    return "; ".join(parts) or "no flows"


def serve(config: Config, *, stop: threading.Event | None = None) -> None:
    """Run every enabled flow on its schedule until SIGTERM/SIGINT (or ``stop`` is set)."""
    engine = open_store(config.state.engine_url())  # migrations first; one pool for every tick
    stop = stop or threading.Event()
    beat_file = heartbeat_path(config)
    scheduler = build_scheduler(config, engine, beat_file)
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: stop.set())
    scheduler.start()
    log.info("daemon started: %s; heartbeat %s", next_runs(config, scheduler), beat_file)
    try:
        while not stop.wait(60):
            pass
    finally:
        scheduler.shutdown(wait=True)
        engine.dispose()
        log.info("daemon stopped")
