"""Marketo adapter end to end over HTTPS: tokens, refresh, throttling, quota, concurrency, secrets."""

from __future__ import annotations

import logging
import threading

import pytest
import requests

from connector.errors import AuthError, QuotaExhaustedError
from connector.logs import RedactingFilter
from connector.records import Outgoing
from connector.settings import RateLimitSettings
from connector.systems import build_system
from connector.systems.base import System

pytest_plugins = ("conftest_marketo",)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_registry_builds_the_adapter_with_its_configured_guard(marketo_settings, marketo_fake):
    settings = marketo_settings.model_copy(
        update={"rate_limit": RateLimitSettings(calls=100, per_seconds=20)}
    )
    marketo = build_system("marketo", settings)
    assert isinstance(marketo, System)
    marketo.check()
    assert marketo.guard.calls == {"identity.token": 1, "stats.usage": 1}


def test_one_token_serves_many_calls(marketo, marketo_fake):
    marketo.check()
    marketo.check()
    assert marketo_fake.calls["identity_token"] == 1
    assert marketo_fake.calls["stats_usage"] == 2


def test_token_is_renewed_a_little_before_it_expires(make_marketo, marketo_fake):
    clock = FakeClock()
    marketo = make_marketo(clock=clock)
    marketo.check()
    clock.now += 3600 - 30  # inside the renewal margin, the token has not expired yet
    marketo.check()
    assert marketo_fake.calls["identity_token"] == 2
    assert marketo.guard.calls["stats.usage"] == 2  # no call was refused with 601/602


def test_short_lived_token_is_used_to_its_end_without_asking_again(make_marketo, marketo_fake):
    marketo_fake.set_knobs(token_ttl_s=50)  # less than the renewal margin: renewing early is pointless
    clock = FakeClock()
    marketo = make_marketo(clock=clock)
    marketo.check()
    clock.now += 40
    marketo.check()
    assert marketo_fake.calls["identity_token"] == 1


def test_expired_token_is_refreshed_once_and_the_call_retried(marketo, marketo_sandbox, marketo_fake):
    marketo.check()
    url = marketo_sandbox.url("marketo") + "/__sandbox__/tokens/expire"
    requests.post(url, verify=str(marketo_sandbox.ca_bundle), timeout=5).raise_for_status()
    marketo.check()
    assert marketo_fake.calls["identity_token"] == 2
    assert marketo.guard.calls["stats.usage"] == 3  # ok, 602, ok after the refresh


def test_tokens_that_keep_failing_raise_auth_error_after_one_refresh(marketo, marketo_fake):
    marketo_fake.set_knobs(token_ttl_s=0)  # every token is expired when it is used
    with pytest.raises(AuthError, match="602"):
        marketo.check()
    assert marketo_fake.calls["identity_token"] == 2
    assert marketo.guard.calls["stats.usage"] == 2


def test_wrong_client_secret_is_an_auth_error_that_never_shows_the_secret(
    make_marketo, marketo_settings, marketo_fake, monkeypatch
):
    canary = "canary-Secret-9f3e1b7c"
    monkeypatch.setenv(marketo_settings.client_secret_env, canary)
    marketo = make_marketo()
    with pytest.raises(AuthError) as caught:
        marketo.check()
    assert "client secret" in str(caught.value)
    for text in (str(caught.value), repr(caught.value), repr(marketo), repr(marketo.client)):
        assert canary not in text
    assert marketo_fake.calls["identity_token"] == 1
    assert marketo_fake.calls["stats_usage"] == 0


def test_secret_and_token_never_reach_logs_or_errors(make_marketo, marketo_fake, fast_marketo_guard, caplog):
    redacted: list[str] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            redacted.append(record.getMessage())

    collector = Collect(level=logging.DEBUG)
    collector.addFilter(RedactingFilter())
    logging.getLogger().addHandler(collector)
    caplog.set_level(logging.DEBUG)
    try:
        marketo = make_marketo(guard=fast_marketo_guard(attempts=2))
        marketo_fake.set_knobs(faults=[{"nth": 1, "kind": "500", "endpoint": "leads"}])
        marketo.upsert("leads", "email", [Outgoing("a@example.com", {"firstName": "Ann"})])
        issued = set(marketo_fake.tokens)
        marketo_fake.set_knobs(token_ttl_s=0)
        marketo_fake.tokens.clear()
        with pytest.raises(AuthError) as caught:
            marketo.check()
    finally:
        logging.getLogger().removeHandler(collector)
    issued |= set(marketo_fake.tokens)
    everything = "\n".join([caplog.text, *redacted, str(caught.value), repr(marketo)])
    assert "identity/oauth/token" in caplog.text  # urllib3 did log at DEBUG, so the check means something
    assert marketo_fake.client_secret not in everything
    assert len(issued) >= 2
    assert not [token for token in issued if token in everything]


def test_rate_limit_606_backs_off_and_succeeds(make_marketo, marketo_fake, fast_marketo_guard):
    marketo = make_marketo(guard=fast_marketo_guard(attempts=20, max_retry_after_s=0.1))
    marketo.check()  # the token request counts against the window too
    marketo_fake.set_knobs(rate_limit={"calls": 2, "per_seconds": 0.25})
    for _ in range(4):
        marketo.check()
    assert marketo_fake.throttled_answers["rate"] >= 1
    assert marketo.guard.calls["stats.usage"] == 5 + marketo_fake.throttled_answers["rate"]


def test_daily_quota_607_stops_with_quota_exhausted(marketo, marketo_fake):
    marketo.check()
    marketo_fake.set_knobs(daily_quota=marketo_fake.day_calls)
    with pytest.raises(QuotaExhaustedError) as caught:
        marketo.check()
    assert "607" in str(caught.value)
    assert "midnight US Central" in str(caught.value)
    assert marketo.guard.calls["stats.usage"] == 2  # refused once, never retried


def test_concurrency_615_waits_for_a_free_slot(make_marketo, marketo_fake, fast_marketo_guard):
    marketo = make_marketo(guard=fast_marketo_guard(sleep=lambda seconds: holder.join(5)))
    marketo.check()
    hang = {"nth": 2, "kind": "timeout", "endpoint": "stats_usage", "hang_s": 0.3}
    marketo_fake.set_knobs(max_concurrent=1, faults=[hang])
    holder = threading.Thread(target=marketo.check)  # occupies the only slot for a while
    holder.start()
    for _ in range(1000):
        if marketo_fake.in_flight == 1:
            break
        threading.Event().wait(0.002)
    schema = marketo.describe("leads")
    holder.join(5)
    assert "leadScore" in schema.fields
    assert marketo_fake.concurrency_refusals == 1
    assert marketo.guard.calls["leads.describe"] == 2
