"""The Salesforce adapter under faults, limits and hostile environments; secrets never leak."""

from __future__ import annotations

import base64
import io
import logging
from collections.abc import Iterator

import certifi
import pytest

from connector.errors import AuthError, QuotaExhaustedError, RemoteError
from connector.logs import RedactingFilter
from connector.records import Outcome, Outgoing
from connector.systems.salesforce.settings import SalesforceSettings

pytest_plugins = ("conftest_salesforce",)

CLIENT_ID = "3MVG9-revloop-test-client-id-7f3a"  # the values conftest_salesforce puts in the environment
CLIENT_SECRET = "sf-secret-9d8c7b6a5f4e3d2c1b0a"

MA_ID = "Revloop_MA_Id__c"


def lead(key: str, **fields) -> Outgoing:
    return Outgoing(key=key, fields={"LastName": "Sato", "Company": "Acme", **fields})


@pytest.mark.parametrize("kind", ["500", "503"])
def test_a_server_error_is_retried_and_counted(make_salesforce, sf_fake, kind):
    adapter = make_salesforce()
    sf_fake.set_knobs(faults=[{"nth": 1, "kind": kind, "endpoint": "query"}])
    [page] = list(adapter.read_changes("Lead", None, ["LastName"]))
    assert page.records == ()
    assert adapter.guard.calls["query"] == 2 and sf_fake.calls["query"] == 2


def test_the_concurrency_limit_is_waited_out(make_salesforce, sf_fake):
    adapter = make_salesforce()
    sf_fake.set_knobs(faults=[{"nth": 1, "kind": "429", "endpoint": "limits"}])  # 403 ConcurrentPerOrgLongTxn
    adapter.check()
    assert adapter.guard.calls["limits"] == 2


def test_the_daily_quota_stops_the_flow(make_salesforce, sf_fake):
    adapter = make_salesforce()
    adapter.check()
    sf_fake.set_knobs(daily_quota=sf_fake.day_calls)
    with pytest.raises(QuotaExhaustedError) as stopped:
        adapter.upsert("Lead", MA_ID, [lead("ma-1")])
    assert (stopped.value.status, stopped.value.code) == (403, "REQUEST_LIMIT_EXCEEDED")
    assert adapter.guard.calls["composite.sobjects"] == 1  # not retried
    assert sf_fake.creates_by_key("Lead", MA_ID) == {}


def test_the_daily_budget_stops_before_the_vendor_quota(make_salesforce, make_sf_guard, sf_fake):
    sf_fake.set_knobs(daily_quota=1000)
    sf_fake.day_calls = 985
    guard = make_sf_guard()
    guard.budget.reserve = 10
    adapter = make_salesforce(guard=guard)
    adapter.check()  # the answer says 987 of 1000 used: 13 left, 10 kept in reserve
    assert guard.budget.vendor_remaining == 13
    adapter.upsert("Lead", MA_ID, [lead("ma-1")])  # Sforce-Limit-Info now says 12 left
    adapter.upsert("Lead", MA_ID, [lead("ma-2")])  # 11
    adapter.upsert("Lead", MA_ID, [lead("ma-3")])  # 10: the reserve is reached
    calls = sf_fake.total_calls
    with pytest.raises(QuotaExhaustedError, match="quota_reserve"):
        adapter.upsert("Lead", MA_ID, [lead("ma-4")])
    assert sf_fake.total_calls == calls  # refused before sending


@pytest.mark.parametrize("kind", ["drop", "reset"])
def test_a_broken_connection_on_upsert_is_retried_without_duplicates(make_salesforce, sf_fake, kind):
    adapter = make_salesforce()
    sf_fake.set_knobs(faults=[{"nth": 1, "kind": kind, "endpoint": "collections_upsert"}])
    [result] = adapter.upsert("Lead", MA_ID, [lead("ma-1")])
    applied_first = kind == "drop"  # drop applies the request and loses the answer; reset never applies it
    assert result.outcome is (Outcome.UPDATED if applied_first else Outcome.CREATED)
    assert sf_fake.creates_by_key("Lead", MA_ID) == {"ma-1": 1}
    assert adapter.guard.calls["composite.sobjects"] == 2


def test_a_read_timeout_is_ambiguous_and_retried(make_salesforce, sf_settings, sf_fake):
    settings = sf_settings.model_copy(update={"timeout_s": 0.2})
    adapter = make_salesforce(settings=settings)
    sf_fake.set_knobs(faults=[{"nth": 1, "kind": "timeout", "endpoint": "collections_upsert", "hang_s": 0.5}])
    [result] = adapter.upsert("Lead", MA_ID, [lead("ma-1")])
    assert result.ok and sf_fake.creates_by_key("Lead", MA_ID) == {"ma-1": 1}
    assert adapter.guard.calls["composite.sobjects"] == 2


def test_the_configured_ca_bundle_wins_over_the_environment(make_salesforce, monkeypatch):
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())  # public roots only: no sandbox CA in it
    monkeypatch.setenv("CURL_CA_BUNDLE", certifi.where())
    adapter = make_salesforce()
    adapter.check()
    assert adapter.guard.calls["limits"] == 1


def test_an_access_token_is_used_as_is_and_never_refreshed(
    make_salesforce, sf_settings, sf_fake, monkeypatch
):
    monkeypatch.setenv("REVLOOP_TEST_SF_TOKEN", sf_fake.issue_token()[0])
    settings = SalesforceSettings(
        **{
            **sf_settings.model_dump(exclude={"client_id_env", "client_secret_env"}),
            "auth": "access_token",
            "access_token_env": "REVLOOP_TEST_SF_TOKEN",
        }
    )
    adapter = make_salesforce(settings=settings)
    adapter.check()
    sf_fake.control_tokens_expire(None)
    with pytest.raises(AuthError) as refused:
        adapter.check()
    assert refused.value.code == "INVALID_SESSION_ID" and "oauth.token" not in adapter.guard.calls
    assert adapter.guard.calls["limits"] == 2


@pytest.fixture
def redacted_log(caplog) -> Iterator[io.StringIO]:
    """Everything logged at DEBUG (urllib3 included) as revloop's redacting handler writes it."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(RedactingFilter())
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="urllib3")
    logging.getLogger().addHandler(handler)
    yield stream
    logging.getLogger().removeHandler(handler)


def test_secrets_never_appear_in_errors_or_debug_logs(make_salesforce, sf_fake, caplog, redacted_log):
    caplog.set_level(logging.DEBUG)
    adapter = make_salesforce()
    adapter.check()
    adapter.upsert("Lead", MA_ID, [lead("ma-1"), lead("ma-2", Email="bad")])
    sf_fake.control_tokens_expire(None)
    adapter.check()
    raised: list[RemoteError] = []
    sf_fake.client_credentials = ("someone", "else")
    sf_fake.control_tokens_expire(None)
    with pytest.raises(AuthError) as refused:
        adapter.check()
    raised.append(refused.value)
    sf_fake.set_knobs(faults=[{"nth": 1, "kind": "500", "endpoint": "oauth_token"}], daily_quota=0)
    with pytest.raises(RemoteError) as failed:
        make_salesforce().check()
    raised.append(failed.value)

    tokens = [token for token in sf_fake.tokens if token != sf_fake.static_token]
    basic = base64.b64encode(f"{CLIENT_ID}:{CLIENT_SECRET}".encode()).decode()
    secrets = [CLIENT_SECRET, basic, *tokens]
    texts = (
        [caplog.text, redacted_log.getvalue(), repr(adapter)]
        + [str(e) for e in raised]
        + [repr(e) for e in raised]
    )
    assert len(tokens) == 2 and "GET /services/data/v62.0/limits/" in redacted_log.getvalue()  # DEBUG logged
    assert "token request refused: invalid_client" in str(raised[0])
    for secret in secrets:
        assert all(secret not in text for text in texts), secret
