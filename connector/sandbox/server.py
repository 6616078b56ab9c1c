"""Runs the fakes on 127.0.0.1 over HTTPS, with a throwaway CA made by trustme.

simple-salesforce always builds https URLs, so every fake speaks TLS; clients trust the sandbox CA
through each system's ``ca_bundle`` setting. Each fake listens on its own port, like the real services
live on their own hosts.
"""

from __future__ import annotations

import importlib
import logging
import pkgutil
import sys
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import trustme
from cheroot import wsgi
from cheroot.ssl.builtin import BuiltinSSLAdapter

from connector.sandbox.framework import FakeService

log = logging.getLogger(__name__)


def _quiet_error_log(msg: str = "", level: int = logging.INFO, traceback: bool = False) -> None:
    # Dropped connections are deliberate (fault plans); cheroot would print a traceback for each.
    log.debug("sandbox server: %s", msg)


def fake_classes() -> dict[str, type[FakeService]]:
    """Every fake, by system name: each subpackage of this package that exports a ``FAKE`` class.

    A new system's fake is found here by its subpackage alone; no list of fakes is kept by hand.
    """
    package = sys.modules[__package__]
    found: dict[str, type[FakeService]] = {}
    for module in pkgutil.iter_modules(package.__path__, f"{__package__}."):
        fake = getattr(importlib.import_module(module.name), "FAKE", None) if module.ispkg else None
        if fake is not None:
            found[fake.name] = fake
    return dict(sorted(found.items()))


@dataclass
class RunningFake:
    service: FakeService
    url: str
    server: wsgi.Server
    thread: threading.Thread


@dataclass
class Sandbox:
    """The running fakes, their base URLs and the CA bundle that makes their certificates trusted."""

    directory: Path
    ca_bundle: Path
    fakes: dict[str, RunningFake] = field(default_factory=dict)

    def service(self, name: str) -> FakeService:
        return self.fakes[name].service

    def url(self, name: str) -> str:
        return self.fakes[name].url

    def stop(self) -> None:
        for fake in self.fakes.values():
            fake.server.stop()
        for fake in self.fakes.values():
            fake.thread.join(timeout=5)

    def __enter__(self) -> Sandbox:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start_sandbox(
    directory: Path,
    *,
    systems: Sequence[str] | None = None,
    ports: dict[str, int] | None = None,
    host: str = "127.0.0.1",
    threads: int = 16,
) -> Sandbox:
    """Start one HTTPS fake per system (default: every fake) in background threads; port 0: a free port."""
    fakes = fake_classes()
    unknown = sorted(set(systems or ()) - set(fakes))
    if unknown:
        raise ValueError(f"no fake for {', '.join(unknown)}; fakes: {', '.join(fakes)}")
    directory.mkdir(parents=True, exist_ok=True)
    sandbox = Sandbox(directory=directory, ca_bundle=directory / "sandbox-ca.pem")
    tls = _tls_adapter(directory, sandbox.ca_bundle, host)
    for name in systems or fakes:
        service = fakes[name]()
        server = wsgi.Server((host, (ports or {}).get(name, 0)), service, numthreads=threads)
        server.ssl_adapter = tls
        server.error_log = _quiet_error_log
        server.prepare()
        port = server.bind_addr[1]
        thread = threading.Thread(target=server.serve, name=f"sandbox-{name}", daemon=True)
        thread.start()
        sandbox.fakes[name] = RunningFake(service, f"https://{host}:{port}", server, thread)
        log.info("sandbox %s listening on https://%s:%d", name, host, port)
    return sandbox


def _tls_adapter(directory: Path, ca_bundle: Path, host: str) -> BuiltinSSLAdapter:
    """A throwaway CA (written to ``ca_bundle`` for clients to trust) and a certificate for ``host``."""
    ca = trustme.CA()
    leaf = ca.issue_cert(host, "localhost")
    ca.cert_pem.write_to_path(str(ca_bundle))
    cert_path, key_path = directory / "sandbox-cert.pem", directory / "sandbox-key.pem"
    leaf.private_key_pem.write_to_path(str(key_path))
    cert_path.write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    key_path.chmod(0o600)
    return BuiltinSSLAdapter(str(cert_path), str(key_path))
