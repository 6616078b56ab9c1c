"""The HubSpot fake: CRM objects v3, search, properties, associations v4, lists v3 (start at fake.py)."""

from connector.sandbox.hubspot.fake import HubSpotFake

FAKE = HubSpotFake
"""Found by the sandbox server: every subpackage of connector.sandbox that sets FAKE is a fake it runs."""

__all__ = ["FAKE", "HubSpotFake"]
