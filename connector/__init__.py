"""revloop: declarative sync between marketing automation, Salesforce and the CRM."""

__version__ = "0.1.0"
