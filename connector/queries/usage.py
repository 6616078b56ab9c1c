"""API usage: the calls revloop spent per system and UTC day (what daily budgets are measured against)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import Engine, select

from connector.state.db import utcnow
from connector.state.tables import api_usage


@dataclass(frozen=True)
class DailyUsage:
    system: str
    day: str
    """YYYY-MM-DD, UTC."""
    calls: int


def api_usage_by_day(engine: Engine, *, days: int = 7) -> list[DailyUsage]:
    """Calls per system and day over the last ``days`` UTC days (today included), newest day first."""
    since = (utcnow() - timedelta(days=days - 1)).strftime("%Y-%m-%d")
    query = (
        select(api_usage.c.system, api_usage.c.day, api_usage.c.calls)
        .where(api_usage.c.day >= since)
        .order_by(api_usage.c.day.desc(), api_usage.c.system)
    )
    with engine.connect() as connection:
        return [DailyUsage(*row) for row in connection.execute(query)]
