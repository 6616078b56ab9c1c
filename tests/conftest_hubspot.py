"""Fixtures for the HubSpot tests: one HTTPS HubSpot fake per test module, reset before every test.

Test modules load them with ``pytest_plugins = ("conftest_hubspot",)`` and never import this module.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from connector.sandbox.hubspot import HubSpotFake
from connector.sandbox.server import Sandbox, start_sandbox
from connector.systems.guard import CallGuard, RetryPolicy
from connector.systems.hubspot.adapter import HubSpotSystem
from connector.systems.hubspot.settings import HubSpotSettings

TOKEN_ENV = "REVLOOP_TEST_HUBSPOT_TOKEN"


class SleepLog:
    """A guard's sleep that records the waits instead of sleeping."""

    def __init__(self) -> None:
        self.waits: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.waits.append(seconds)


def _fast_guard(*, attempts: int = 6, sleep: Callable[[float], None] | None = None) -> CallGuard:
    policy = RetryPolicy(attempts=attempts, max_elapsed_s=60.0, initial_backoff_s=0.001, max_backoff_s=0.01)
    return CallGuard("hubspot", policy=policy, sleep=sleep or SleepLog())


@pytest.fixture
def fast_hubspot_guard() -> Callable[..., CallGuard]:
    """Builds guards with the production logic and no real waiting, so retries cost nothing but calls:
    ``fast_hubspot_guard(attempts=6, sleep=SleepLog())``."""
    return _fast_guard


@pytest.fixture
def sleeps() -> SleepLog:
    return SleepLog()


@pytest.fixture(scope="module")
def hubspot_sandbox(tmp_path_factory) -> Iterator[Sandbox]:
    with start_sandbox(tmp_path_factory.mktemp("hubspot-sandbox"), systems=["hubspot"]) as sandbox:
        yield sandbox


@pytest.fixture
def hubspot_fake(hubspot_sandbox) -> HubSpotFake:
    fake = hubspot_sandbox.service("hubspot")
    fake.reset()
    return fake


@pytest.fixture
def hubspot_settings(hubspot_sandbox, hubspot_fake, monkeypatch) -> HubSpotSettings:
    monkeypatch.setenv(TOKEN_ENV, hubspot_fake.static_token)
    return HubSpotSettings(
        base_url=hubspot_sandbox.url("hubspot"),
        ca_bundle=hubspot_sandbox.ca_bundle,
        allow_private_network=True,
        access_token_env=TOKEN_ENV,
    )


@pytest.fixture
def make_hubspot(hubspot_settings) -> Callable[..., HubSpotSystem]:
    """Builds adapters on the fake: ``make_hubspot(guard=..., lag_s=...)``."""

    def build(*, guard: CallGuard | None = None, **keywords) -> HubSpotSystem:
        return HubSpotSystem(hubspot_settings, guard or _fast_guard(), **keywords)

    return build


@pytest.fixture
def hubspot(make_hubspot) -> HubSpotSystem:
    return make_hubspot()
