"""`revloop demo` and what it needs beyond the sandbox: the demo data set and the config that points
revloop at the fakes."""
