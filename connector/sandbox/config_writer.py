"""A ready-to-use config for a running sandbox: base URLs, its CA bundle and credentials in secret files."""

from __future__ import annotations

import importlib
import secrets
from pathlib import Path

from connector.sandbox.server import Sandbox


def shipped_mappings_dir() -> Path:
    """The mappings shipped with revloop (installed as package data, or the checkout's mappings/)."""
    try:
        # A folder without __init__.py: a namespace package, whose __path__ lists its one folder.
        return Path(next(iter(importlib.import_module("connector.shipped_mappings").__path__)))
    except ModuleNotFoundError:  # a source checkout or editable install: the repo's own folder
        return Path(__file__).resolve().parents[2] / "mappings"


def _secret_file(directory: Path, name: str, value: str) -> Path:
    path = directory / name
    path.write_text(value + "\n", encoding="utf-8")
    path.chmod(0o600)
    return path


def write_sandbox_config(sandbox: Sandbox, path: Path, *, state_url: str | None = None) -> Path:
    """Write a config for ``sandbox`` to ``path``; credentials go to 0600 files beside it."""
    secrets_dir = path.parent / "secrets"
    secrets_dir.mkdir(parents=True, exist_ok=True)
    secrets_dir.chmod(0o700)
    salesforce, hubspot, marketo = (sandbox.service(name) for name in ("salesforce", "hubspot", "marketo"))
    client_id, client_secret = "sandbox-sf-" + secrets.token_hex(6), secrets.token_hex(16)
    salesforce.client_credentials = (client_id, client_secret)
    files = {
        "sf_id": _secret_file(secrets_dir, "salesforce-client-id", client_id),
        "sf_secret": _secret_file(secrets_dir, "salesforce-client-secret", client_secret),
        "hs_token": _secret_file(secrets_dir, "hubspot-token", hubspot.static_token),
        "mk_id": _secret_file(secrets_dir, "marketo-client-id", marketo.client_id),
        "mk_secret": _secret_file(secrets_dir, "marketo-client-secret", marketo.client_secret),
    }
    mappings = shipped_mappings_dir() / "handoff"
    state_url = state_url or f"sqlite:///{(path.parent / 'revloop.db').resolve()}"
    path.write_text(
        _TEMPLATE.format(
            state_url=state_url,
            ca=sandbox.ca_bundle.resolve(),
            salesforce=sandbox.url("salesforce"),
            hubspot=sandbox.url("hubspot"),
            marketo=sandbox.url("marketo"),
            hubspot_mapping=mappings / "hubspot__salesforce.toml",
            marketo_mapping=mappings / "marketo__salesforce.toml",
            **{key: value.resolve() for key, value in files.items()},
        ),
        encoding="utf-8",
    )
    return path


_TEMPLATE = """\
# revloop config for the local sandbox (written by `revloop sandbox` / `revloop demo`).
# Every system points at a local HTTPS fake; credentials live in the 0600 files under secrets/.
# See config.example.toml for every key with its documentation.

[state]
url = "{state_url}"

[salesforce]
instance_url = "{salesforce}"
ca_bundle = "{ca}"
allow_private_network = true        # the sandbox listens on 127.0.0.1
auth = "client_credentials"
client_id_file = "{sf_id}"
client_secret_file = "{sf_secret}"
read_lag_s = 0                      # the fake commits and indexes at once: no overlap needed

[hubspot]
base_url = "{hubspot}"
ca_bundle = "{ca}"
allow_private_network = true
access_token_file = "{hs_token}"
read_lag_s = 0                      # the fake's search index is consistent at once

[marketo]
base_url = "{marketo}/rest"
identity_url = "{marketo}/identity"
ca_bundle = "{ca}"
allow_private_network = true
client_id_file = "{mk_id}"
client_secret_file = "{mk_secret}"

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
"""
