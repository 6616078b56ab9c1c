"""`revloop demo` and what it needs beyond the sandbox: the config that points revloop at the fakes."""
