"""A `revloop sandbox` in its own process, driven over its /__sandbox__/ control API."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from connector.config import load_config
from connector.systems.http import PinnedSession
from connector.systems.network import ConnectPolicy

SYSTEMS = ("salesforce", "hubspot", "marketo")


class SandboxProcess:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.config = directory / "config.toml"
        self.process: subprocess.Popen | None = None
        self.urls: dict[str, str] = {}

    def __enter__(self) -> SandboxProcess:
        self.directory.mkdir(parents=True, exist_ok=True)
        log = (self.directory / "sandbox.log").open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "connector", "sandbox", "--no-seed", "--dir", str(self.directory)],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while not self.config.exists():
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"the sandbox did not start; see {self.directory / 'sandbox.log'}")
            time.sleep(0.1)
        time.sleep(0.2)  # the config is written in one call; let the file close
        config = load_config(self.config)
        self.urls = {
            "salesforce": config.salesforce.instance_url,
            "hubspot": config.hubspot.base_url,
            "marketo": config.marketo.identity_url.removesuffix("/identity"),
        }
        self.ca_bundle = str(config.hubspot.ca_bundle)
        self.hubspot_token = config.hubspot.secret("access_token")
        self.salesforce_credentials = (
            config.salesforce.secret("client_id"),
            config.salesforce.secret("client_secret"),
        )
        self._session = self.session()
        return self

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=30)

    def session(self) -> PinnedSession:
        # The sandbox listens on loopback, which only an explicit opt-in may reach.
        return PinnedSession(
            policy=ConnectPolicy("sandbox", allow_private_network=True), ca_bundle=self.ca_bundle, timeout=120
        )

    def _control(self, system: str, method: str, path: str, body: Any = None) -> Any:
        response = self._session.request(method, f"{self.urls[system]}/__sandbox__/{path}", json=body)
        response.raise_for_status()
        return response.json()

    def seed(self, system: str, data: dict) -> Any:
        return self._control(system, "POST", "seed", data)

    def set_latency(self, latency_ms: float) -> None:
        for system in SYSTEMS:
            self._control(system, "POST", "knobs", {"latency_ms": latency_ms})

    def reset_calls(self) -> None:
        for system in SYSTEMS:
            self._control(system, "POST", "calls/reset")

    def calls(self) -> dict[str, dict[str, int]]:
        """API calls per endpoint as each fake counted them (systems with none are left out)."""
        counted = {system: self._control(system, "GET", "calls")["endpoints"] for system in SYSTEMS}
        return {system: endpoints for system, endpoints in counted.items() if endpoints}

    def hubspot_ids(self, limit: int = 100) -> list[str]:
        response = self._session.get(
            f"{self.urls['hubspot']}/crm/v3/objects/contacts",
            params={"limit": min(limit, 100)},
            headers={"Authorization": f"Bearer {self.hubspot_token}"},
        )
        response.raise_for_status()
        return [row["id"] for row in response.json()["results"]]

    def salesforce_lead_count(self) -> int:
        creates = self._control("salesforce", "GET", "salesforce/creates?object=Lead&field=Revloop_MA_Id__c")
        return len(creates)
