"""Fixtures for the Marketo tests: one HTTPS Marketo fake per test module, reset before every test.

Test modules load them with ``pytest_plugins = ("conftest_marketo",)`` and never import this module
themselves (it would then be imported before pytest can rewrite its asserts).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator

import pytest

from connector.sandbox.marketo import MarketoFake
from connector.sandbox.server import Sandbox, start_sandbox
from connector.systems.guard import CallGuard, RetryPolicy
from connector.systems.marketo.adapter import MarketoSystem
from connector.systems.marketo.settings import MarketoSettings

CLIENT_ID_ENV = "REVLOOP_TEST_MARKETO_CLIENT_ID"
CLIENT_SECRET_ENV = "REVLOOP_TEST_MARKETO_CLIENT_SECRET"


def _fast_guard(*, attempts: int = 6, max_retry_after_s: float = 0.05, sleep=time.sleep) -> CallGuard:
    policy = RetryPolicy(
        attempts=attempts,
        max_elapsed_s=30.0,
        initial_backoff_s=0.001,
        max_backoff_s=0.01,
        max_retry_after_s=max_retry_after_s,
    )
    return CallGuard("marketo", policy=policy, sleep=sleep)


@pytest.fixture
def fast_marketo_guard() -> Callable[..., CallGuard]:
    """Builds guards with the production logic and tiny waits, so retries cost milliseconds:
    ``fast_marketo_guard(attempts=6, max_retry_after_s=0.05, sleep=time.sleep)``."""
    return _fast_guard


@pytest.fixture(scope="module")
def marketo_sandbox(tmp_path_factory) -> Iterator[Sandbox]:
    with start_sandbox(tmp_path_factory.mktemp("marketo-sandbox"), systems=["marketo"]) as sandbox:
        yield sandbox


@pytest.fixture
def marketo_fake(marketo_sandbox) -> MarketoFake:
    fake = marketo_sandbox.service("marketo")
    fake.reset()
    return fake


@pytest.fixture
def marketo_settings(marketo_sandbox, marketo_fake, monkeypatch) -> MarketoSettings:
    monkeypatch.setenv(CLIENT_ID_ENV, marketo_fake.client_id)
    monkeypatch.setenv(CLIENT_SECRET_ENV, marketo_fake.client_secret)
    url = marketo_sandbox.url("marketo")
    return MarketoSettings(
        base_url=url + "/rest",
        identity_url=url + "/identity",
        ca_bundle=marketo_sandbox.ca_bundle,
        allow_private_network=True,
        client_id_env=CLIENT_ID_ENV,
        client_secret_env=CLIENT_SECRET_ENV,
    )


@pytest.fixture
def make_marketo(marketo_settings) -> Callable[..., MarketoSystem]:
    """Builds adapters on the fake: ``make_marketo(settings=..., guard=..., clock=..., backfill_days=)``."""

    def build(
        *, settings: MarketoSettings | None = None, guard: CallGuard | None = None, **keywords
    ) -> MarketoSystem:
        return MarketoSystem(settings or marketo_settings, guard or _fast_guard(), **keywords)

    return build


@pytest.fixture
def marketo(make_marketo) -> MarketoSystem:
    return make_marketo()
