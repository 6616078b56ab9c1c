"""What admins read: run outcomes, sync errors, flow status."""
