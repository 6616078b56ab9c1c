"""The handoff flow kind (MA → SFA): qualified marketing leads become Salesforce Leads, exactly once."""
