"""Marketo: leads over the REST API, changes from the Activities API, static lists, bulk lead export for
a flow's initial load (see adapter.py)."""

from connector.systems.base import SandboxTable, SystemSpec
from connector.systems.marketo.settings import MarketoSettings

SPEC = SystemSpec(
    kind="marketo",
    settings=MarketoSettings,
    adapter="connector.systems.marketo.adapter:MarketoSystem",
    sandbox=SandboxTable(
        urls={"base_url": "/rest", "identity_url": "/identity"},
        secret_files={"client_id": "marketo-client-id", "client_secret": "marketo-client-secret"},
        settings={"initial_load_poll_s": (0.02, "the fake's export jobs move on at every status poll")},
    ),
)
