"""A ready-to-use config for a running sandbox: base URLs, its CA bundle and credentials in secret files.

Each system's table comes from the systems registry: its subpackage declares, in its ``SPEC.sandbox``,
which keys hold the fake's URLs and which secrets come from the fake's credentials, so a new system
needs no line here.
"""

from __future__ import annotations

import importlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from connector.sandbox.server import Sandbox
from connector.systems import SYSTEMS
from connector.systems.base import SystemSpec


def shipped_mappings_dir() -> Path:
    """The mappings shipped with revloop (installed as package data, or the checkout's mappings/)."""
    try:
        # A folder without __init__.py: a namespace package, whose __path__ lists its one folder.
        return Path(next(iter(importlib.import_module("connector.shipped_mappings").__path__)))
    except ModuleNotFoundError:  # a source checkout or editable install: the repo's own folder
        return Path(__file__).resolve().parents[2] / "mappings"


Settings = Mapping[str, tuple[Any, str]]
"""Keys of one system table: key → (value, why it is set)."""


def write_sandbox_config(
    sandbox: Sandbox,
    path: Path,
    *,
    state_url: str | None = None,
    settings: Mapping[str, Settings] | None = None,
) -> Path:
    """Write a config for ``sandbox`` to ``path``; credentials go to 0600 files beside it.

    ``settings``: more keys for system tables, by system kind (the demo's Marketo initial load).
    """
    secrets_dir = path.parent / "secrets"
    secrets_dir.mkdir(parents=True, exist_ok=True)
    secrets_dir.chmod(0o700)
    state_url = state_url or f"sqlite:///{(path.parent / 'revloop.db').resolve()}"
    extra = settings or {}
    tables = [
        _system_table(spec, sandbox, secrets_dir, extra.get(kind, {}))
        for kind, spec in SYSTEMS.items()
        if kind in sandbox.fakes
    ]
    mappings = shipped_mappings_dir()
    flows = _FLOWS.format(
        hubspot_mapping=mappings / "handoff" / "hubspot__salesforce.toml",
        marketo_mapping=mappings / "handoff" / "marketo__salesforce.toml",
        feedback_mapping=mappings / "feedback" / "salesforce__hubspot.toml",
        marketo_feedback_mapping=mappings / "feedback" / "salesforce__marketo.toml",
        won_deals_mapping=mappings / "won_deals" / "salesforce__hubspot.toml",
    )
    path.write_text(
        _HEADER + f"[state]\nurl = {_toml(state_url)}\n\n" + "\n".join(tables) + "\n" + flows,
        encoding="utf-8",
    )
    return path


def _system_table(spec: SystemSpec, sandbox: Sandbox, secrets_dir: Path, extra: Settings) -> str:
    """The [kind] table pointing at the system's fake, its credentials written to secret files."""
    setup, url = spec.sandbox, sandbox.url(spec.kind)
    lines = [f"[{spec.kind}]"]
    lines += [f"{key} = {_toml(url + suffix)}" for key, suffix in setup.urls.items()]
    lines += [
        f"ca_bundle = {_toml(str(sandbox.ca_bundle.resolve()))}",
        _commented("allow_private_network = true", f"the sandbox listens on {_host(url)}"),
    ]
    credentials = sandbox.service(spec.kind).issue_credentials()
    for name, file_name in setup.secret_files.items():
        secret_file = _secret_file(secrets_dir, file_name, credentials[name])
        lines.append(f"{name}_file = {_toml(str(secret_file.resolve()))}")
    keys = {**setup.settings, **extra}
    lines += [_commented(f"{key} = {_toml(value)}", why) for key, (value, why) in keys.items()]
    return "\n".join(lines) + "\n"


def _secret_file(directory: Path, name: str, value: str) -> Path:
    path = directory / name
    path.write_text(value + "\n", encoding="utf-8")
    path.chmod(0o600)
    return path


def _toml(value: Any) -> str:
    """A TOML value: strings as basic strings (JSON escapes are valid TOML), booleans, numbers."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return json.dumps(value) if isinstance(value, str) else str(value)


def _commented(line: str, why: str) -> str:
    return f"{line:<36}# {why}" if why else line


def _host(url: str) -> str:
    return url.split("//", 1)[-1].rsplit(":", 1)[0]


_HEADER = """\
# revloop config for the local sandbox (written by `revloop sandbox` / `revloop demo`).
# Every system points at a local HTTPS fake; credentials live in the 0600 files under secrets/.
# See config.example.toml for every key with its documentation.

"""

_FLOWS = """\
[flows.handoff]                      # HubSpot contacts that qualify become Salesforce Leads
source = "hubspot"
target = "salesforce"
mapping = "{hubspot_mapping}"
schedule = "every 5m"

[flows.marketo_handoff]              # Marketo leads that qualify become Salesforce Leads
kind = "handoff"
source = "marketo"
target = "salesforce"
mapping = "{marketo_mapping}"
schedule = "every 5m"

[flows.feedback]                     # sales' progress in Salesforce goes back to the HubSpot contacts
source = "salesforce"
target = "hubspot"
mapping = "{feedback_mapping}"
schedule = "every 5m"

[flows.marketo_feedback]             # ... and to the Marketo leads
kind = "feedback"
source = "salesforce"
target = "marketo"
mapping = "{marketo_feedback_mapping}"
schedule = "every 5m"

[flows.won_deals]                    # Closed Won opportunities become HubSpot deals, companies, customers
source = "salesforce"
target = "hubspot"                   # the MA's own portal is the CRM here; a [systems.crm] table for another
mapping = "{won_deals_mapping}"
schedule = "every 5m"
"""
