"""PinnedSession against a local TLS server: its CA bundle beats REQUESTS_CA_BUNDLE, every request has a
timeout, and redirects are refused."""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
import responses
import trustme
from cheroot import wsgi
from cheroot.ssl.builtin import BuiltinSSLAdapter

from connector.systems.http import PinnedSession
from connector.systems.network import ConnectPolicy

LOOPBACK = ConnectPolicy("test", allow_private_network=True)
"""The test servers listen on 127.0.0.1, which only an explicit opt-in may reach."""


@dataclass
class TlsServer:
    url: str
    ca_bundle: Path
    other_ca_bundle: Path
    hits: Counter


def tiny_app(hits: Counter):
    """/ok answers, /redirect sends the client to /ok, /away to another host."""

    def app(environ, start_response):
        path = environ["PATH_INFO"]
        hits[path] += 1
        if path == "/redirect":
            start_response("302 Found", [("Location", "/ok"), ("Content-Length", "0")])
            return [b""]
        if path == "/away":
            start_response(
                "302 Found", [("Location", "https://attacker.invalid/steal"), ("Content-Length", "0")]
            )
            return [b""]
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "5")])
        return [b"hello"]

    return app


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TlsServer]:
    folder = tmp_path_factory.mktemp("tls")
    ca, other_ca = trustme.CA(), trustme.CA()
    leaf = ca.issue_cert("127.0.0.1", "localhost")
    ca.cert_pem.write_to_path(str(folder / "ca.pem"))
    other_ca.cert_pem.write_to_path(str(folder / "other-ca.pem"))
    leaf.private_key_pem.write_to_path(str(folder / "key.pem"))
    (folder / "cert.pem").write_bytes(b"".join(blob.bytes() for blob in leaf.cert_chain_pems))
    hits: Counter = Counter()
    httpd = wsgi.Server(("127.0.0.1", 0), tiny_app(hits), numthreads=2)
    httpd.ssl_adapter = BuiltinSSLAdapter(str(folder / "cert.pem"), str(folder / "key.pem"))
    httpd.prepare()
    thread = threading.Thread(target=httpd.serve, daemon=True)
    thread.start()
    try:
        yield TlsServer(
            f"https://127.0.0.1:{httpd.bind_addr[1]}", folder / "ca.pem", folder / "other-ca.pem", hits
        )
    finally:
        httpd.stop()
        thread.join(timeout=5)


@pytest.fixture
def hostile_environment(monkeypatch: pytest.MonkeyPatch, server: TlsServer) -> None:
    """The trap on this machine and many CI images: env CA bundles that do not hold our CA."""
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(server.other_ca_bundle))
    monkeypatch.setenv("CURL_CA_BUNDLE", str(server.other_ca_bundle))


def test_the_pinned_ca_wins_over_requests_ca_bundle(hostile_environment, server: TlsServer) -> None:
    with PinnedSession(policy=LOOPBACK, ca_bundle=str(server.ca_bundle), timeout=5) as session:
        response = session.get(f"{server.url}/ok")

    assert response.status_code == 200
    assert response.text == "hello"


def test_a_ca_bundle_given_as_a_path_is_pinned_too(hostile_environment, server: TlsServer) -> None:
    with PinnedSession(policy=LOOPBACK, ca_bundle=server.ca_bundle, timeout=5) as session:
        assert session.get(f"{server.url}/ok").status_code == 200


def test_the_pinned_ca_wins_over_an_explicit_verify(hostile_environment, server: TlsServer) -> None:
    with PinnedSession(policy=LOOPBACK, ca_bundle=str(server.ca_bundle), timeout=5) as session:
        assert session.get(f"{server.url}/ok", verify=str(server.other_ca_bundle)).status_code == 200


def test_a_plain_session_falls_into_the_trap(hostile_environment, server: TlsServer) -> None:
    """Why PinnedSession exists: Session.verify loses to REQUESTS_CA_BUNDLE."""
    with requests.Session() as session:
        session.verify = str(server.ca_bundle)
        with pytest.raises(requests.exceptions.SSLError):
            session.get(f"{server.url}/ok", timeout=5)


def test_without_a_pinned_ca_the_environment_decides(hostile_environment, server: TlsServer) -> None:
    with (
        PinnedSession(policy=LOOPBACK, timeout=5) as session,
        pytest.raises(requests.exceptions.SSLError),
    ):
        session.get(f"{server.url}/ok")


@pytest.mark.parametrize("path", ["/redirect", "/away"])
def test_redirects_are_refused_and_not_followed(server: TlsServer, path: str) -> None:
    before = server.hits["/ok"]

    with (
        PinnedSession(policy=LOOPBACK, ca_bundle=str(server.ca_bundle), timeout=5) as session,
        pytest.raises(requests.exceptions.TooManyRedirects),
    ):
        session.get(f"{server.url}{path}")

    assert server.hits[path] >= 1
    assert server.hits["/ok"] == before


@responses.activate
def test_every_request_gets_the_default_timeout() -> None:
    responses.get("https://api.example.test/a", body="a")
    responses.post("https://api.example.test/b", body="b")
    session = PinnedSession(policy=LOOPBACK, timeout=7.5)

    session.get("https://api.example.test/a")
    session.post("https://api.example.test/b", json={})
    session.request("GET", "https://api.example.test/a")

    assert [call.request.req_kwargs["timeout"] for call in responses.calls] == [7.5, 7.5, 7.5]


@responses.activate
def test_an_explicit_timeout_wins() -> None:
    responses.get("https://api.example.test/slow", body="x")
    session = PinnedSession(policy=LOOPBACK, timeout=7.5)

    session.get("https://api.example.test/slow", timeout=(3.05, 90))

    assert responses.calls[0].request.req_kwargs["timeout"] == (3.05, 90)
