"""What `--log-level debug` and error messages tell a person diagnosing a connection, against the fakes:
each request's method, host, path (no query string, no token), status and time; retries as attempt n of m
with the wait; TLS failures with host, port and the certificate problem; connection errors with host and
port; and a refused private destination as a clear error, never a traceback."""

from __future__ import annotations

import logging
import re
import socket
from collections.abc import Callable

import pytest

from connector.errors import ConfigError, UnreachableError
from connector.sandbox.framework import Fault
from connector.settings import SystemSettings
from connector.systems import system_spec
from connector.systems.guard import CallGuard, RetryPolicy

pytest_plugins = ("conftest_tls",)

HOT = {"hubspotscore": "90"}
REQUEST_LINE = re.compile(
    r"^(\w+): (GET|POST|PATCH|PUT|DELETE) 127\.0\.0\.1:(\d+)(/\S*) -> (\d{3}) in \d+ ms$"
)


def network_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "connector.systems.network"]


def build(kind: str, settings: SystemSettings, *, attempts: int = 2):
    """The system's adapter with a guard that retries at once."""
    policy = RetryPolicy(attempts=attempts, initial_backoff_s=0.001, max_backoff_s=0.001)
    guard = CallGuard(kind, policy=policy, sleep=lambda _seconds: None)
    return system_spec(kind).adapter_class()(settings, guard)


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_debug_tells_every_request(sqlite_env, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    sqlite_env.contact(email="diag@example.com", lastname="Diag", company="D", **HOT)
    sqlite_env.lead(email="diag@example.jp", lastName="Mk", company="M", leadScore=10)

    assert sqlite_env.run("handoff").status == "ok"
    assert sqlite_env.run("marketo_handoff").status in ("ok", "record_errors")

    requests = [REQUEST_LINE.match(line) for line in network_lines(caplog)]
    assert requests and all(requests), network_lines(caplog)
    seen = {(m[1], m[2], m[4].split("/")[1]) for m in requests if m}
    assert ("hubspot", "POST", "crm") in seen
    assert ("salesforce", "POST", "services") in seen  # the OAuth token, then the collections upsert
    assert ("marketo", "GET", "identity") in seen or ("marketo", "POST", "identity") in seen
    assert ("marketo", "GET", "rest") in seen  # its query string (filters, tokens) is never shown
    secrets = {sqlite_env.hs.static_token, sqlite_env.sf.client_credentials[1], sqlite_env.mk.client_secret}
    assert not any(secret in line for secret in secrets for line in network_lines(caplog))


def test_retries_say_attempt_n_of_m_and_the_wait(sqlite_env, caplog) -> None:
    caplog.set_level(logging.DEBUG)
    sqlite_env.contact(email="retry@example.com", lastname="Retry", company="R", **HOT)
    sqlite_env.sf.set_knobs(faults=[Fault(nth=1, kind="500", endpoint="collections_upsert")])

    assert sqlite_env.run("handoff").status == "ok"

    retries = [r.getMessage() for r in caplog.records if "retrying in" in r.getMessage()]
    assert retries, "the fault must have caused a retry"
    assert re.match(
        r"^salesforce: \S+ attempt 1 of 6 failed \(.*HTTP 500.*\); retrying in \d+\.\ds$", retries[0]
    )
    failed = [line for line in network_lines(caplog) if " -> 500 in " in line]
    assert failed and failed[0].startswith("salesforce: PATCH 127.0.0.1:")


@pytest.mark.parametrize("kind", ["hubspot", "salesforce"])
def test_a_tls_failure_names_host_port_and_the_certificate_problem(sqlite_env, caplog, kind) -> None:
    caplog.set_level(logging.DEBUG)
    settings = sqlite_env.config.system(kind).model_copy(
        update={"ca_bundle": None}
    )  # the fake's CA: untrusted
    port = sqlite_env.sandbox.url(kind).rsplit(":", 1)[1].split("/")[0]

    with pytest.raises(UnreachableError) as raised:
        build(kind, settings).check()

    expected = rf"certificate verify failed: .+ for 127\.0\.0\.1:{port} — set {kind}\.ca_bundle to the CA"
    assert re.search(expected, str(raised.value)), str(raised.value)
    assert any(re.search(expected, line) for line in network_lines(caplog))


def test_marketo_refuses_an_untrusted_certificate_in_words(sqlite_env) -> None:
    settings = sqlite_env.config.system("marketo").model_copy(update={"ca_bundle": None})

    with pytest.raises(
        ConfigError, match=r"marketo: certificate verify failed: .+ for 127\.0\.0\.1:\d+ — set marketo"
    ):
        build("marketo", settings).check()


@pytest.mark.parametrize("kind", ["hubspot", "salesforce", "marketo"])
def test_a_refused_connection_names_host_and_port(sqlite_env, caplog, kind: str) -> None:
    caplog.set_level(logging.DEBUG)
    port = closed_port()
    settings = sqlite_env.config.system(kind)
    moved = {
        field: re.sub(r"127\.0\.0\.1:\d+", f"127.0.0.1:{port}", getattr(settings, field))
        for field in type(settings).url_fields
        if getattr(settings, field)
    }

    with pytest.raises(
        UnreachableError, match=rf"could not connect to 127\.0\.0\.1:{port}: Connection refused"
    ):
        build(kind, settings.model_copy(update=moved)).check()
    assert any(f"127.0.0.1:{port}" in line and "Connection refused" in line for line in network_lines(caplog))


def test_a_private_destination_is_a_clear_cli_error(sqlite_env, resolver: Callable) -> None:
    """A host name that resolves to loopback, without allow_private_network: exit 2, host and address class
    on stderr, no traceback."""
    text = sqlite_env.config_path.read_text()
    hubspot_url = sqlite_env.sandbox.url("hubspot")
    table = text.split("[hubspot]")[1].split("\n\n")[0]
    guarded = table.replace(hubspot_url, hubspot_url.replace("127.0.0.1", "hubspot.example.test"))
    guarded = guarded.replace("allow_private_network = true", "allow_private_network = false")
    sqlite_env.config_path.write_text(text.replace(table, guarded))
    resolver.map("hubspot.example.test", ["127.0.0.1"])
    sqlite_env.contact(email="private@example.com", lastname="Private", company="P", **HOT)

    result = sqlite_env.cli("run", "handoff")

    assert result.code == 2, result.stderr
    assert "refused to connect to hubspot.example.test:" in result.stderr
    assert "127.0.0.1 (a loopback address)" in result.stderr
    assert "allow_private_network" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_the_cli_at_debug_level_prints_the_request_lines(sqlite_env) -> None:
    sqlite_env.contact(email="cli.debug@example.com", lastname="Cli", company="C", **HOT)

    result = sqlite_env.cli("--log-level", "debug", "run", "handoff")

    assert result.code == 0, result.stderr
    assert re.search(r"hubspot: POST 127\.0\.0\.1:\d+/crm/v3/\S+ -> 200 in \d+ ms", result.stderr)
    assert re.search(
        r"salesforce: POST 127\.0\.0\.1:\d+/services/oauth2/token -> 200 in \d+ ms", result.stderr
    )
