"""The Salesforce fake: REST API, SOQL, sObject Collections and Bulk API 2.0 (start at fake.py)."""

from connector.sandbox.salesforce.fake import SalesforceFake

FAKE = SalesforceFake
"""Found by the sandbox server: every subpackage of connector.sandbox that sets FAKE is a fake it runs."""

__all__ = ["FAKE", "SalesforceFake"]
