"""Fixtures for connection tests: a local HTTPS server whose certificate names test hosts, and a resolver
that maps those hosts to any address.

Test modules load them with ``pytest_plugins = ("conftest_tls",)``.
"""

from __future__ import annotations

import socket
import threading
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import trustme
from cheroot import wsgi
from cheroot.ssl.builtin import BuiltinSSLAdapter

from connector.systems import network

TEST_HOSTS = ("api.example.test", "redirect.example.test", "internal.example.test")
"""Names the server's certificate is issued for; they resolve only through the ``resolver`` fixture."""


@dataclass
class TlsServer:
    port: int
    ca_bundle: Path
    hits: Counter
    redirects: dict[str, str] = field(default_factory=dict)
    """path → Location the server answers 302 with."""

    def url(self, host: str = "127.0.0.1", path: str = "/ok") -> str:
        return f"https://{host}:{self.port}{path}"


def _app(server: TlsServer):
    def app(environ, start_response):
        path = environ["PATH_INFO"]
        server.hits[path] += 1
        if path in server.redirects:
            start_response("302 Found", [("Location", server.redirects[path]), ("Content-Length", "0")])
            return [b""]
        body = b'{"ok": true}'
        start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))])
        return [body]

    return app


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsServer]:
    folder = tmp_path_factory.mktemp("tls")
    ca = trustme.CA()
    leaf = ca.issue_cert("127.0.0.1", "localhost", *TEST_HOSTS)
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    leaf.private_key_pem.write_to_path(str(folder / "key.pem"))
    (folder / "cert.pem").write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    server = TlsServer(0, folder / "ca.pem", Counter())
    httpd = wsgi.Server(("127.0.0.1", 0), _app(server), numthreads=2)
    httpd.ssl_adapter = BuiltinSSLAdapter(str(folder / "cert.pem"), str(folder / "key.pem"))
    httpd.prepare()
    server.port = httpd.bind_addr[1]
    thread = threading.Thread(target=httpd.serve, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        httpd.stop()
        thread.join(timeout=5)


@dataclass
class Resolver:
    """Answers for test host names; every other name or literal goes to the real resolver."""

    answers: dict[str, Sequence[Sequence[str]]] = field(default_factory=dict)
    """host → one list of addresses per lookup (the last list repeats)."""
    lookups: Counter = field(default_factory=Counter)

    def map(self, host: str, *per_lookup: Sequence[str]) -> None:
        self.answers[host] = per_lookup

    def getaddrinfo(self, real: Callable, host, port, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        if name not in self.answers:
            return real(host, port, *args, **kwargs)
        answers = self.answers[name]
        addresses = answers[min(self.lookups[name], len(answers) - 1)]
        self.lookups[name] += 1
        return [_info(address, int(port)) for address in addresses]


def _info(address: str, port: int) -> tuple:
    if ":" in address:
        return (socket.AF_INET6, socket.SOCK_STREAM, 6, "", (address, port, 0, 0))
    return (socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))


@pytest.fixture
def resolver(monkeypatch: pytest.MonkeyPatch) -> Resolver:
    """Patches ``socket.getaddrinfo`` (what urllib3 and revloop's guard call) for the test's names."""
    fake = Resolver()
    real = socket.getaddrinfo
    monkeypatch.setattr(socket, "getaddrinfo", lambda *a, **k: fake.getaddrinfo(real, *a, **k))
    return fake


@pytest.fixture
def loopback_counts_as_public(monkeypatch: pytest.MonkeyPatch) -> None:
    """The test server can only listen on 127.0.0.1: count exactly that address as public, so a test can
    show what the guard lets through next to what it still refuses (127.0.0.2, 10.x, ...)."""
    real = network.refusal
    monkeypatch.setattr(
        network, "refusal", lambda address: None if str(address) == "127.0.0.1" else real(address)
    )
