"""The system adapters, one module per SaaS, all behind :class:`connector.systems.base.System`."""

from __future__ import annotations

import importlib

from connector.config import SYSTEM_KINDS, SystemSettings
from connector.errors import ConfigError
from connector.systems.base import System
from connector.systems.guard import CallGuard, DailyBudget, TokenBucket

_ADAPTERS = {
    "salesforce": "connector.systems.salesforce:SalesforceSystem",
    "hubspot": "connector.systems.hubspot:HubSpotSystem",
    "marketo": "connector.systems.marketo:MarketoSystem",
}


def make_guard(kind: str, settings: SystemSettings, *, used_today: int = 0) -> CallGuard:
    """The call guard for one system, with the rate limits and daily budget from its config table."""
    buckets = {}
    if settings.rate_limit is not None:
        buckets["default"] = TokenBucket(settings.rate_limit.calls, settings.rate_limit.per_seconds)
    search = getattr(settings, "search_rate_limit", None)
    if search is not None:
        buckets["search"] = TokenBucket(search.calls, search.per_seconds)
    budget = DailyBudget(limit=settings.daily_budget, used=used_today, reserve=settings.quota_reserve)
    return CallGuard(kind, buckets=buckets, budget=budget)


def build_system(kind: str, settings: SystemSettings, *, used_today: int = 0) -> System:
    """Instantiate the adapter for ``kind`` from its validated settings."""
    if kind not in _ADAPTERS:
        raise ConfigError(f"unknown system {kind!r}; known systems: {', '.join(SYSTEM_KINDS)}")
    module_name, class_name = _ADAPTERS[kind].split(":")
    adapter = getattr(importlib.import_module(module_name), class_name)
    options = {"lag_s": settings.read_lag_s} if hasattr(settings, "read_lag_s") else {}
    return adapter(settings, make_guard(kind, settings, used_today=used_today), **options)
