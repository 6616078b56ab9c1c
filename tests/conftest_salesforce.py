"""Fixtures for the Salesforce tests: one HTTPS Salesforce fake per test module, reset before every test.

Test modules load them with ``pytest_plugins = ("conftest_salesforce",)`` and never import this module
themselves (it would then be imported before pytest can rewrite its asserts).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from werkzeug.test import Client, TestResponse

from connector.sandbox.salesforce import SalesforceFake
from connector.sandbox.server import Sandbox, start_sandbox
from connector.systems import make_guard
from connector.systems.guard import CallGuard, RetryPolicy
from connector.systems.salesforce.adapter import SalesforceSystem
from connector.systems.salesforce.settings import SalesforceSettings

CLIENT_ID_ENV = "REVLOOP_TEST_SF_CLIENT_ID"
CLIENT_SECRET_ENV = "REVLOOP_TEST_SF_CLIENT_SECRET"
ACCESS_TOKEN_ENV = "REVLOOP_TEST_SF_ACCESS_TOKEN"
CLIENT_ID = "3MVG9-revloop-test-client-id-7f3a"
CLIENT_SECRET = "sf-secret-9d8c7b6a5f4e3d2c1b0a"


def fast_policy(**overrides: Any) -> RetryPolicy:
    """The production retry logic with millisecond waits."""
    values = {
        "attempts": 6,
        "max_elapsed_s": 30.0,
        "initial_backoff_s": 0.001,
        "max_backoff_s": 0.01,
        "max_retry_after_s": 0.05,
        **overrides,
    }
    return RetryPolicy(**values)


@pytest.fixture(scope="module")
def sf_sandbox(tmp_path_factory) -> Iterator[Sandbox]:
    with start_sandbox(tmp_path_factory.mktemp("salesforce-sandbox"), systems=["salesforce"]) as sandbox:
        yield sandbox


@pytest.fixture
def sf_fake(sf_sandbox) -> SalesforceFake:
    fake = sf_sandbox.service("salesforce")
    fake.reset()
    return fake


@pytest.fixture
def sf_settings(sf_sandbox, sf_fake, monkeypatch) -> SalesforceSettings:
    monkeypatch.setenv(CLIENT_ID_ENV, CLIENT_ID)
    monkeypatch.setenv(CLIENT_SECRET_ENV, CLIENT_SECRET)
    return SalesforceSettings(
        instance_url=sf_sandbox.url("salesforce"),
        ca_bundle=sf_sandbox.ca_bundle,
        allow_private_network=True,
        client_id_env=CLIENT_ID_ENV,
        client_secret_env=CLIENT_SECRET_ENV,
    )


@pytest.fixture
def make_sf_guard(sf_settings) -> Callable[..., CallGuard]:
    """``make_sf_guard(settings=None, **policy)``: make_guard's guard with fast retries."""

    def build(settings: SalesforceSettings | None = None, **policy: Any) -> CallGuard:
        guard = make_guard("salesforce", settings or sf_settings)
        guard.policy = fast_policy(**policy)
        return guard

    return build


@pytest.fixture
def make_salesforce(sf_settings, make_sf_guard) -> Callable[..., SalesforceSystem]:
    """``make_salesforce(settings=None, guard=None, **keywords)``: an adapter on the fake."""

    def build(
        settings: SalesforceSettings | None = None, guard: CallGuard | None = None, **keywords: Any
    ) -> SalesforceSystem:
        settings = settings or sf_settings
        return SalesforceSystem(settings, guard or make_sf_guard(settings), **keywords)

    return build


class FakeApi:
    """Direct calls to a fake in-process (no TLS), authorised with its static token."""

    def __init__(self, fake: SalesforceFake, version: str = "v62.0") -> None:
        self.client = Client(fake)
        self.base = f"/services/data/{version}/"
        self.headers = {"Authorization": f"Bearer {fake.static_token}"}

    def __call__(
        self, method: str, path: str, *, headers: dict[str, str] | None = None, **kw: Any
    ) -> TestResponse:
        url = path if path.startswith("/") else self.base + path
        return self.client.open(url, method=method, headers={**self.headers, **(headers or {})}, **kw)

    def query(self, soql: str, **kw: Any) -> TestResponse:
        return self("GET", "query/", query_string={"q": soql}, **kw)


@pytest.fixture
def sf_bare() -> SalesforceFake:
    """A fresh fake without a server, for in-process wire tests."""
    return SalesforceFake()


@pytest.fixture
def sf_api(sf_bare) -> FakeApi:
    return FakeApi(sf_bare)
