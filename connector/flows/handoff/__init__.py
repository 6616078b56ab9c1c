"""The handoff flow kind (MA → SFA): qualified marketing leads become Salesforce Leads, exactly once."""

from connector.flows.handoff.flow import Handoff

__all__ = ["Handoff"]
