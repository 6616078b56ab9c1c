"""API calls per system and UTC day, over the last days only."""

from __future__ import annotations

from datetime import timedelta

from connector.queries.usage import DailyUsage, api_usage_by_day
from connector.state import runs
from connector.state.db import utcnow


def _spend(engine, monkeypatch, days_ago: int, system: str, calls: int) -> str:
    """Record ``calls`` as the run repository does, on a day ``days_ago`` before today."""
    moment = utcnow() - timedelta(days=days_ago)
    with monkeypatch.context() as patch, engine.begin() as connection:
        patch.setattr(runs, "utcnow", lambda: moment)
        runs.add_api_usage(connection, system, calls)
    return moment.strftime("%Y-%m-%d")


def test_usage_per_system_and_day_newest_day_first(engine, monkeypatch) -> None:
    today = _spend(engine, monkeypatch, 0, "salesforce", 5)
    _spend(engine, monkeypatch, 0, "salesforce", 7)  # the same day adds up
    _spend(engine, monkeypatch, 0, "hubspot", 3)
    yesterday = _spend(engine, monkeypatch, 1, "salesforce", 11)
    _spend(engine, monkeypatch, 7, "salesforce", 99)  # outside the default week

    assert api_usage_by_day(engine) == [
        DailyUsage("hubspot", today, 3),
        DailyUsage("salesforce", today, 12),
        DailyUsage("salesforce", yesterday, 11),
    ]
    assert api_usage_by_day(engine, days=1) == [
        DailyUsage("hubspot", today, 3),
        DailyUsage("salesforce", today, 12),
    ]


def test_no_usage_is_an_empty_list(engine) -> None:
    assert api_usage_by_day(engine) == []
