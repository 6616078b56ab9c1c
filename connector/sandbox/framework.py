"""What every fake shares: routing, bearer auth, latency, rate limits, a fault plan and call counters.

A fake subclasses :class:`FakeService`, lists its routes (werkzeug rules whose endpoint names a handler
method) and answers with the vendor's own wire shapes. Knobs are set from Python (tests) or over HTTP
under ``/__sandbox__/`` (benchmarks, other processes):

    GET  /__sandbox__/calls          per-endpoint call counters  {"query": 3, ...}
    POST /__sandbox__/calls/reset    zero the counters
    POST /__sandbox__/knobs          {"latency_ms": 20, "rate_limit": {"calls": 100, "per_seconds": 10},
                                      "daily_quota": 50000, "token_ttl_s": 3600}
    POST /__sandbox__/faults         {"faults": [{"nth": 3, "kind": "500", "endpoint": "query"}]}
    POST /__sandbox__/tokens/expire  make every issued token expire now
    GET  /__sandbox__/state          the fake's records (for checkers)
    POST /__sandbox__/seed           load records (each fake documents its seed shape)
"""

from __future__ import annotations

import json
import secrets
import threading
import time
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

from werkzeug.exceptions import HTTPException, MethodNotAllowed, NotFound
from werkzeug.routing import Map, Rule
from werkzeug.wrappers import Request, Response

FAULT_KINDS = ("500", "503", "429", "timeout", "drop", "reset")
"""500/503/429: answer with that status instead. timeout: hang ``hang_s`` then answer normally.
drop: apply the request, then cut the connection mid-response (an ambiguous failure).
reset: cut the connection before applying the request."""


@dataclass
class Fault:
    nth: int
    kind: str
    endpoint: str | None = None
    hang_s: float = 5.0

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"fault kind {self.kind!r}: expected one of {', '.join(FAULT_KINDS)}")


@dataclass
class RateLimit:
    calls: int
    per_seconds: float


@dataclass
class Knobs:
    latency_ms: float = 0.0
    rate_limit: RateLimit | None = None
    daily_quota: int | None = None
    token_ttl_s: float = 3600.0
    faults: list[Fault] = field(default_factory=list)


class DroppedConnection(Exception):
    """Raised inside a response body to make the server cut the connection mid-response."""


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(data, ensure_ascii=False), status=status, headers=headers, mimetype="application/json"
    )


def _knob_value(key: str, raw: Any) -> Any:
    if key == "rate_limit" and isinstance(raw, dict):
        return RateLimit(**raw)
    if key == "faults":
        return [f if isinstance(f, Fault) else Fault(**f) for f in raw]
    return raw


def _cut() -> Iterator[bytes]:
    raise DroppedConnection("fault plan: connection reset before the request was applied")
    yield b""  # pragma: no cover - makes this a generator


def _truncated(body: bytes) -> Iterator[bytes]:
    yield body[: max(1, len(body) // 2)]
    raise DroppedConnection("fault plan: connection dropped mid-response")


class FakeService:
    """A stateful fake of one SaaS API. Subclasses define ``routes`` and the vendor-specific answers."""

    name: ClassVar[str]

    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.knobs = Knobs()
        self.calls: Counter[str] = Counter()
        self.total_calls = 0
        self.day_calls = 0
        self._window: deque[float] = deque()
        self.tokens: dict[str, float] = {}
        self.static_token = "sandbox-" + secrets.token_hex(12)
        self.tokens[self.static_token] = float("inf")
        self.url_map = Map(
            [
                Rule(f"/__sandbox__/{path}", endpoint=f"control_{name}", methods=methods)
                for path, name, methods in _CONTROL_ROUTES
            ]
            + list(self.routes()),
            strict_slashes=False,
            merge_slashes=False,
        )

    # ---- to be provided by each fake -------------------------------------------------------------
    def routes(self) -> Iterable[Rule]:
        raise NotImplementedError

    def unauthorized(self, request: Request) -> Response:
        raise NotImplementedError

    def throttled(self, request: Request, reason: str) -> Response:
        """The vendor's answer when ``reason`` ('rate' or 'daily') is exceeded."""
        raise NotImplementedError

    def server_error(self, request: Request, status: int) -> Response:
        return json_response({"message": "sandbox fault plan", "status": status}, status=status)

    def public_endpoints(self) -> frozenset[str]:
        """Endpoints that need no bearer token (token endpoints)."""
        return frozenset()

    def dump_state(self) -> dict[str, Any]:
        return {}

    def seed(self, data: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def extra_headers(self, endpoint: str) -> dict[str, str]:
        """Headers the vendor adds to every answer (usage, rate-limit headers)."""
        return {}

    def issue_credentials(self) -> dict[str, str]:
        """Credentials for one client config, by secret name; the fake accepts them from now on.

        The default is the static bearer token as ``access_token``; fakes with a token endpoint override it.
        """
        return {"access_token": self.static_token}

    # ---- shared behaviour ------------------------------------------------------------------------
    def issue_token(self) -> tuple[str, float]:
        token = secrets.token_hex(16)
        with self.lock:
            self.tokens[token] = time.time() + self.knobs.token_ttl_s
        return token, self.knobs.token_ttl_s

    def bearer_ok(self, request: Request) -> bool:
        header = request.headers.get("Authorization", "")
        token = header[7:] if header[:7].lower() == "bearer " else ""
        expiry = self.tokens.get(token)
        return expiry is not None and expiry > time.time()

    def set_knobs(self, **values: Any) -> None:
        with self.lock:
            for key, raw in values.items():
                if not hasattr(self.knobs, key):
                    raise ValueError(f"unknown knob {key!r}")
                setattr(self.knobs, key, _knob_value(key, raw))

    def reset_calls(self) -> None:
        with self.lock:
            self.calls.clear()
            self.total_calls = 0

    def __call__(self, environ, start_response):
        request = Request(environ)
        try:
            response = self.dispatch(request)
        except HTTPException as exc:
            response = json_response({"message": exc.description}, status=exc.code or 500)
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        adapter = self.url_map.bind_to_environ(request.environ)
        try:
            endpoint, args = adapter.match()
        except (NotFound, MethodNotAllowed):
            return self.not_found(request)
        if endpoint.startswith("control_"):
            return getattr(self, endpoint)(request)
        return self._api_call(request, endpoint, args)

    def not_found(self, request: Request) -> Response:
        return json_response({"message": f"no such resource: {request.method} {request.path}"}, status=404)

    def _api_call(self, request: Request, endpoint: str, args: dict[str, Any]) -> Response:
        with self.lock:
            self.calls[endpoint] += 1
            self.total_calls += 1
            fault = self._take_fault(endpoint)
            limited = self._limit_reason()
        if self.knobs.latency_ms:
            time.sleep(self.knobs.latency_ms / 1000)
        if fault and fault.kind == "reset":
            return Response(_cut(), headers={"Content-Length": "100"})
        if fault and fault.kind in ("500", "503", "429"):
            if fault.kind == "429":
                return self.throttled(request, "rate")
            return self.server_error(request, int(fault.kind))
        if fault and fault.kind == "timeout":
            time.sleep(fault.hang_s)
        if endpoint not in self.public_endpoints() and not self.bearer_ok(request):
            return self.unauthorized(request)
        if limited:
            return self.throttled(request, limited)
        response = getattr(self, endpoint)(request, **args)
        for key, value in self.extra_headers(endpoint).items():
            response.headers.setdefault(key, value)
        if fault and fault.kind == "drop":
            body = response.get_data()
            response.response = _truncated(body)
            response.headers["Content-Length"] = str(len(body))
        return response

    def _take_fault(self, endpoint: str) -> Fault | None:
        for fault in self.knobs.faults:
            count = self.calls[endpoint] if fault.endpoint else self.total_calls
            if (fault.endpoint in (None, endpoint)) and count == fault.nth:
                self.knobs.faults.remove(fault)
                return fault
        return None

    def _limit_reason(self) -> str | None:
        self.day_calls += 1
        if self.knobs.daily_quota is not None and self.day_calls > self.knobs.daily_quota:
            return "daily"
        limit = self.knobs.rate_limit
        if limit is None:
            return None
        now = time.monotonic()
        while self._window and self._window[0] <= now - limit.per_seconds:
            self._window.popleft()
        if len(self._window) >= limit.calls:
            return "rate"
        self._window.append(now)
        return None

    # ---- control API -----------------------------------------------------------------------------
    def control_calls(self, request: Request) -> Response:
        with self.lock:
            return json_response({"total": self.total_calls, "endpoints": dict(self.calls)})

    def control_calls_reset(self, request: Request) -> Response:
        self.reset_calls()
        return json_response({"ok": True})

    def control_knobs(self, request: Request) -> Response:
        try:
            self.set_knobs(**(request.get_json(force=True) or {}))
        except (TypeError, ValueError) as exc:
            return json_response({"message": str(exc)}, status=400)
        return json_response({"ok": True})

    def control_faults(self, request: Request) -> Response:
        try:
            self.set_knobs(faults=(request.get_json(force=True) or {}).get("faults", []))
        except (TypeError, ValueError) as exc:
            return json_response({"message": str(exc)}, status=400)
        return json_response({"ok": True})

    def control_tokens_expire(self, request: Request) -> Response:
        with self.lock:
            for token in self.tokens:
                self.tokens[token] = 0.0
        return json_response({"ok": True})

    def control_state(self, request: Request) -> Response:
        with self.lock:
            return json_response(self.dump_state())

    def control_seed(self, request: Request) -> Response:
        with self.lock:
            return json_response(self.seed(request.get_json(force=True) or {}))


_CONTROL_ROUTES = (
    ("calls", "calls", ["GET"]),
    ("calls/reset", "calls_reset", ["POST"]),
    ("knobs", "knobs", ["POST"]),
    ("faults", "faults", ["POST"]),
    ("tokens/expire", "tokens_expire", ["POST"]),
    ("state", "state", ["GET"]),
    ("seed", "seed", ["POST"]),
)
