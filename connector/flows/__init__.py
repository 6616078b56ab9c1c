"""The flows, one module per hop of the loop MA → SFA → CRM → MA."""

from __future__ import annotations

import importlib

from connector.errors import ConfigError

FLOWS = {
    "handoff": "connector.flows.handoff.flow:Handoff",  # MA → SFA: qualified leads become Salesforce Leads
}


def flow_class(kind: str) -> type:
    """The flow implementation for ``kind``; a ConfigError lists the known kinds."""
    if kind not in FLOWS:
        raise ConfigError(f"unknown flow kind {kind!r}; known flows: {', '.join(FLOWS)}")
    module_name, class_name = FLOWS[kind].split(":")
    return getattr(importlib.import_module(module_name), class_name)
