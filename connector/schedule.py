"""Flow schedules: ``every 90s`` / ``every 10m`` / ``every 2h``, or a five-field cron expression (UTC)."""

from __future__ import annotations

import re
from dataclasses import dataclass

_EVERY = re.compile(r"^every\s+(\d+)\s*([smh])$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600}
_LONGEST_S = 31 * 24 * 3600  # longer is likely a typo, and huge values overflow the scheduler (OverflowError)


@dataclass(frozen=True)
class Schedule:
    interval_s: int | None = None
    cron: str | None = None


def parse_schedule(text: str) -> Schedule:
    """Parse a schedule; raise ValueError saying what is accepted."""
    text = text.strip()
    match = _EVERY.match(text)
    if match:
        seconds = int(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        if seconds < 10:
            raise ValueError(f"{text!r}: the shortest interval is 10 seconds")
        if seconds > _LONGEST_S:
            raise ValueError(f"{text!r}: the longest interval is 744h (31 days); use cron for rarer runs")
        return Schedule(interval_s=seconds)
    from apscheduler.triggers.cron import CronTrigger

    try:
        CronTrigger.from_crontab(text, timezone="UTC")
    except ValueError as exc:
        raise ValueError(
            f"{text!r} is neither 'every <N>s|m|h' nor a five-field cron expression ({exc})"
        ) from None
    return Schedule(cron=text)
