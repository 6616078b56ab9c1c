"""The connect-time address check: a host name that resolves to a private address is refused on every
connection of both HTTP stacks (requests for Salesforce and Marketo, urllib3 for HubSpot), redirects
included, using the very address it checked; ``allow_private_network`` is the only way around it."""

from __future__ import annotations

import pytest
import requests
from hubspot.crm.objects.exceptions import ApiException
from urllib3.util.retry import Retry

from connector.errors import ConfigError
from connector.systems import make_guard
from connector.systems.http import PinnedSession
from connector.systems.hubspot.settings import HubSpotSettings
from connector.systems.hubspot.transport import HubSpotTransport
from connector.systems.network import ConnectPolicy

pytest_plugins = ("conftest_tls",)

PRIVATE = {
    "127.0.0.1": "loopback",
    "127.0.0.2": "loopback",
    "10.0.0.7": "private",
    "192.168.1.20": "private",
    "169.254.169.254": "link-local",
    "0.0.0.0": "unspecified",
    "224.0.0.251": "multicast",
    "240.0.0.1": "reserved",
    "::1": "loopback",
    "::ffff:127.0.0.1": "loopback",
    "fd12::1": "private",
    "fe80::1": "link-local",
}


def session(server, *, allow: bool = False) -> PinnedSession:
    return PinnedSession(policy=ConnectPolicy("salesforce", allow), ca_bundle=server.ca_bundle, timeout=5)


def hubspot(server, token_env, *, allow: bool = False) -> HubSpotTransport:
    settings = HubSpotSettings(
        base_url=f"https://api.example.test:{server.port}",
        access_token_env=token_env,
        ca_bundle=server.ca_bundle,
        allow_private_network=allow,
    )
    return HubSpotTransport(settings, make_guard("hubspot", settings))


def hubspot_get(transport: HubSpotTransport, url: str):
    """A GET through the client's own REST layer and PoolManager, as every generated API method does."""
    return transport.objects.api_client.rest_client.GET(url, _preload_content=False)


@pytest.fixture
def token_env(monkeypatch) -> str:
    monkeypatch.setenv("REVLOOP_TEST_HS_TOKEN", "pat-test-network-guard")
    return "REVLOOP_TEST_HS_TOKEN"


@pytest.mark.parametrize("address", PRIVATE)
def test_requests_refuse_a_name_that_resolves_to_a_private_address(tls_server, resolver, address) -> None:
    resolver.map("api.example.test", [address])
    before = tls_server.hits["/ok"]

    with pytest.raises(ConfigError) as raised:
        session(tls_server).get(tls_server.url("api.example.test"))

    message = str(raised.value)
    assert f"api.example.test:{tls_server.port}" in message
    assert address in message and PRIVATE[address] in message
    assert "allow_private_network" in message and "salesforce" in message
    assert tls_server.hits["/ok"] == before


@pytest.mark.parametrize("address", ["127.0.0.1", "::ffff:127.0.0.1", "0x7f.1"])
def test_hubspot_refuses_a_name_that_resolves_to_a_private_address(
    tls_server, resolver, token_env, address
) -> None:
    resolver.map("api.example.test", ["127.0.0.1" if address == "0x7f.1" else address])
    before = tls_server.hits["/ok"]

    with pytest.raises(ConfigError, match=r"api\.example\.test.*loopback.*allow_private_network"):
        hubspot_get(hubspot(tls_server, token_env), tls_server.url("api.example.test"))

    assert tls_server.hits["/ok"] == before


def test_every_resolved_address_must_be_public(tls_server, resolver, loopback_counts_as_public) -> None:
    """A name with one public and one private address connects only to the public one."""
    resolver.map("api.example.test", ["10.0.0.7", "127.0.0.1"])

    assert session(tls_server).get(tls_server.url("api.example.test")).status_code == 200


def test_the_socket_connects_to_the_address_that_was_checked(
    tls_server, resolver, loopback_counts_as_public
) -> None:
    """DNS rebinding: the first answer is public, every later one private. One lookup per connection, and
    the connection goes to the address of that lookup (a second lookup would have led to 169.254.x)."""
    resolver.map("api.example.test", ["127.0.0.1"], ["169.254.169.254"])

    response = session(tls_server).get(tls_server.url("api.example.test"))

    assert response.status_code == 200
    assert resolver.lookups["api.example.test"] == 1


def test_allow_private_network_is_the_way_around(tls_server, resolver, token_env) -> None:
    resolver.map("api.example.test", ["127.0.0.1"])

    assert session(tls_server, allow=True).get(tls_server.url("api.example.test")).status_code == 200
    assert (
        hubspot_get(hubspot(tls_server, token_env, allow=True), tls_server.url("api.example.test")).status
        == 200
    )


def test_hubspot_follows_no_redirect(tls_server, resolver, token_env, loopback_counts_as_public) -> None:
    resolver.map("api.example.test", ["127.0.0.1"])
    tls_server.redirects["/away"] = tls_server.url("internal.example.test", "/ok")

    with pytest.raises(ApiException) as raised:
        hubspot_get(hubspot(tls_server, token_env), tls_server.url("api.example.test", "/away"))

    assert raised.value.status == 302
    assert resolver.lookups["internal.example.test"] == 0


def test_a_redirect_that_urllib3_follows_is_checked_like_the_first_connection(
    tls_server, resolver, token_env, loopback_counts_as_public
) -> None:
    """Should the client ever follow redirects, the new host's connection goes through the same check."""
    resolver.map("api.example.test", ["127.0.0.1"])
    resolver.map("internal.example.test", ["10.0.0.7"])
    tls_server.redirects["/away"] = tls_server.url("internal.example.test", "/ok")
    before = tls_server.hits["/ok"]
    manager = hubspot(tls_server, token_env).objects.api_client.rest_client.pool_manager

    with pytest.raises(ConfigError, match=r"internal\.example\.test.*10\.0\.0\.7 \(a private address\)"):
        manager.request("GET", tls_server.url("api.example.test", "/away"), retries=Retry(redirect=3))

    assert tls_server.hits["/ok"] == before


def test_requests_follow_no_redirect_to_a_private_host(
    tls_server, resolver, loopback_counts_as_public
) -> None:
    resolver.map("api.example.test", ["127.0.0.1"])
    tls_server.redirects["/away"] = tls_server.url("internal.example.test", "/ok")

    with pytest.raises(requests.TooManyRedirects):
        session(tls_server).get(tls_server.url("api.example.test", "/away"))
    assert resolver.lookups["internal.example.test"] == 0


def test_through_a_proxy_a_private_literal_is_still_refused(tls_server) -> None:
    """The proxy resolves names; what revloop can still see, a literal, is refused before any connection."""
    proxied = session(tls_server)
    proxied.proxies = {"https": "http://127.0.0.1:9"}

    with pytest.raises(ConfigError, match=r"0x7f\.1 \(127\.0\.0\.1\).*loopback"):
        proxied.get(tls_server.url("0x7f.1"))


def test_a_name_that_does_not_resolve_says_which(tls_server, resolver) -> None:
    resolver.map("api.example.test", [])

    with pytest.raises(requests.ConnectionError):
        session(tls_server).get(tls_server.url("api.example.test"))


def test_a_named_system_is_told_by_its_own_table(tls_server, resolver, token_env) -> None:
    """A second portal configured as [systems.crm2]: messages name it and the table to change."""
    resolver.map("api.example.test", ["10.0.0.7"])
    settings = HubSpotSettings(base_url="https://api.example.test", access_token_env=token_env)
    policy = ConnectPolicy.of("crm2", "hubspot", settings)

    with pytest.raises(ConfigError) as raised:
        PinnedSession(policy=policy, timeout=5).get(tls_server.url("api.example.test"))

    assert str(raised.value).startswith("crm2: refused to connect to api.example.test:")
    assert "[systems.crm2] allow_private_network = true" in str(raised.value)
    assert ConnectPolicy.of("hubspot", "hubspot", settings).config_table == "hubspot"
