"""The flow kinds, one folder per kind; this registry is the one place that names them.

A new flow kind is a folder under ``connector/flows/`` whose package exports a class implementing
:class:`connector.flows.base.Flow`, plus one line here.
"""

from __future__ import annotations

import importlib

from connector.errors import ConfigError

FLOW_KINDS = {
    "handoff": "connector.flows.handoff:Handoff",  # MA → SFA: qualified leads become Salesforce Leads
    "feedback": "connector.flows.feedback:Feedback",  # SFA → MA: sales' progress goes back to the MA
    "won_deals": "connector.flows.won_deals:WonDeals",  # SFA → CRM: won opportunities become deals, customers
}


def known_kinds() -> tuple[str, ...]:
    return tuple(FLOW_KINDS)


def flow_class(kind: str) -> type:
    """The flow implementation for ``kind``; a ConfigError lists the known kinds."""
    if kind not in FLOW_KINDS:
        raise ConfigError(f"unknown flow kind {kind!r}; known flows: {', '.join(FLOW_KINDS)}")
    module_name, class_name = FLOW_KINDS[kind].split(":")
    return getattr(importlib.import_module(module_name), class_name)


def counter_order() -> tuple[str, ...]:
    """Every registered kind's counters in report order (a kind lists its most telling counts first)."""
    order: dict[str, None] = {}
    for kind in FLOW_KINDS:
        order.update(dict.fromkeys(flow_class(kind).counters))
    return tuple(order)
