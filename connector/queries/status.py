"""Each configured flow's status: enabled, disabled or paused (and why), records waiting, errors, review
cases, last run."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine

from connector.config import Config
from connector.queries import errors, review
from connector.queries.runs import last_run
from connector.state import outbox, runs


@dataclass(frozen=True)
class FlowStatus:
    flow: str
    source: str
    target: str
    schedule: str
    enabled: bool
    paused: str | None
    """Why the flow is paused (schema drift, an admin), or None when it is not."""
    waiting: dict[str, int]
    """Records waiting per outbox stage (pending and in flight; parked ones are not waiting)."""
    open_errors: int
    last_run: dict[str, Any] | None
    """The newest run row, or None when the flow never ran."""
    open_reviews: int = 0
    """Review cases waiting for an admin's decision (``revloop review list``)."""

    @property
    def state(self) -> str:
        """paused, enabled or disabled: a pause wins, since it stops even a manual run."""
        if self.paused:
            return "paused"
        return "enabled" if self.enabled else "disabled"


def flow_statuses(engine: Engine, config: Config) -> list[FlowStatus]:
    """The status of every flow in ``config``, in config order."""
    open_errors = errors.open_counts(engine)
    open_reviews = review.open_counts(engine)
    statuses = []
    with engine.connect() as connection:
        for name, flow in config.flows.items():
            statuses.append(
                FlowStatus(
                    flow=name,
                    source=flow.source,
                    target=flow.target,
                    schedule=flow.schedule,
                    enabled=flow.enabled,
                    paused=runs.pause_reason(connection, name),
                    waiting=outbox.counts(connection, name),
                    open_errors=open_errors.get(name, 0),
                    last_run=last_run(engine, name),
                    open_reviews=open_reviews.get(name, 0),
                )
            )
    return statuses
