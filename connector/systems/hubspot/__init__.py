"""HubSpot: CRM objects through hubspot-api-client, associations v4 and lists v3 (see adapter.py)."""

from connector.systems.base import SandboxTable, SystemSpec
from connector.systems.hubspot.settings import HubSpotSettings

SPEC = SystemSpec(
    kind="hubspot",
    settings=HubSpotSettings,
    adapter="connector.systems.hubspot.adapter:HubSpotSystem",
    sandbox=SandboxTable(
        urls={"base_url": ""},
        secret_files={"access_token": "hubspot-token"},
        settings={"read_lag_s": (0, "the fake's search index is consistent at once")},
    ),
)
