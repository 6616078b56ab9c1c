"""The requests session every requests-based adapter (Salesforce, Marketo) uses.

Two traps it closes: ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE`` in the environment override
``Session.verify`` for every call that does not pass ``verify=`` itself (simple-salesforce does not), so
a configured ``ca_bundle`` would silently lose; and requests has no default timeout, so a hung server
would hang the run forever. Every connection goes through :class:`connector.systems.network.GuardedAdapter`:
its address is checked when it is opened and each request is logged at DEBUG.
"""

from __future__ import annotations

import os
from typing import Any

import requests

from connector.settings import SystemSettings
from connector.systems.network import ConnectPolicy, GuardedAdapter


class PinnedSession(requests.Session):
    """A session whose CA bundle and timeout the environment cannot override, and whose connections go
    only to public addresses unless ``allow_private_network``."""

    def __init__(
        self,
        *,
        policy: ConnectPolicy,
        ca_bundle: str | os.PathLike[str] | None = None,
        timeout: float = 60.0,
    ) -> None:
        super().__init__()
        adapter = GuardedAdapter(policy)
        self.mount("https://", adapter)
        self.mount("http://", adapter)
        # str(): requests ignores a verify that is not a str (a Path) and silently trusts its defaults.
        self.pinned_verify: str | bool = str(ca_bundle) if ca_bundle else True
        self.verify = self.pinned_verify
        self.default_timeout = timeout
        self.max_redirects = 0  # an API answer never legitimately redirects to another host

    @classmethod
    def for_system(cls, settings: SystemSettings, *, name: str, kind: str) -> PinnedSession:
        """The session of the system configured as ``name``: its CA bundle, timeout and address policy."""
        policy = ConnectPolicy.of(name, kind, settings)
        return cls(policy=policy, ca_bundle=settings.ca_bundle, timeout=settings.timeout_s)

    def merge_environment_settings(self, url, proxies, stream, verify, cert) -> dict[str, Any]:
        settings = super().merge_environment_settings(url, proxies, stream, verify, cert)
        if self.pinned_verify is not True:
            settings["verify"] = self.pinned_verify
        return settings

    def request(self, method, url, *args, **kwargs):  # type: ignore[override]
        kwargs.setdefault("timeout", self.default_timeout)
        return super().request(method, url, *args, **kwargs)
