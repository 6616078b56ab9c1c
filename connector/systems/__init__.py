"""The systems registry: one line per vendor subpackage. Config, runner and sandbox config find systems here.

Each subpackage declares a :class:`~connector.systems.base.SystemSpec` (its settings model, its adapter,
how to point it at its fake); importing this registry imports no vendor client library.
"""

from __future__ import annotations

from collections.abc import Mapping

from connector.errors import ConfigError
from connector.settings import SystemSettings
from connector.systems import hubspot, marketo, salesforce
from connector.systems.base import System, SystemSpec
from connector.systems.guard import CallGuard, DailyBudget, TokenBucket

SYSTEMS: Mapping[str, SystemSpec] = {
    spec.kind: spec
    for spec in (
        salesforce.SPEC,
        hubspot.SPEC,
        marketo.SPEC,
    )
}
"""Every known system by kind, in the order config tables are documented and written."""


def system_spec(kind: str) -> SystemSpec:
    if kind not in SYSTEMS:
        raise ConfigError(f"unknown system {kind!r}; known systems: {', '.join(SYSTEMS)}")
    return SYSTEMS[kind]


def kind_of(settings: SystemSettings) -> str:
    """The registered kind whose settings model validated ``settings``."""
    for kind, spec in SYSTEMS.items():
        if type(settings) is spec.settings:
            return kind
    raise ConfigError(f"{type(settings).__name__} is not the settings model of a registered system")


def make_guard(kind: str, settings: SystemSettings, *, used_today: int = 0) -> CallGuard:
    """The call guard for one system, with the rate limits and daily budget from its config table."""
    buckets = {
        name: TokenBucket(limit.calls, limit.per_seconds) for name, limit in settings.rate_buckets().items()
    }
    budget = DailyBudget(limit=settings.daily_budget, used=used_today, reserve=settings.quota_reserve)
    return CallGuard(kind, buckets=buckets, budget=budget)


def build_system(name: str, settings: SystemSettings, *, used_today: int = 0) -> System:
    """Instantiate the adapter for the system configured as ``name`` from its validated settings.

    ``name`` is the config table's name ([hubspot], or [systems.crm]): it keys the system's records,
    cursors and API usage in the state store, so two portals of one kind never share them.
    """
    adapter = system_spec(kind_of(settings)).adapter_class()
    system = adapter(
        settings, make_guard(name, settings, used_today=used_today), **settings.adapter_keywords()
    )
    system.name = name
    return system
