"""Local HTTPS fakes of the vendors' APIs: one subpackage per system (with a ``FAKE`` class), their shared
framework, the server that runs them and the demo data. Imports no other connector module."""
