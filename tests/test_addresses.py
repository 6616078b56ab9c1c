"""Private-address literals are read the way the resolver reads them, so the offline config check refuses
every spelling of a loopback or private address, and public addresses pass."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from connector.addresses import describe, host_refusal, literal_address
from connector.systems.hubspot.settings import HubSpotSettings

REFUSED = {
    "127.1": ("127.0.0.1", "loopback"),
    "2130706433": ("127.0.0.1", "loopback"),
    "0x7f.1": ("127.0.0.1", "loopback"),
    "0x7F000001": ("127.0.0.1", "loopback"),
    "0177.0.0.1": ("127.0.0.1", "loopback"),
    "017700000001": ("127.0.0.1", "loopback"),
    "[::ffff:127.0.0.1]": ("::ffff:7f00:1", "loopback"),
    "[::ffff:7f00:1]": ("::ffff:7f00:1", "loopback"),
    "[2002:7f00:1::]": ("2002:7f00:1::", "loopback"),  # 6to4 of 127.0.0.1
    "[64:ff9b::a00:1]": ("64:ff9b::a00:1", "private"),  # NAT64 of 10.0.0.1
    "10.1": ("10.0.0.1", "private"),
    "0300.0250.1.1": ("192.168.1.1", "private"),
    "[fd00::1]": ("fd00::1", "private"),
    "0xa9fea9fe": ("169.254.169.254", "link-local"),
    "[fe80::1%25eth0]": ("fe80::1%25eth0", "link-local"),
    "0": ("0.0.0.0", "unspecified"),
    "[::]": ("::", "unspecified"),
    "224.0.0.251": ("224.0.0.251", "multicast"),
    "240.0.0.1": ("240.0.0.1", "reserved"),
    "100.64.0.1": ("100.64.0.1", "not publicly routable"),
}
PUBLIC = ["8.8.8.8", "134744072", "0x8.0x8.0x8.0x8", "[2001:4860:4860::8888]", "[64:ff9b::808:808]"]


@pytest.mark.parametrize("host", REFUSED)
def test_every_spelling_of_a_private_address_is_parsed_and_refused(host: str) -> None:
    address, kind = REFUSED[host]

    assert str(literal_address(host)) == address
    assert kind in (host_refusal(host) or "")


@pytest.mark.parametrize("host", PUBLIC)
def test_public_literals_pass(host: str) -> None:
    assert literal_address(host) is not None
    assert host_refusal(host) is None


@pytest.mark.parametrize("host", ["api.hubapi.com", "1.2.3.4.example.com", "256.1.1.1", "08.1", "1.2.3.4 x"])
def test_names_are_left_to_the_connect_time_check(host: str) -> None:
    assert literal_address(host) is None
    assert host_refusal(host) is None


@pytest.mark.parametrize("host", ["localhost", "LOCALHOST.", "api.localhost", "localhost.localdomain"])
def test_localhost_names_are_refused_without_a_lookup(host: str) -> None:
    assert host_refusal(host) == "a loopback address"


def test_messages_show_what_an_unusual_literal_stands_for() -> None:
    assert describe("0x7f.1") == "0x7f.1 (127.0.0.1)"
    assert describe("127.0.0.1") == "127.0.0.1"
    assert describe("api.hubapi.com") == "api.hubapi.com"


@pytest.mark.parametrize("host", REFUSED)
def test_config_refuses_the_literal_offline(host: str) -> None:
    with pytest.raises(ValidationError) as raised:
        HubSpotSettings(base_url=f"https://{host}:8443", access_token_env="TOKEN")

    message = str(raised.value)
    assert "allow_private_network" in message
    assert REFUSED[host][1] in message
    assert REFUSED[host][0] in message  # the address the literal stands for, not only its spelling


@pytest.mark.parametrize("host", [*REFUSED, "localhost"])
def test_allow_private_network_lets_them_through(host: str) -> None:
    settings = HubSpotSettings(
        base_url=f"https://{host}:8443", access_token_env="TOKEN", allow_private_network=True
    )
    assert settings.allow_private_network


@pytest.mark.parametrize("host", PUBLIC)
def test_config_accepts_public_literals(host: str) -> None:
    assert HubSpotSettings(base_url=f"https://{host}", access_token_env="TOKEN").base_url
