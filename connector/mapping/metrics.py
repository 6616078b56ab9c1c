"""Metrics and engagement: what a person did, counted the way ``[metrics]`` declares it.

Pure functions over one record's fields and activities. The flow puts the results in the context
(every metric name, plus ``engagement``) that rules, templates and ``from`` read.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from collections.abc import Mapping as Values
from typing import Any

from connector.mapping.compiled import Mapping
from connector.mapping.rules import as_number
from connector.records import Activity


def compute_metrics(
    mapping: Mapping, record_fields: Values[str, Any], activities: Iterable[Activity]
) -> dict[str, int | float]:
    """Every metric of ``mapping`` for one person.

    ``activities`` are that person's activities (the caller selects them by record id). An activity
    metric counts activities of its kind whose value contains ``contains`` (case-insensitive); a
    property metric reads a numeric source field. Missing or non-numeric values count as 0.
    """
    activities = tuple(activities)
    metrics: dict[str, int | float] = {}
    for name, metric in mapping.metrics.items():
        if metric.property is not None:
            metrics[name] = as_number(record_fields.get(metric.property))
            continue
        needle = (metric.contains or "").casefold()
        metrics[name] = sum(
            1
            for activity in activities
            if activity.kind == metric.activity and needle in activity.value.casefold()
        )
    return metrics


def describe_engagement(activities: Iterable[Activity], *, limit: int = 10) -> str:
    """A short, stable summary for sales: the most frequent (kind, value) pairs with their counts.

    Example: ``page_view /pricing ×3; form_fill Contact us ×1``. Ties keep the order of the most
    recent activity first. Empty when there were no activities.
    """
    ordered = sorted(activities, key=lambda activity: activity.at, reverse=True)
    counts = Counter((activity.kind, activity.value) for activity in ordered)
    top = sorted(counts.items(), key=lambda item: -item[1])[:limit]
    return "; ".join(f"{kind} {value} ×{count}" for (kind, value), count in top)
