"""The feedback flow kind (SFA → MA): sales' progress in Salesforce goes back to the person's MA record."""

from connector.flows.feedback.flow import Feedback

__all__ = ["Feedback"]
