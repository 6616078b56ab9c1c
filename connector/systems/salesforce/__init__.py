"""Salesforce: SOQL change pages, sObject Collections upserts, Bulk API 2.0 queries (see adapter.py)."""

from connector.systems.base import SandboxTable, SystemSpec
from connector.systems.salesforce.settings import SalesforceSettings

SPEC = SystemSpec(
    kind="salesforce",
    settings=SalesforceSettings,
    adapter="connector.systems.salesforce.adapter:SalesforceSystem",
    sandbox=SandboxTable(
        urls={"instance_url": ""},
        secret_files={"client_id": "salesforce-client-id", "client_secret": "salesforce-client-secret"},
        settings={
            "auth": ("client_credentials", ""),
            "read_lag_s": (0, "the fake commits and indexes at once: no overlap needed"),
        },
    ),
)
