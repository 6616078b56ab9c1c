"""The one retry, rate-limit and quota layer every API call of every system goes through.

Adapters classify failures (vendor status and codes to :mod:`connector.errors` classes); the guard
decides what happens next: wait for a token of the configured rate, refuse a call the daily budget
cannot afford, back off with jitter on transient failures, honour Retry-After on throttling, refresh
credentials once on an auth failure, and count every attempt per endpoint because every attempt costs
quota.
"""

from __future__ import annotations

import functools
import logging
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import tenacity

from connector.errors import (
    AmbiguousError,
    AuthError,
    QuotaExhaustedError,
    RemoteError,
    ThrottledError,
    TransientError,
    UnreachableError,
)

log = logging.getLogger(__name__)
T = TypeVar("T")

Classifier = Callable[[BaseException], RemoteError | None]
"""Turns a client-library exception into a RemoteError, or None when it is not a remote failure."""


class TokenBucket:
    """Allows ``calls`` per ``per_seconds`` on average with bursts up to ``calls``; thread-safe."""

    def __init__(self, calls: int, per_seconds: float, *, clock=time.monotonic, sleep=time.sleep) -> None:
        self.capacity = float(calls)
        self.rate = calls / per_seconds
        self._tokens = float(calls)
        self._clock = clock
        self._sleep = sleep
        self._stamp = clock()
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Take one token, sleeping until one is free. Returns the seconds waited."""
        waited = 0.0
        while True:
            with self._lock:
                now = self._clock()
                self._tokens = min(self.capacity, self._tokens + (now - self._stamp) * self.rate)
                self._stamp = now
                if self._tokens >= 1:
                    self._tokens -= 1
                    return waited
                delay = (1 - self._tokens) / self.rate
            self._sleep(delay)
            waited += delay


@dataclass
class RetryPolicy:
    attempts: int = 6
    max_elapsed_s: float = 300.0
    initial_backoff_s: float = 0.5
    max_backoff_s: float = 30.0
    max_retry_after_s: float = 120.0
    """A Retry-After longer than this is capped: a server asking for an hour is not waited on in-run."""


@dataclass
class DailyBudget:
    """Stops a flow cleanly before the system's daily quota is gone.

    ``limit`` is revloop's own allowance per day from the config; ``used`` starts from the calls the
    state store recorded today. ``reserve`` is how many calls to leave untouched in the vendor's quota
    (other integrations share it) once the vendor reports its remaining calls.
    """

    limit: int | None = None
    used: int = 0
    reserve: int = 0
    vendor_remaining: int | None = None

    def check(self, system: str) -> None:
        if self.limit is not None and self.used >= self.limit:
            raise QuotaExhaustedError(
                f"daily API budget reached: {self.used} calls used of {self.limit} allowed by "
                f"config {system}.daily_budget; the flow stops and its records stay pending",
                system=system,
            )
        if self.vendor_remaining is not None and self.vendor_remaining <= self.reserve:
            raise QuotaExhaustedError(
                f"the daily API quota is nearly gone ({self.vendor_remaining} calls left, "
                f"{self.reserve} kept in reserve by config {system}.quota_reserve); "
                "the flow stops and its records stay pending",
                system=system,
            )


class CallGuard:
    """Wraps every API call of one system: budget, rate limit, retries, auth refresh, call counts."""

    def __init__(
        self,
        system: str,
        *,
        buckets: dict[str, TokenBucket] | None = None,
        budget: DailyBudget | None = None,
        policy: RetryPolicy | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.system = system
        self.buckets = buckets or {}
        self.budget = budget or DailyBudget()
        self.policy = policy or RetryPolicy()
        self.calls: Counter[str] = Counter()
        self._sleep = sleep
        self._lock = threading.Lock()

    @property
    def total_calls(self) -> int:
        return sum(self.calls.values())

    def observe_vendor_remaining(self, remaining: int | None) -> None:
        """Record the daily calls the vendor says are left (from a response header)."""
        if remaining is not None:
            self.budget.vendor_remaining = remaining

    def call(
        self,
        endpoint: str,
        fn: Callable[[], T],
        *,
        classify: Classifier,
        bucket: str = "default",
        idempotent: bool = True,
        refresh_auth: Callable[[], None] | None = None,
    ) -> T:
        """Run ``fn`` (one HTTP request) under the system's limits and retry policy.

        ``idempotent`` says whether a request that may already have been applied can be sent again
        (upserts and reads can; plain creates cannot). ``refresh_auth`` is called once on AuthError.
        """
        refreshed = False

        def attempt() -> T:
            self.budget.check(self.system)
            limiter = self.buckets.get(bucket) or self.buckets.get("default")
            if limiter is not None:
                limiter.acquire()
            with self._lock:
                self.calls[endpoint] += 1
                self.budget.used += 1
            try:
                return fn()
            except RemoteError as error:
                error.endpoint = error.endpoint or endpoint
                raise
            except Exception as exc:
                error = classify(exc)
                if error is None:
                    raise
                error.endpoint = error.endpoint or endpoint
                raise error from None

        def should_retry(exc: BaseException) -> bool:
            nonlocal refreshed
            if isinstance(exc, AuthError) and refresh_auth is not None and not refreshed:
                refreshed = True
                refresh_auth()
                return True
            if isinstance(exc, AmbiguousError):
                return idempotent
            return isinstance(exc, TransientError | ThrottledError)

        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception(should_retry),
            wait=self._wait,
            stop=tenacity.stop_after_attempt(self.policy.attempts)
            | tenacity.stop_after_delay(self.policy.max_elapsed_s),
            sleep=self._sleep,
            before_sleep=functools.partial(self._log_retry, endpoint),
            reraise=True,
        )
        try:
            return retrying(attempt)
        except TransientError as exc:
            # A non-idempotent request that may have been applied is not "unreachable": the caller
            # must see AmbiguousError to know the write may exist.
            if isinstance(exc, UnreachableError) or (isinstance(exc, AmbiguousError) and not idempotent):
                raise
            raise UnreachableError(
                f"{endpoint} still failing after retries: {str(exc).removeprefix(f'{exc.system}: ')}",
                system=self.system,
                status=exc.status,
                code=exc.code,
                endpoint=endpoint,
            ) from None

    def _wait(self, state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, AuthError):
            return 0.0
        if isinstance(exc, ThrottledError) and exc.retry_after is not None:
            return min(exc.retry_after, self.policy.max_retry_after_s)
        backoff = tenacity.wait_random_exponential(
            multiplier=self.policy.initial_backoff_s, max=self.policy.max_backoff_s
        )
        return backoff(state)

    def _log_retry(self, endpoint: str, state: tenacity.RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        log.warning(
            "%s: %s attempt %d of %d failed (%s); retrying in %.1fs",
            self.system,
            endpoint,
            state.attempt_number,
            self.policy.attempts,
            exc,
            state.upcoming_sleep,
            extra={"system": self.system},
        )
