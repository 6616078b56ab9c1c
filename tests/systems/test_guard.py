"""CallGuard and TokenBucket on a fake clock: waits are recorded, never slept, and calls are counted."""

from __future__ import annotations

import pytest

from connector.errors import (
    AmbiguousError,
    AuthError,
    ExitCode,
    QuotaExhaustedError,
    RemoteError,
    ThrottledError,
    TransientError,
    UnreachableError,
)
from connector.settings import SystemSettings
from connector.systems.guard import CallGuard, DailyBudget, RetryPolicy, TokenBucket


class FakeClock:
    """A monotonic clock that only moves when something sleeps on it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class Script:
    """A stand-in for one HTTP request: raises the scripted exceptions in turn, then answers."""

    def __init__(self, *outcomes: BaseException | str) -> None:
        self.outcomes = list(outcomes)
        self.invocations = 0

    def __call__(self) -> str:
        self.invocations += 1
        outcome = self.outcomes.pop(0) if len(self.outcomes) > 1 else self.outcomes[0]
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome


def classify_connection_errors(exc: BaseException) -> RemoteError | None:
    """Like an adapter's classifier: a dropped connection is transient, anything else is not remote."""
    if isinstance(exc, ConnectionError):
        return TransientError(f"connection failed: {exc}", system="hubspot")
    return None


def make_guard(clock: FakeClock, **kwargs) -> CallGuard:
    kwargs.setdefault("policy", RetryPolicy(attempts=6, initial_backoff_s=0.5, max_backoff_s=8.0))
    return CallGuard("hubspot", sleep=clock.sleep, **kwargs)


def transient() -> TransientError:
    return TransientError("503 Service Unavailable", system="hubspot", status=503)


# --- TokenBucket ---------------------------------------------------------------------------------


def test_bucket_allows_a_burst_up_to_capacity_without_waiting() -> None:
    clock = FakeClock()
    bucket = TokenBucket(5, 10.0, clock=clock, sleep=clock.sleep)

    waits = [bucket.acquire() for _ in range(5)]

    assert waits == [0.0] * 5
    assert clock.sleeps == []


def test_bucket_spaces_calls_at_the_rate_once_the_burst_is_spent() -> None:
    clock = FakeClock()
    bucket = TokenBucket(5, 10.0, clock=clock, sleep=clock.sleep)  # one token every 2 s
    for _ in range(5):
        bucket.acquire()

    waits = [bucket.acquire() for _ in range(3)]

    assert waits == pytest.approx([2.0, 2.0, 2.0])
    assert clock.sleeps == pytest.approx([2.0, 2.0, 2.0])


def test_bucket_refills_while_idle_but_never_beyond_capacity() -> None:
    clock = FakeClock()
    bucket = TokenBucket(3, 3.0, clock=clock, sleep=clock.sleep)
    for _ in range(3):
        bucket.acquire()
    clock.now += 3600  # an hour idle earns a full bucket, not 3,600 tokens

    waits = [bucket.acquire() for _ in range(4)]

    assert waits == pytest.approx([0.0, 0.0, 0.0, 1.0])


def test_guard_takes_a_token_from_the_named_bucket_or_the_default() -> None:
    clock = FakeClock()
    buckets = {
        "default": TokenBucket(1, 5.0, clock=clock, sleep=clock.sleep),
        "search": TokenBucket(1, 1.0, clock=clock, sleep=clock.sleep),
    }
    guard = make_guard(clock, buckets=buckets)

    for _ in range(2):
        guard.call("search", Script("ok"), classify=classify_connection_errors, bucket="search")
    for _ in range(2):
        guard.call("read", Script("ok"), classify=classify_connection_errors, bucket="no-such-bucket")

    assert clock.sleeps == pytest.approx([1.0, 5.0])  # the second search, then the second read


# --- Throttling ------------------------------------------------------------------------------------


@pytest.mark.parametrize(("retry_after", "expected_wait"), [(7.0, 7.0), (0.25, 0.25), (3600.0, 120.0)])
def test_throttled_waits_retry_after_capped(retry_after: float, expected_wait: float) -> None:
    clock = FakeClock()
    guard = make_guard(clock, policy=RetryPolicy(max_retry_after_s=120.0))
    request = Script(ThrottledError("429", system="hubspot", status=429, retry_after=retry_after), "ok")

    assert guard.call("contacts.batch_upsert", request, classify=classify_connection_errors) == "ok"

    assert clock.sleeps == [expected_wait]
    assert guard.calls["contacts.batch_upsert"] == 2


def test_throttled_without_retry_after_backs_off_like_a_transient_error() -> None:
    clock = FakeClock()
    guard = make_guard(clock)
    request = Script(ThrottledError("429", system="hubspot", status=429), "ok")

    assert guard.call("contacts.read", request, classify=classify_connection_errors) == "ok"

    assert len(clock.sleeps) == 1
    assert 0.0 <= clock.sleeps[0] <= 0.5


# --- Transient failures --------------------------------------------------------------------------


def test_transient_errors_back_off_with_bounded_jitter_then_raise_unreachable() -> None:
    clock = FakeClock()
    policy = RetryPolicy(attempts=7, initial_backoff_s=0.5, max_backoff_s=4.0)
    guard = make_guard(clock, policy=policy)
    request = Script(ConnectionError("connection reset by peer"))

    with pytest.raises(UnreachableError) as raised:
        guard.call("contacts.read", request, classify=classify_connection_errors)

    assert request.invocations == 7
    assert guard.calls["contacts.read"] == 7
    assert len(clock.sleeps) == 6
    for attempt, waited in enumerate(clock.sleeps, start=1):
        assert 0.0 <= waited <= min(4.0, 0.5 * 2 ** (attempt - 1)), (attempt, waited)
    error = raised.value
    assert error.exit_code == ExitCode.UNAVAILABLE == 3
    assert error.endpoint == "contacts.read"
    assert error.system == "hubspot"
    assert "contacts.read" in str(error)
    assert str(error).count("hubspot:") == 1


def test_backoff_is_jittered_not_fixed() -> None:
    first_waits = set()
    for _ in range(30):
        clock = FakeClock()
        make_guard(clock).call("x", Script(transient(), "ok"), classify=classify_connection_errors)
        first_waits.add(clock.sleeps[0])
    assert len(first_waits) > 1


def test_a_transient_failure_that_recovers_returns_the_answer() -> None:
    clock = FakeClock()
    guard = make_guard(clock)
    request = Script(transient(), transient(), "answer")

    assert guard.call("contacts.read", request, classify=classify_connection_errors) == "answer"

    assert guard.calls["contacts.read"] == 3
    assert len(clock.sleeps) == 2


# --- Ambiguous failures --------------------------------------------------------------------------


def test_ambiguous_error_is_retried_when_the_request_is_idempotent() -> None:
    clock = FakeClock()
    guard = make_guard(clock)
    request = Script(AmbiguousError("read timed out after sending", system="hubspot"), "ok")

    assert guard.call("upsert", request, classify=classify_connection_errors, idempotent=True) == "ok"

    assert request.invocations == 2


def test_ambiguous_error_is_not_retried_and_stays_ambiguous_when_not_idempotent() -> None:
    clock = FakeClock()
    guard = make_guard(clock)
    request = Script(AmbiguousError("read timed out after sending", system="hubspot"), "ok")

    with pytest.raises(AmbiguousError) as raised:
        guard.call("create", request, classify=classify_connection_errors, idempotent=False)

    assert not isinstance(raised.value, UnreachableError)  # the runner must know it may have been applied
    assert request.invocations == 1
    assert clock.sleeps == []


# --- Auth ------------------------------------------------------------------------------------------


def test_auth_error_refreshes_once_then_the_retry_succeeds() -> None:
    clock = FakeClock()
    guard = make_guard(clock)
    refreshes = []
    request = Script(AuthError("401 INVALID_SESSION_ID", system="hubspot", status=401), "ok")

    result = guard.call(
        "read", request, classify=classify_connection_errors, refresh_auth=lambda: refreshes.append(1)
    )

    assert result == "ok"
    assert refreshes == [1]
    assert guard.calls["read"] == 2
    assert sum(clock.sleeps) == 0  # a refreshed token is used at once


def test_a_second_auth_error_propagates() -> None:
    clock = FakeClock()
    guard = make_guard(clock)
    refreshes = []
    request = Script(AuthError("401", system="hubspot", status=401))

    with pytest.raises(AuthError) as raised:
        guard.call(
            "read", request, classify=classify_connection_errors, refresh_auth=lambda: refreshes.append(1)
        )

    assert refreshes == [1]
    assert request.invocations == 2
    assert raised.value.exit_code == 3


def test_auth_error_without_a_refresher_propagates_at_once() -> None:
    clock = FakeClock()
    guard = make_guard(clock)
    request = Script(AuthError("401", system="hubspot", status=401), "ok")

    with pytest.raises(AuthError):
        guard.call("read", request, classify=classify_connection_errors)

    assert request.invocations == 1


# --- Quota and budget ------------------------------------------------------------------------------


def test_quota_exhausted_is_never_retried() -> None:
    clock = FakeClock()
    guard = make_guard(clock)
    quota = QuotaExhaustedError("403 REQUEST_LIMIT_EXCEEDED", system="hubspot", status=403)
    request = Script(quota, "ok")

    with pytest.raises(QuotaExhaustedError) as raised:
        guard.call("read", request, classify=classify_connection_errors)

    assert raised.value is quota
    assert request.invocations == 1
    assert clock.sleeps == []


def test_budget_stops_before_the_call_when_our_daily_limit_is_reached() -> None:
    clock = FakeClock()
    guard = make_guard(clock, budget=DailyBudget(limit=3, used=3))
    request = Script("ok")

    with pytest.raises(QuotaExhaustedError) as raised:
        guard.call("read", request, classify=classify_connection_errors)

    assert request.invocations == 0
    assert guard.total_calls == 0
    assert "hubspot.daily_budget" in str(raised.value)
    assert "daily_budget" in SystemSettings.model_fields


def test_budget_counts_retries_and_stops_between_attempts() -> None:
    clock = FakeClock()
    guard = make_guard(clock, budget=DailyBudget(limit=2))
    request = Script(transient())

    with pytest.raises(QuotaExhaustedError):
        guard.call("read", request, classify=classify_connection_errors)

    assert request.invocations == 2
    assert guard.budget.used == 2


@pytest.mark.parametrize(("remaining", "stops"), [(11, False), (10, True), (0, True)])
def test_budget_keeps_the_vendor_reserve(remaining: int, stops: bool) -> None:
    clock = FakeClock()
    guard = make_guard(clock, budget=DailyBudget(reserve=10))
    guard.observe_vendor_remaining(remaining)
    guard.observe_vendor_remaining(None)  # a response without the header changes nothing
    request = Script("ok")

    if stops:
        with pytest.raises(QuotaExhaustedError) as raised:
            guard.call("read", request, classify=classify_connection_errors)
        assert "hubspot.quota_reserve" in str(raised.value)
        assert "quota_reserve" in SystemSettings.model_fields
        assert request.invocations == 0
    else:
        assert guard.call("read", request, classify=classify_connection_errors) == "ok"


# --- Counting and classification -------------------------------------------------------------------


def test_calls_are_counted_per_endpoint_including_retries() -> None:
    clock = FakeClock()
    guard = make_guard(clock)

    guard.call("contacts.read", Script(transient(), "ok"), classify=classify_connection_errors)
    guard.call("contacts.read", Script("ok"), classify=classify_connection_errors)
    guard.call("contacts.upsert", Script(ConnectionError("reset"), "ok"), classify=classify_connection_errors)

    assert dict(guard.calls) == {"contacts.read": 3, "contacts.upsert": 2}
    assert guard.total_calls == 5


def test_a_classified_error_is_tagged_with_its_endpoint() -> None:
    clock = FakeClock()
    guard = make_guard(clock, policy=RetryPolicy(attempts=1))

    with pytest.raises(UnreachableError) as raised:
        guard.call("contacts.read", Script(ConnectionError("reset")), classify=classify_connection_errors)

    assert raised.value.endpoint == "contacts.read"


def test_a_remote_error_raised_by_the_request_itself_is_tagged_with_its_endpoint() -> None:
    clock = FakeClock()
    guard = make_guard(clock)

    with pytest.raises(QuotaExhaustedError) as raised:
        guard.call(
            "leads.read", Script(QuotaExhaustedError("607", system="marketo")), classify=lambda _: None
        )

    assert raised.value.endpoint == "leads.read"


def test_a_non_remote_exception_propagates_untouched() -> None:
    clock = FakeClock()
    guard = make_guard(clock)
    bug = KeyError("results")
    request = Script(bug, "ok")

    with pytest.raises(KeyError) as raised:
        guard.call("read", request, classify=classify_connection_errors)

    assert raised.value is bug
    assert request.invocations == 1
    assert clock.sleeps == []
