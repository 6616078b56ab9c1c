"""The daemon's heartbeat: one file per store (not one /tmp file per host), written by a scheduler job,
found by `revloop health` and `python -m connector.heartbeat` from the config."""

from __future__ import annotations

import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from connector import heartbeat, store_url
from connector.config import Config, StateSettings
from connector.daemon import RunWatch, beat_unless_hung, build_scheduler, heartbeat_path, next_runs
from connector.state import open_store


@pytest.fixture(autouse=True)
def _no_override(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(heartbeat.HEARTBEAT_ENV, raising=False)


def test_the_heartbeat_lives_beside_the_sqlite_store_or_where_configured(tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)

    assert heartbeat.locate(f"sqlite:///{tmp_path}/a/state.db") == tmp_path / "a" / "state.db.heartbeat"
    assert heartbeat.locate("sqlite:///revloop.db") == Path("revloop.db.heartbeat")
    assert heartbeat.locate("postgresql+psycopg://u:pw@db:5432/r") == Path("revloop-daemon.heartbeat")
    configured = heartbeat.locate("postgresql://db/r", Path("beats/hb"), tmp_path / "etc")
    assert configured == tmp_path / "etc" / "beats" / "hb"
    assert heartbeat.locate("postgresql://db/r", Path("/run/hb"), tmp_path) == Path("/run/hb")
    monkeypatch.setenv(heartbeat.HEARTBEAT_ENV, "/elsewhere/hb")
    assert heartbeat.locate(f"sqlite:///{tmp_path}/state.db") == Path("/elsewhere/hb")


def test_two_stores_have_two_heartbeats(tmp_path) -> None:
    first = heartbeat.locate(f"sqlite:///{tmp_path}/one/revloop.db")
    second = heartbeat.locate(f"sqlite:///{tmp_path}/two/revloop.db")

    assert first != second and not str(first).startswith("/tmp/revloop-daemon")


def test_the_config_file_names_it_without_being_loaded(tmp_path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[state]\nurl = "sqlite:///{tmp_path}/s.db"\n[flows.x]\nbroken = true\n')
    assert heartbeat.locate_for_config_file(config) == tmp_path / "s.db.heartbeat"

    config.write_text('[state]\nurl = "postgresql://db/r"\n[daemon]\nheartbeat_file = "hb"\n')
    assert heartbeat.locate_for_config_file(config) == tmp_path / "hb"

    assert heartbeat.locate_for_config_file(tmp_path / "absent.toml") == Path("revloop.db.heartbeat")
    assert StateSettings().url == store_url.DEFAULT_URL


def config_for(tmp_path: Path, **flows) -> Config:
    config = Config.model_validate({"state": {"url": f"sqlite:///{tmp_path}/state.db"}, "flows": flows})
    config._path = tmp_path / "config.toml"
    return config


def test_the_scheduler_beats_from_its_executor_and_stops_beating_when_it_stops_working(
    tmp_path, monkeypatch
) -> None:
    config = config_for(tmp_path)
    beats: list[str] = []
    real_beat = heartbeat.beat
    monkeypatch.setattr(
        heartbeat, "beat", lambda path: (beats.append(threading.current_thread().name), real_beat(path))
    )
    engine = open_store(config.state.url)
    path = heartbeat_path(config)
    scheduler = build_scheduler(config, engine, path, beat_every_s=0.2)
    scheduler.start()
    try:
        deadline = time.monotonic() + 10
        while len(beats) < 3:
            assert time.monotonic() < deadline, "no heartbeat"
            time.sleep(0.05)
        assert path == tmp_path / "state.db.heartbeat" and heartbeat.fresh(path, 1)
        assert threading.main_thread().name not in beats  # a job of the scheduler wrote every beat

        scheduler.pause()  # the scheduler stops running jobs, as when it hangs: the beat goes stale
        time.sleep(1.2)
        assert not heartbeat.fresh(path, 1)
    finally:
        scheduler.shutdown(wait=True)
        engine.dispose()


def test_the_start_message_names_each_flows_next_run_in_utc(tmp_path) -> None:
    (tmp_path / "m.toml").write_text("")
    handoff = {"mapping": "m.toml", "source": "hubspot", "target": "salesforce", "schedule": "every 10m"}
    other = {
        "kind": "handoff",
        "enabled": False,
        "mapping": "m.toml",
        "source": "marketo",
        "target": "salesforce",
    }
    flows = {"handoff": handoff, "other": other}
    config = config_for(tmp_path, **flows)
    engine = open_store(config.state.url)
    scheduler = build_scheduler(config, engine, tmp_path / "hb")
    scheduler.start(paused=True)
    try:
        message = next_runs(config, scheduler)
    finally:
        scheduler.shutdown(wait=False)
        engine.dispose()

    assert (
        message.startswith("handoff (every 10m): next run 20")
        and " UTC; other (every 10m): disabled" in message
    )


def test_python_m_connector_heartbeat_is_the_cheap_health_check(tmp_path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(f'[state]\nurl = "sqlite:///{tmp_path}/s.db"\n')
    command = [sys.executable, "-m", "connector.heartbeat", "--config", str(config), "--max-age", "60"]

    missing = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    heartbeat.beat(tmp_path / "s.db.heartbeat")
    fresh = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    imported = subprocess.run(
        [sys.executable, "-c", "import sys, connector.heartbeat; print(sorted(sys.modules))"],
        capture_output=True, text=True, timeout=30, check=True,
    )  # fmt: skip

    assert missing.returncode == 1 and str(tmp_path / "s.db.heartbeat") in missing.stderr
    assert fresh.returncode == 0, fresh.stderr
    for heavy in ("sqlalchemy", "pydantic", "click", "rich", "apscheduler"):
        assert heavy not in imported.stdout


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_run_past_max_run_s_is_hung_and_only_while_it_runs() -> None:
    clock = FakeClock()
    watch = RunWatch(max_run_s=60, clock=clock)

    with watch.running("handoff"):
        clock.now += 59
        assert watch.hung() == {}
        clock.now += 2
        assert watch.hung() == {"handoff": 61}
    assert watch.hung() == {}


def test_a_hung_run_stops_the_heartbeat_and_says_which_flow(tmp_path, caplog) -> None:
    clock = FakeClock()
    watch = RunWatch(max_run_s=60, clock=clock)
    path = tmp_path / "daemon.heartbeat"

    beat_unless_hung(path, watch)
    assert heartbeat.fresh(path, 1)
    path.unlink()
    with watch.running("won_deals"):
        clock.now += 61
        beat_unless_hung(path, watch)
    assert not path.exists()  # no beat while a run hangs: the health check turns red
    assert "flow won_deals has been running for 61s (max_run_s 60): hung" in caplog.text
    beat_unless_hung(path, watch)
    assert heartbeat.fresh(path, 1)  # the run ended: beats again
